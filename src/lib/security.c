// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "maps.h"
#include "inet.h"
#include "security.h"
#include "state.h"

void np_sec_config_defaults(struct np_sec_config *c)
{
	memset(c, 0, sizeof(*c));
	c->set = 1;
	c->scan_ports = NP_SEC_DEF_SCAN_PORTS;
	c->scan_window_ns = NP_SEC_DEF_SCAN_WINDOW_NS;
	c->syn_rate = NP_SEC_DEF_SYN_RATE;
	c->syn_complete_pct = NP_SEC_DEF_SYN_COMPLETE;
	c->fail_conns = NP_SEC_DEF_FAIL_CONNS;
	c->fail_pct = NP_SEC_DEF_FAIL_PCT;
	c->fail_timeout_ns = NP_SEC_DEF_FAIL_TIMEOUT_NS;
}

int np_sec_config_read(struct np_ctx *ctx, struct np_sec_config *c)
{
	__u32 key = 0;
	int fd, err = 0;

	np_sec_config_defaults(c);
	fd = np_map_open(ctx, "np_security_config");
	if (fd < 0)
		return fd;
	/* Not yet written: the BPF side uses the defaults too. */
	if (bpf_map_lookup_elem(fd, &key, c)) {
		err = errno == ENOENT ? 0 : -errno;
		np_sec_config_defaults(c);
	} else if (!c->set) {
		np_sec_config_defaults(c);
	}
	close(fd);
	return err;
}

const char *np_alert_kind_name(unsigned int kind)
{
	switch (kind) {
	case NP_ALERT_PORT_SCAN: return "port-scan";
	case NP_ALERT_SYN_FLOOD: return "syn-flood";
	case NP_ALERT_UDP_SCAN: return "udp-scan";
	case NP_ALERT_ACK_SCAN: return "ack-scan";
	case NP_ALERT_FIN_SCAN: return "fin-scan";
	case NP_ALERT_NULL_SCAN: return "null-scan";
	case NP_ALERT_XMAS_SCAN: return "xmas-scan";
	case NP_ALERT_FAILED_CONN: return "failed-conn";
	}
	return NULL;
}

static int by_first_seen(const void *a, const void *b)
{
	const struct np_alert *x = a, *y = b;

	return x->first_ns < y->first_ns ? -1 : x->first_ns > y->first_ns;
}

int np_alerts_read(struct np_ctx *ctx, struct np_alert **out, int *n)
{
	struct np_alert_key key, next;
	struct np_alert *v = NULL;
	int fd, cnt = 0;
	bool first = true;

	*out = NULL;
	*n = 0;
	fd = np_map_open(ctx, "np_alerts");
	if (fd < 0)
		return fd;
	/* The LRU holds at most a few thousand alerts: keep them to sort them. */
	while (!bpf_map_get_next_key(fd, first ? NULL : &key, &next)) {
		struct np_alert *nv = realloc(v, (cnt + 1) * sizeof(*v));

		if (!nv)
			break;
		v = nv;
		first = false;
		key = next;
		if (!bpf_map_lookup_elem(fd, &key, &v[cnt]) && np_alert_kind_name(v[cnt].kind))
			cnt++;
	}
	close(fd);
	np_sort(v, cnt, sizeof(*v), by_first_seen);
	*out = v;
	*n = cnt;
	return 0;
}

int np_alerts_total(struct np_ctx *ctx, __u64 totals[NP_ALERT_KIND_MAX])
{
	int fd = np_map_open(ctx, "np_alerts_total");

	memset(totals, 0, NP_ALERT_KIND_MAX * sizeof(__u64));
	if (fd < 0)
		return fd;
	for (__u32 k = 1; k < NP_ALERT_KIND_MAX; k++)
		np_percpu_sum(fd, &k, &totals[k], 1);
	close(fd);
	return 0;
}

__u64 np_alert_sources(const struct np_alert *a)
{
	const double m = NP_SEC_SOURCE_BITS;
	int set = 0;

	for (size_t i = 0; i < ARRAY_SIZE(a->src_bits); i++)
		set += __builtin_popcountll(a->src_bits[i]);
	/* Linear counting: the expected sources behind `set` of m hashed bits. A
	 * full set says only "many": report the estimate for one bit short. */
	if (set >= (int)m)
		set = m - 1;
	return (__u64)llround(-m * log(1.0 - set / m));
}

void np_alert_clock_now(struct np_alert_clock *c)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	c->now_mono = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	c->mono_to_real = np_mono_to_real_offset();
}

enum {
	A_KIND, A_SRC, A_DST, A_DPORT, A_PORTS, A_HOSTS, A_RATE, A_COUNT, A_COMPLETED,
	A_FAILED, A_SOURCES, A_FIRST, A_LAST, A_ACTIVE, A_IF, A_NCOLS,
};

_Static_assert(A_NCOLS == NP_ALERT_NCOLS, "NP_ALERT_NCOLS is the number of alert columns");

const struct np_col np_alert_cols[NP_ALERT_NCOLS] = {
	[A_KIND] = { "kind", "KIND", -11, NP_K_STR },
	[A_SRC] = { "src", "SRC", -15, NP_K_STR },
	[A_DST] = { "dst", "DST", -15, NP_K_STR },
	[A_DPORT] = { "dport", "PORT", 5, NP_K_U64 },
	[A_PORTS] = { "port_count", "PORTS", 6, NP_K_U64 },
	[A_HOSTS] = { "host_count", NULL, 0, NP_K_U64 },
	[A_RATE] = { "rate", "RATE/S", 7, NP_K_COUNT },
	[A_COUNT] = { "count", "SYNS", 7, NP_K_COUNT },
	[A_COMPLETED] = { "completed", NULL, 0, NP_K_COUNT },
	[A_FAILED] = { "failed", NULL, 0, NP_K_COUNT },
	[A_SOURCES] = { "source_count", NULL, 0, NP_K_COUNT },
	[A_FIRST] = { "first_seen", "FIRST SEEN", -19, NP_K_TIME },
	[A_LAST] = { "last_seen", "LAST SEEN", -19, NP_K_TIME },
	[A_ACTIVE] = { "active", "ACTIVE", -6, NP_K_BOOL },
	[A_IF] = { "interface", NULL, 0, NP_K_STR },
};

const int np_alert_ncols = A_NCOLS;

void np_alert_cols_fit(struct np_col *cols, int w)
{
	memcpy(cols, np_alert_cols, A_NCOLS * sizeof(*cols));
	if (w > -cols[A_SRC].width)
		cols[A_SRC].width = cols[A_DST].width = -w;
}

void np_alert_rec_make(struct np_alert_rec *r, const struct np_alert *a,
		       const struct np_alert_clock *clk)
{
	memset(r, 0, sizeof(*r));
	r->a = *a;
	/* Per second: ports a scan touched, or SYNs a target got, at the peak. */
	r->rate = a->window_ns ? a->peak * 1000000000ull / a->window_ns : 0;
	if (a->kind == NP_ALERT_SYN_FLOOD)
		r->sources = np_alert_sources(a);
	r->active = clk->now_mono < a->active_until_ns;
}

static const char *const kind_words[] = { "port-scan", "syn-flood", "udp-scan", "ack-scan",
					  "fin-scan", "null-scan", "xmas-scan", "failed-conn",
					  NULL };
static const unsigned kind_values[] = { NP_ALERT_PORT_SCAN, NP_ALERT_SYN_FLOOD,
					NP_ALERT_UDP_SCAN, NP_ALERT_ACK_SCAN, NP_ALERT_FIN_SCAN,
					NP_ALERT_NULL_SCAN, NP_ALERT_XMAS_SCAN,
					NP_ALERT_FAILED_CONN };
_Static_assert(ARRAY_SIZE(kind_values) == NP_ALERT_KIND_MAX - 1, "a word per alert kind");

#define R(m) NP_FIELD(struct np_alert_rec, m)

/* The filters both alert lists take: which alerts, by kind and address. */
#define ALERT_FILTERS \
	{ "kind", NP_M_WORD, R(a.kind), .words = kind_words, .values = kind_values }, \
	{ "src", NP_M_CIDR, R(a.src), .meta = "CIDR" }, \
	{ "dst", NP_M_CIDR, R(a.dst), .meta = "CIDR" }

static const struct np_filter_def alert_filters[] = {
	ALERT_FILTERS,
	{ "active", NP_M_FLAG, .f = R(active) },
	{ 0 },
};

static const struct np_filter_def alert_watch_filters[] = {
	ALERT_FILTERS,
	{ "count", NP_M_OPT, .min = 1, .max = 1ull << 40 },
	{ 0 },
};

/* Biggest or latest first; ties go by the keys after. */
static const struct np_sort_def alert_sorts[] = {
	{ "last", R(a.last_ns) },
	{ "first", R(a.first_ns) },
	{ "count", R(a.syns) },
	{ "ports", R(a.ports) },
	{ "hosts", R(a.hosts) },
	{ "rate", R(rate) },
	{ "sources", R(sources) },
	{ 0 },
};

const struct np_table np_alerts_table = {
	.what = "show alerts",
	.rec_size = sizeof(struct np_alert_rec),
	.filters = alert_filters,
	.sorts = alert_sorts,
	.top = true,
	.ifindex = R(a.ifindex),
};

const struct np_table np_alerts_watch_table = {
	.what = "watch alerts",
	.rec_size = sizeof(struct np_alert_rec),
	.filters = alert_watch_filters,
	.ifindex = R(a.ifindex),
};

#undef R
#undef ALERT_FILTERS

void np_alert_emit(struct np_query *q, const struct np_alert_rec *r,
		   const struct np_alert_clock *clk)
{
	struct np_out *o = q->ctx->out;
	const struct np_alert *a = &r->a;
	bool flood = a->kind == NP_ALERT_SYN_FLOOD, fail = a->kind == NP_ALERT_FAILED_CONN;
	char buf[INET6_ADDRSTRLEN];
	const char *dev;

	out_str(o, A_KIND, np_alert_kind_name(a->kind));
	np_addr_str(a->src, buf, sizeof(buf));
	out_str(o, A_SRC, buf);
	np_addr_str(a->dst, buf, sizeof(buf));
	out_str(o, A_DST, buf);
	if (flood)
		out_u64(o, A_DPORT, a->dport);
	out_u64(o, A_PORTS, a->ports);
	out_u64(o, A_HOSTS, a->hosts);
	out_u64(o, A_RATE, r->rate);
	out_u64(o, A_COUNT, a->syns);
	if (flood || fail)
		out_u64(o, A_COMPLETED, a->completed);
	/* Attempts of the last fail-timeout count as failed until they complete. */
	if (fail)
		out_u64(o, A_FAILED, a->syns > a->completed ? a->syns - a->completed : 0);
	if (flood)
		out_u64(o, A_SOURCES, r->sources);
	out_u64(o, A_FIRST, a->first_ns + clk->mono_to_real);
	out_u64(o, A_LAST, a->last_ns + clk->mono_to_real);
	out_bool(o, A_ACTIVE, r->active);
	dev = np_query_names(q, r)->dev;
	if (*dev)
		out_str(o, A_IF, dev);
}

enum { K_KIND, K_TOTAL, K_ACTIVE };

static const struct np_col kind_cols[] = {
	[K_KIND] = { "kind", "KIND", -11, NP_K_STR, NP_P_LABEL },
	[K_TOTAL] = { "alerts_total", "ALERTS", 8, NP_K_COUNT, NP_P_COUNTER,
		      "netprobe_alerts_total",
		      "Alerts raised by the kernel since the security maps were created." },
	[K_ACTIVE] = { "active_count", "ACTIVE", 7, NP_K_COUNT, NP_P_GAUGE, "netprobe_alerts_active",
		       "Alerts whose episode is still going on, among those kept." },
};

void np_alert_kinds_table(struct np_ctx *ctx, const char *key, const struct np_alert *alerts,
			  int n, const struct np_alert_clock *clk, unsigned int kind)
{
	__u64 totals[NP_ALERT_KIND_MAX];

	np_alerts_total(ctx, totals);
	out_table_begin(ctx->out, key, kind_cols, ARRAY_SIZE(kind_cols), NP_LAYOUT_TABLE);
	for (unsigned int k = 1; k < NP_ALERT_KIND_MAX; k++) {
		__u64 active = 0;

		if (kind && k != kind)
			continue;
		for (int i = 0; i < n; i++)
			active += alerts[i].kind == k && clk->now_mono < alerts[i].active_until_ns;
		out_row_begin(ctx->out);
		out_str(ctx->out, K_KIND, np_alert_kind_name(k));
		out_u64(ctx->out, K_TOTAL, totals[k]);
		out_u64(ctx->out, K_ACTIVE, active);
		out_row_end(ctx->out);
	}
	out_table_end(ctx->out);
}
