// SPDX-License-Identifier: GPL-2.0
/*
 * The row writer against its own past: a fixed table of rows (every kind
 * of field, edge values, addresses of every shape, strings that need
 * escapes or are not UTF-8) in every format and layout, compared byte for
 * byte with tests/data/rows/, which the writer before issue 13's fast path
 * printed. NP_ROWS_WRITE=1 rewrites the files (only ever from a known-good
 * writer).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "lib/inet.h"
#include "lib/np.h"
#include "lib/out.h"
#include "unit.h"

enum {
	R_IF, R_IFINDEX, R_PROTO, R_PROTO_NUM, R_SRC, R_SPORT, R_DST, R_DPORT, R_PKTS, R_BYTES,
	R_FLAGS, R_FIRST, R_LAST, R_RATE, R_BRATE, R_DUR, R_LATER, R_NAMES, R_NUMS, R_OBJ,
	R_NCOLS,
};

static const struct np_col row_cols[] = {
	[R_IF] = { "interface", "INTERFACE", -10, NP_K_STR, NP_P_LABEL },
	[R_IFINDEX] = { "ifindex", NULL, 0, NP_K_U64 },
	[R_PROTO] = { "proto", "PROTO", -6, NP_K_STR, NP_P_LABEL },
	[R_PROTO_NUM] = { "proto_number", NULL, 0, NP_K_U64 },
	[R_SRC] = { "src", "SRC", -15, NP_K_STR, NP_P_LABEL },
	[R_SPORT] = { "sport", "SPORT", 5, NP_K_U64, NP_P_LABEL },
	[R_DST] = { "dst", "DST", -15, NP_K_STR, NP_P_LABEL },
	[R_DPORT] = { "dport", "DPORT", 5, NP_K_U64, NP_P_LABEL },
	[R_PKTS] = { "packets", "PACKETS", 8, NP_K_COUNT, NP_P_COUNTER, "np_rows_packets_total",
		     "Packets." },
	[R_BYTES] = { "bytes", "BYTES", 9, NP_K_BYTES, NP_P_COUNTER, "np_rows_bytes_total",
		      "Bytes." },
	[R_FLAGS] = { "tcp_flags", "FLAGS", -8, NP_K_STR },
	[R_FIRST] = { "first_seen", "FIRST SEEN", -19, NP_K_TIME },
	[R_LAST] = { "last_seen", "LAST SEEN", -19, NP_K_TIME, NP_P_GAUGE, "np_rows_last_seen",
		     "Last seen." },
	[R_RATE] = { "rate", "RATE", 8, NP_K_RATE, NP_P_GAUGE, "np_rows_rate", "Rate." },
	[R_BRATE] = { "byte_rate", "BRATE", 12, NP_K_BYTE_RATE },
	[R_DUR] = { "age", "AGE", 7, NP_K_DURATION },
	[R_LATER] = { "later_fragment", NULL, 0, NP_K_BOOL },
	[R_NAMES] = { "names", "NAMES", -12, NP_K_STR },
	[R_NUMS] = { "numbers", NULL, 0, NP_K_U64 },
	[R_OBJ] = { "object", NULL, 0, NP_K_STR },
};

static uint64_t rng = 88172645463325252ull;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Numbers at the edges where digit counts and units change, then random ones. */
static __u64 edge_u64(int i)
{
	static const __u64 edges[] = {
		0, 1, 9, 10, 99, 100, 999, 1000, 9999, 10000, 99999, 100000, 999999, 1000000,
		1048575, 1048576, 1073741824ull, 9999999999ull, 10000000000ull,
		999999999999999999ull, 1000000000000000000ull, 9223372036854775807ull,
		9223372036854775808ull, 18446744073709551615ull,
	};

	__u64 v, shift;

	if (i < (int)(sizeof(edges) / sizeof(edges[0])))
		return edges[i];
	/* One call per statement: the order of the draws is fixed. */
	v = next_rand();
	shift = next_rand() % 64;
	return v >> shift;
}

static void edge_addr(int i, __u8 a[16])
{
	static const char *const fixed[] = {
		"0.0.0.0", "255.255.255.255", "10.0.0.1", "192.168.100.10", "1.22.133.4",
		"::", "::1", "::2", "::ffff:10.1.2.3", "::10.1.2.3", "::ffff:0:10.1.2.3",
		"2001:db8::1", "2001:db8:0:0:1:0:0:1", "fe80::1:0:0:0", "1:0:0:2:0:0:0:3",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "1::", "0:1::", "::ffff:1",
		"64:ff9b::192.0.2.33", "2001:db8:1:2:3:4:5:6",
	};
	int nfixed = sizeof(fixed) / sizeof(fixed[0]);

	memset(a, 0, 16);
	if (i < nfixed) {
		if (strchr(fixed[i], ':')) {
			inet_pton(AF_INET6, fixed[i], a);
		} else {
			a[10] = a[11] = 0xff;
			inet_pton(AF_INET, fixed[i], a + 12);
		}
		return;
	}
	if (i % 3) {
		a[10] = a[11] = 0xff;
		for (int k = 12; k < 16; k++)
			a[k] = next_rand();
		return;
	}
	/* Random groups, some zero, so that zero runs of every length come up. */
	for (int k = 0; k < 16; k += 2) {
		if (next_rand() % 3 == 0)
			continue;
		if (next_rand() % 4 == 0)
			a[k] = next_rand();
		a[k + 1] = next_rand();
	}
}

static const char *const odd_names[] = {
	"eth0", "lo", "veth\"q", "back\\slash", "tab\there", "nl\nx", "ctl\x01", "caf\xc3\xa9",
	"bad\xff", "half\xc3", "", "long-interface-name-beyond-width",
};

static void one_row(struct np_out *o, int i)
{
	const char *names[3] = { odd_names[i % 12], NULL, "x" };
	char src[64], dst[64], flags[16], proto[8];
	__u64 nums[3] = { 0, i, 0 };
	__u8 a[16];

	nums[0] = edge_u64(i);
	out_row_begin(o);
	out_str(o, R_IF, odd_names[(i / 3) % 12]);
	out_u64(o, R_IFINDEX, i % 7);
	out_str(o, R_PROTO, np_proto_str(i % 256, proto, sizeof(proto)));
	out_u64(o, R_PROTO_NUM, i % 256);
	edge_addr(i, a);
	out_str(o, R_SRC, np_addr_str(a, src, sizeof(src)));
	edge_addr(i + 7, a);
	out_str(o, R_DST, np_addr_str(a, dst, sizeof(dst)));
	if (i % 11 == 5) {
		out_null(o, R_SPORT);
		out_null(o, R_DPORT);
	} else {
		out_u64(o, R_SPORT, next_rand() % 65536);
		out_u64(o, R_DPORT, i % 65536);
	}
	out_u64(o, R_PKTS, edge_u64(i));
	out_u64(o, R_BYTES, edge_u64((i + 3) % 40));
	if (i % 4 != 3) {
		np_tcp_flags_str(i % 512, flags, sizeof(flags));
		out_str(o, R_FLAGS, flags);
	}
	/* 0 (never), around the epoch, a day boundary, leap days, far ahead. */
	out_u64(o, R_FIRST, i % 13 == 0 ? 0 : 1795307497123456789ull + next_rand() % 4000000000000000ull);
	out_u64(o, R_LAST, i % 17 == 1 ? 86399999999999ull : 951782399999999000ull + i * 3600000000000ull);
	if (i % 5 != 4)
		out_double(o, R_RATE, (double)(next_rand() % 100000000) / (1 + i % 9));
	if (i % 3 != 2)
		out_double(o, R_BRATE, (double)edge_u64(i % 30) / 3.0);
	out_u64(o, R_DUR, edge_u64((i + 5) % 30) * 1000);
	out_bool(o, R_LATER, i % 11 == 5);
	if (i % 6)
		out_strv(o, R_NAMES, names, 1 + i % 3);
	if (i % 4)
		out_u64v(o, R_NUMS, nums, i % 4);
	if (i % 8 == 0)
		out_json_text(o, R_OBJ, "{\"pod\":\"a\",\"n\":1}", "a");
	out_row_end(o);
}

#define NROWS 500

struct variant {
	const char *name;
	enum np_format fmt;
	bool pretty, numeric, bits;
	enum np_layout layout;
};

static const struct variant variants[] = {
	{ "json", NP_FMT_JSON, false, false, false, NP_LAYOUT_TABLE },
	{ "json-pretty", NP_FMT_JSON, true, false, false, NP_LAYOUT_TABLE },
	{ "json-lines", NP_FMT_JSON, true, false, false, NP_LAYOUT_STREAM },
	{ "plain", NP_FMT_PLAIN, false, false, false, NP_LAYOUT_TABLE },
	{ "plain-numeric", NP_FMT_PLAIN, false, true, true, NP_LAYOUT_TABLE },
	{ "plain-record", NP_FMT_PLAIN, false, false, false, NP_LAYOUT_RECORD },
	{ "prom", NP_FMT_PROM, false, false, false, NP_LAYOUT_TABLE },
};

static char *render(const struct variant *v, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	struct np_out *o = out_new(v->fmt, v->pretty, v->numeric, f);

	rng = 88172645463325252ull;
	out_set_bits(o, v->bits);
	out_prom_label(o, "host", "n\"1");
	out_object_begin(o);
	out_kv_str(o, "what", "what:", "rows");
	out_table_begin(o, "rows", row_cols, R_NCOLS, v->layout);
	for (int i = 0; i < NROWS; i++)
		one_row(o, i);
	out_table_end(o);
	out_kv_u64(o, "count", "count:", NROWS);
	out_object_end(o);
	out_free(o);
	fclose(f);
	return buf;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0;

	*len = 0;
	if (!f)
		return NULL;
	for (;;) {
		if (*len == cap && !(buf = realloc(buf, cap = cap ? 2 * cap : 65536)))
			break;
		size_t got = fread(buf + *len, 1, cap - *len, f);

		if (!got)
			break;
		*len += got;
	}
	fclose(f);
	return buf;
}

static void test_variant(const struct variant *v)
{
	char path[256], *want, *got;
	size_t wlen, glen, at = 0;

	snprintf(path, sizeof(path), "tests/data/rows/%s.txt", v->name);
	got = render(v, &glen);
	if (getenv("NP_ROWS_WRITE")) {
		FILE *f = fopen(path, "w");

		CHECK(f && fwrite(got, 1, glen, f) == glen && !fclose(f));
		free(got);
		return;
	}
	want = slurp(path, &wlen);
	CHECK(want != NULL);
	while (want && at < wlen && at < glen && want[at] == got[at])
		at++;
	if (!want || wlen != glen || at != wlen)
		fprintf(stderr, "%s: differs from byte %zu (%zu vs %zu bytes): ...%.60s\n", path,
			at, glen, wlen, got + (at > 20 ? at - 20 : 0));
	CHECK(want && wlen == glen && at == wlen);
	free(want);
	free(got);
}

int main(void)
{
	/* Plain text gives local times. */
	setenv("TZ", "UTC", 1);
	tzset();
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++)
		test_variant(&variants[i]);
	UNIT_DONE();
}
