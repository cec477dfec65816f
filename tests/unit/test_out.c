// SPDX-License-Identifier: GPL-2.0
/* The output layer: units, times, JSON streaming, Prometheus grouping. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
#include <jansson.h>

#include "lib/np.h"
#include "lib/out.h"
#include "unit.h"

static void test_units(void)
{
	char b[32];

	fmt_count(b, sizeof(b), 99999, false);
	CHECK_STR(b, "99999");
	fmt_count(b, sizeof(b), 1234567, false);
	CHECK_STR(b, "1.2M");
	fmt_count(b, sizeof(b), 1234567, true);
	CHECK_STR(b, "1234567");
	fmt_bytes(b, sizeof(b), 532, false);
	CHECK_STR(b, "532 B");
	fmt_bytes(b, sizeof(b), 85400, false);
	CHECK_STR(b, "85.4 KB");
	fmt_bytes(b, sizeof(b), 85400, true);
	CHECK_STR(b, "85400");
	/* -b: bits per second in 1000s, as iperf3 speaks. */
	fmt_bits_rate(b, sizeof(b), 125000.0, false);
	CHECK_STR(b, "1.0 Mbit/s");
	fmt_bits_rate(b, sizeof(b), 15.5, false);
	CHECK_STR(b, "124 bit/s");
	fmt_bits_rate(b, sizeof(b), 1543210.0, true);
	CHECK_STR(b, "12345680 bit/s");
	fmt_bits_rate(b, sizeof(b), 1.25e9, false);
	CHECK_STR(b, "10.0 Gbit/s");
	fmt_duration(b, sizeof(b), 1500000000ull);
	CHECK_STR(b, "1.5s");
	fmt_duration(b, sizeof(b), 250);
	CHECK_STR(b, "250ns");
	fmt_rfc3339(b, sizeof(b), 1795307497123456789ull);
	CHECK_STR(b, "2026-11-22T00:31:37.123456Z");
	fmt_prom_label(b, sizeof(b), "a\"b\\c\nd");
	CHECK_STR(b, "a\\\"b\\\\c\\nd");
}

enum { C_NAME, C_PKTS, C_WHEN };

static const struct np_col cols[] = {
	[C_NAME] = { "interface", "IF", -6, NP_K_STR, NP_P_LABEL },
	[C_PKTS] = { "packets", "PKTS", 8, NP_K_COUNT, NP_P_COUNTER, "np_packets_total", "Packets." },
	[C_WHEN] = { "seen", NULL, 0, NP_K_TIME },
};

/* Runs two rows through a format and returns what it printed. */
static char *render(enum np_format fmt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct np_out *o = out_new(fmt, false, false, f);

	out_table_begin(o, NULL, cols, 3, NP_LAYOUT_TABLE);
	out_row_begin(o);
	out_str(o, C_NAME, "eth\"0");
	out_u64(o, C_PKTS, 5);
	out_u64(o, C_WHEN, 1795307497000000000ull);
	out_row_end(o);
	out_row_begin(o);
	out_str(o, C_NAME, "lo");
	out_u64(o, C_PKTS, 1000000);
	out_row_end(o);
	out_table_end(o);
	out_free(o);
	fclose(f);
	return buf;
}

static void test_json(void)
{
	char *s = render(NP_FMT_JSON);
	json_error_t err;
	json_t *doc = json_loads(s, 0, &err);

	CHECK(doc && json_is_array(doc) && json_array_size(doc) == 2);
	CHECK(json_integer_value(json_object_get(json_array_get(doc, 1), "packets")) == 1000000);
	CHECK_STR(json_string_value(json_object_get(json_array_get(doc, 0), "interface")), "eth\"0");
	CHECK_STR(json_string_value(json_object_get(json_array_get(doc, 0), "seen")),
		  "2026-11-22T00:31:37.000000Z");
	/* An unset column is absent, not null or zero. */
	CHECK(json_object_get(json_array_get(doc, 1), "seen") == NULL);
	json_decref(doc);
	free(s);
}

static void test_prom(void)
{
	char *s = render(NP_FMT_PROM);

	CHECK_STR(s, "# HELP np_packets_total Packets.\n"
		     "# TYPE np_packets_total counter\n"
		     "np_packets_total{interface=\"eth\\\"0\"} 5\n"
		     "np_packets_total{interface=\"lo\"} 1000000\n");
	free(s);
}

static void test_plain(void)
{
	char *s = render(NP_FMT_PLAIN);

	CHECK_STR(s, "IF          PKTS\neth\"0          5\nlo          1.0M\n");
	free(s);
}

static void test_error_json(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct np_out *o = out_new(NP_FMT_JSON, false, false, f);

	out_error(o, "bad \"thing\"");
	out_free(o);
	fclose(f);
	CHECK_STR(buf, "{\"error\":\"bad \\\"thing\\\"\"}\n");
	free(buf);
}

/* Live events: JSON Lines (one compact object per line, no array) and
 * explicit nulls, "-" for those in plain text. */
static char *render_stream(enum np_format fmt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct np_out *o = out_new(fmt, true, false, f);

	out_table_begin(o, NULL, cols, 3, NP_LAYOUT_STREAM);
	for (int i = 0; i < 2; i++) {
		out_row_begin(o);
		out_str(o, C_NAME, i ? "lo" : "a0");
		if (i)
			out_null(o, C_PKTS);
		else
			out_u64(o, C_PKTS, 7);
		out_row_end(o);
	}
	out_table_end(o);
	out_free(o);
	fclose(f);
	return buf;
}

static void test_stream(void)
{
	char *s = render_stream(NP_FMT_JSON);

	CHECK_STR(s, "{\"interface\":\"a0\",\"packets\":7}\n"
		     "{\"interface\":\"lo\",\"packets\":null}\n");
	free(s);
	s = render_stream(NP_FMT_PLAIN);
	CHECK_STR(s, "IF          PKTS\na0             7\nlo             -\n");
	free(s);
}

/* Text that is not UTF-8 is escaped (\xNN), never dropped nor passed raw. */
static void test_not_utf8(void)
{
	char *buf = NULL, lbl[64];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct np_out *o = out_new(NP_FMT_JSON, false, false, f);
	json_t *doc, *row;

	out_object_begin(o);
	out_kv_str(o, "path", "path:", "/tmp/\xff\xfe.env");
	out_table_begin(o, "rows", cols, 3, NP_LAYOUT_TABLE);
	out_row_begin(o);
	out_str(o, C_NAME, "\xc3\x28x\xc3\xa9");	/* a bad pair, then a good é */
	out_u64(o, C_PKTS, 1);
	out_row_end(o);
	out_row_begin(o);
	out_str(o, C_NAME, "\xed\xa0\x80\xf8");	/* a surrogate, a 5-byte lead */
	out_row_end(o);
	out_table_end(o);
	out_object_end(o);
	out_free(o);
	fclose(f);
	doc = json_loads(buf, 0, NULL);
	CHECK(doc != NULL);
	CHECK_STR(json_string_value(json_object_get(doc, "path")) ?: "", "/tmp/\\xff\\xfe.env");
	row = json_array_get(json_object_get(doc, "rows"), 0);
	CHECK_STR(json_string_value(json_object_get(row, "interface")) ?: "", "\\xc3(x\xc3\xa9");
	row = json_array_get(json_object_get(doc, "rows"), 1);
	CHECK_STR(json_string_value(json_object_get(row, "interface")) ?: "",
		  "\\xed\\xa0\\x80\\xf8");
	json_decref(doc);
	free(buf);

	/* An error message quoting a bad argument. */
	buf = NULL;
	f = open_memstream(&buf, &len);
	o = out_new(NP_FMT_JSON, false, false, f);
	out_error(o, "unknown command '\xff'");
	out_free(o);
	fclose(f);
	CHECK_STR(buf, "{\"error\":\"unknown command '\\\\xff'\"}\n");
	free(buf);

	fmt_prom_label(lbl, sizeof(lbl), "a\xff\xc3\xa9\"");
	CHECK_STR(lbl, "a\\\\xff\xc3\xa9\\\"");
}

enum { L_NAME, L_CIDRS, L_PORTS, L_PKTS };

static const struct np_col list_cols[] = {
	[L_NAME] = { "interface", "IF", -4, NP_K_STR, NP_P_LABEL },
	[L_CIDRS] = { "pod_cidr", "CIDRS", -24, NP_K_STR, NP_P_LABEL },
	[L_PORTS] = { "ports", "PORTS", -10, NP_K_U64, NP_P_COUNTER, "np_ports", "Not one." },
	[L_PKTS] = { "packets", "PKTS", 4, NP_K_COUNT, NP_P_COUNTER, "np_packets_total", "P." },
};

/* Three rows with lists: two items, none, and text that is not UTF-8. */
static char *render_lists(enum np_format fmt, bool pretty)
{
	static const char *const cidrs[] = { "10.244.2.0/24", NULL, "fd00::/64" };
	static const char *const odd[] = { "a\"b", "\xff\xc3\xa9" };
	static const __u64 ports[] = { 4789, 8472, 65535 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct np_out *o = out_new(fmt, pretty, false, f);

	out_table_begin(o, NULL, list_cols, ARRAY_SIZE(list_cols), NP_LAYOUT_TABLE);
	out_row_begin(o);
	out_str(o, L_NAME, "a0");
	out_strv(o, L_CIDRS, cidrs, 3);
	out_u64v(o, L_PORTS, ports, 2);
	out_u64(o, L_PKTS, 5);
	out_row_end(o);
	out_row_begin(o);
	out_str(o, L_NAME, "b0");
	out_strv(o, L_CIDRS, NULL, 0);
	out_u64v(o, L_PORTS, ports, 0);
	out_u64(o, L_PKTS, 6);
	out_row_end(o);
	out_row_begin(o);
	out_str(o, L_NAME, "c0");
	out_strv(o, L_CIDRS, odd, 2);
	out_u64v(o, L_PORTS, ports + 2, 1);
	out_row_end(o);
	out_table_end(o);
	out_free(o);
	fclose(f);
	return buf;
}

static void test_lists(void)
{
	json_t *doc, *a;
	char *s;

	for (int pretty = 0; pretty < 2; pretty++) {
		s = render_lists(NP_FMT_JSON, pretty);
		doc = json_loads(s, 0, NULL);
		CHECK(doc && json_array_size(doc) == 3);
		/* Arrays, NULL items left out, empty ones there and empty. */
		a = json_object_get(json_array_get(doc, 0), "pod_cidr");
		CHECK(json_is_array(a) && json_array_size(a) == 2);
		CHECK_STR(json_string_value(json_array_get(a, 0)) ?: "", "10.244.2.0/24");
		CHECK_STR(json_string_value(json_array_get(a, 1)) ?: "", "fd00::/64");
		a = json_object_get(json_array_get(doc, 0), "ports");
		CHECK(json_is_array(a) && json_array_size(a) == 2);
		CHECK(json_is_integer(json_array_get(a, 0)) &&
		      json_integer_value(json_array_get(a, 1)) == 8472);
		a = json_object_get(json_array_get(doc, 1), "pod_cidr");
		CHECK(json_is_array(a) && json_array_size(a) == 0);
		a = json_object_get(json_array_get(doc, 1), "ports");
		CHECK(json_is_array(a) && json_array_size(a) == 0);
		/* Escaped as out_str escapes: a quote, a stray byte as \xNN. */
		a = json_object_get(json_array_get(doc, 2), "pod_cidr");
		CHECK_STR(json_string_value(json_array_get(a, 0)) ?: "", "a\"b");
		CHECK_STR(json_string_value(json_array_get(a, 1)) ?: "", "\\xff\xc3\xa9");
		a = json_object_get(json_array_get(doc, 2), "ports");
		CHECK(json_array_size(a) == 1 && json_integer_value(json_array_get(a, 0)) == 65535);
		json_decref(doc);
		free(s);
	}
	s = render_lists(NP_FMT_JSON, false);
	CHECK(strstr(s, "{\"interface\":\"a0\",\"pod_cidr\":[\"10.244.2.0/24\",\"fd00::/64\"],"
			"\"ports\":[4789,8472],\"packets\":5}") != NULL);
	free(s);
	s = render_lists(NP_FMT_PLAIN, false);
	CHECK_STR(s, "IF    CIDRS                     PORTS       PKTS\n"
		     "a0    10.244.2.0/24,fd00::/64   4789,8472      5\n"
		     "b0    -                         -              6\n"
		     "c0    a\"b,\xff\xc3\xa9" "                   65535          -\n");
	free(s);
	/* Prometheus: a list is neither a label nor a sample. */
	s = render_lists(NP_FMT_PROM, false);
	CHECK_STR(s, "# HELP np_packets_total P.\n"
		     "# TYPE np_packets_total counter\n"
		     "np_packets_total{interface=\"a0\"} 5\n"
		     "np_packets_total{interface=\"b0\"} 6\n");
	free(s);
}

/* A histogram: cumulative buckets with le after the row's labels, _sum, _count. */
static void test_hist(void)
{
	static const double le[] = { 0.001, 0.25 };
	static const struct np_col hcols[] = {
		{ .key = "interface", .kind = NP_K_STR, .prom = NP_P_LABEL },
		{ .key = "hs", .kind = NP_K_COUNT, .prom = NP_P_HISTOGRAM, .metric = "np_hs_seconds",
		  .help = "H." },
	};
	const __u64 a[] = { 1, 2, 3 }, z[] = { 0, 0, 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct np_out *o = out_new(NP_FMT_PROM, false, false, f);

	out_prom_label(o, "node", "n1");
	out_table_begin(o, NULL, hcols, 2, NP_LAYOUT_TABLE);
	out_row_begin(o);
	out_str(o, 0, "b0");
	out_hist(o, 1, le, 2, a, 1.5);
	out_row_end(o);
	out_row_begin(o);
	out_hist(o, 1, le, 2, z, 0);
	out_row_end(o);
	out_table_end(o);
	out_free(o);
	fclose(f);
	CHECK_STR(buf, "# HELP np_hs_seconds H.\n"
		       "# TYPE np_hs_seconds histogram\n"
		       "np_hs_seconds_bucket{interface=\"b0\",node=\"n1\",le=\"0.001\"} 1\n"
		       "np_hs_seconds_bucket{interface=\"b0\",node=\"n1\",le=\"0.25\"} 3\n"
		       "np_hs_seconds_bucket{interface=\"b0\",node=\"n1\",le=\"+Inf\"} 6\n"
		       "np_hs_seconds_sum{interface=\"b0\",node=\"n1\"} 1.5\n"
		       "np_hs_seconds_count{interface=\"b0\",node=\"n1\"} 6\n"
		       "np_hs_seconds_bucket{node=\"n1\",le=\"0.001\"} 0\n"
		       "np_hs_seconds_bucket{node=\"n1\",le=\"0.25\"} 0\n"
		       "np_hs_seconds_bucket{node=\"n1\",le=\"+Inf\"} 0\n"
		       "np_hs_seconds_sum{node=\"n1\"} 0\n"
		       "np_hs_seconds_count{node=\"n1\"} 0\n");
	free(buf);
}

/* Rows of a table into f; returns out_broken() after the last row. */
static bool write_rows(struct np_out *o, enum np_layout layout, int n)
{
	out_table_begin(o, NULL, cols, 3, layout);
	for (int i = 0; i < n && !out_broken(o); i++) {
		out_row_begin(o);
		out_str(o, C_NAME, "eth0");
		out_u64(o, C_PKTS, i);
		out_row_end(o);
	}
	out_table_end(o);
	return out_broken(o);
}

/* A full disk: the first failed write is remembered with its errno. */
static void test_write_full(void)
{
	enum np_format fmts[] = { NP_FMT_PLAIN, NP_FMT_JSON, NP_FMT_PROM };
	struct np_out *o;
	FILE *f;

	for (size_t i = 0; i < ARRAY_SIZE(fmts); i++) {
		f = fopen("/dev/full", "w");
		o = out_new(fmts[i], false, false, f);

		/* A short table fits the buffer: the flush at the end fails. */
		CHECK(!write_rows(o, NP_LAYOUT_TABLE, 2));
		CHECK(out_end(o) == -ENOSPC);
		CHECK(out_end(o) == -ENOSPC);	/* once failed, stays failed */
		CHECK(out_free(o) == -ENOSPC);
		fclose(f);
	}
	/* A long one fails on the way and stops early. */
	f = fopen("/dev/full", "w");
	o = out_new(NP_FMT_PLAIN, false, false, f);

	CHECK(write_rows(o, NP_LAYOUT_TABLE, 100000));
	CHECK(out_free(o) == -ENOSPC);
	fclose(f);
	/* Live rows are flushed one by one: the first one fails. */
	f = fopen("/dev/full", "w");
	o = out_new(NP_FMT_JSON, false, false, f);
	CHECK(write_rows(o, NP_LAYOUT_STREAM, 1));
	CHECK(out_free(o) == -ENOSPC);
	fclose(f);
}

/* A buffer too small for the document (fmemopen): an error, not a cut file. */
static void test_write_short_buffer(void)
{
	char mem[16];
	FILE *f = fmemopen(mem, sizeof(mem), "w");
	struct np_out *o = out_new(NP_FMT_JSON, false, false, f);

	setvbuf(f, NULL, _IONBF, 0);
	write_rows(o, NP_LAYOUT_TABLE, 5);
	CHECK(out_free(o) < 0);
	fclose(f);
}

/* The error document is remembered, so that main() can say what was lost. */
static void test_error_doc_lost(void)
{
	FILE *f = fopen("/dev/full", "w");
	struct np_out *o = out_new(NP_FMT_JSON, false, false, f);

	CHECK(out_error_doc(o) == NULL);
	out_error(o, "nothing is attached");
	CHECK_STR(out_error_doc(o) ? out_error_doc(o) : "", "nothing is attached");
	CHECK(out_end(o) == -ENOSPC);
	out_free(o);
	fclose(f);
}

/* A reader that went away is EPIPE, which main() leaves quiet. */
static void test_write_epipe(void)
{
	int p[2];
	FILE *f;
	struct np_out *o;

	signal(SIGPIPE, SIG_IGN);
	if (pipe(p)) {
		CHECK(!"pipe");
		return;
	}
	close(p[0]);
	f = fdopen(p[1], "w");
	o = out_new(NP_FMT_PLAIN, false, false, f);
	write_rows(o, NP_LAYOUT_TABLE, 3);
	CHECK(out_free(o) == -EPIPE);
	fclose(f);
}

/* A healthy stream reports nothing. */
static void test_write_ok(void)
{
	FILE *f = fopen("/dev/null", "w");
	struct np_out *o = out_new(NP_FMT_JSON, false, false, f);

	CHECK(!write_rows(o, NP_LAYOUT_TABLE, 1000));
	CHECK(out_end(o) == 0);
	CHECK(out_free(o) == 0);
	fclose(f);
}

/* A closed stdout: the stream that stands for it fails every write. */
static void test_failing_stream(void)
{
	FILE *f = out_failing_stream(EBADF);
	struct np_out *o = out_new(NP_FMT_PLAIN, false, false, f);

	CHECK(!write_rows(o, NP_LAYOUT_TABLE, 1));
	CHECK(out_free(o) == -EBADF);
	fclose(f);
	/* Nothing written, nothing lost. */
	f = out_failing_stream(EBADF);
	o = out_new(NP_FMT_JSON, false, false, f);
	CHECK(out_free(o) == 0);
	fclose(f);
}

/* In a child: closed fds 1 and 2 get /dev/null, and the first open() after is 3. */
static void test_park_closed_fds(void)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		int mask, fd;

		close(STDOUT_FILENO);
		close(STDERR_FILENO);
		mask = out_park_closed_fds();
		fd = open("/dev/null", O_RDONLY);
		_exit(mask == (1 << 1 | 1 << 2) && fd == 3 && fcntl(1, F_GETFD) >= 0 &&
		      out_park_closed_fds() == 0 ? 0 : 1);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0);
}

int main(void)
{
	test_units();
	test_json();
	test_prom();
	test_plain();
	test_error_json();
	test_stream();
	test_not_utf8();
	test_lists();
	test_hist();
	test_write_full();
	test_write_short_buffer();
	test_error_doc_lost();
	test_write_epipe();
	test_write_ok();
	test_failing_stream();
	test_park_closed_fds();
	UNIT_DONE();
}
