// SPDX-License-Identifier: GPL-2.0
/*
 * netprobe show flows [dev DEV] [dir ingress|egress] [hook xdp|tc] [proto P]
 *                     [src CIDR] [dst CIDR] [port N] [sport N] [dport N]
 *                     [sort bytes|packets|last|rtt] [top N]
 *
 * The flow table through the model (lib/model.h): the table walk makes
 * records, the query filters them in user space, and rows stream straight
 * to the output unless an order is asked for: `top N` keeps a heap of N
 * flows, `sort` alone keeps the matching flows (never more than one copy
 * of the table). Plain text is for people and sorts by bytes by default;
 * --json and --prom keep table order and stream.
 */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cmd.h"
#include "lib/device.h"
#include "lib/flowtable.h"
#include "lib/handshake.h"
#include "lib/maps.h"
#include "lib/model.h"
#include "lib/out.h"
#include "lib/state.h"

enum {
	C_IF, C_IFINDEX, C_DIR, C_HOOK, C_PROTO, C_PROTO_NUM, C_SRC, C_SPORT, C_DST, C_DPORT,
	C_PKTS, C_BYTES, C_FLAGS, C_RTT, C_RTT_SYNACK, C_RTT_ACK, C_FIRST, C_LAST, C_TRUNC,
	C_FRAGS, C_LATER_FRAG,
	C_SRC_K8S, C_DST_K8S, C_K8S_DIR,
};

static const struct np_col flow_cols[] = {
	[C_IF] = { "interface", "INTERFACE", -10, NP_K_STR, NP_P_LABEL },
	[C_IFINDEX] = { "ifindex", NULL, 0, NP_K_U64 },
	[C_DIR] = { "direction", "DIR", -7, NP_K_STR, NP_P_LABEL },
	[C_HOOK] = { "hook", NULL, 0, NP_K_STR, NP_P_LABEL },
	[C_PROTO] = { "proto", "PROTO", -6, NP_K_STR, NP_P_LABEL },
	[C_PROTO_NUM] = { "proto_number", NULL, 0, NP_K_U64 },
	[C_SRC] = { "src", "SRC", -15, NP_K_STR, NP_P_LABEL },
	[C_SPORT] = { "sport", "SPORT", 5, NP_K_U64, NP_P_LABEL },
	[C_DST] = { "dst", "DST", -15, NP_K_STR, NP_P_LABEL },
	[C_DPORT] = { "dport", "DPORT", 5, NP_K_U64, NP_P_LABEL },
	[C_PKTS] = { "packets", "PACKETS", 8, NP_K_COUNT, NP_P_COUNTER,
		     "netprobe_flow_packets_total", "Packets of one flow (top N flows only)." },
	[C_BYTES] = { "bytes", "BYTES", 9, NP_K_BYTES, NP_P_COUNTER,
		      "netprobe_flow_bytes_total",
		      "Bytes of one flow, Ethernet header and VLAN tags included (top N only)." },
	[C_FLAGS] = { "tcp_flags", "FLAGS", -8, NP_K_STR },
	/* The TCP handshake this flow opened (its SYN), microseconds; null if none. */
	[C_RTT] = { "rtt_us", "RTT(us)", 8, NP_K_U64 },
	[C_RTT_SYNACK] = { "rtt_synack_us", NULL, 0, NP_K_U64 },
	[C_RTT_ACK] = { "rtt_ack_us", NULL, 0, NP_K_U64 },
	[C_FIRST] = { "first_seen", "FIRST SEEN", -19, NP_K_TIME },
	[C_LAST] = { "last_seen", "LAST SEEN", -19, NP_K_TIME },
	[C_TRUNC] = { "truncated", NULL, 0, NP_K_COUNT },
	[C_FRAGS] = { "fragments", NULL, 0, NP_K_COUNT },
	[C_LATER_FRAG] = { "later_fragment", NULL, 0, NP_K_BOOL },
	/* With k8s (SRC and DST then name the ends in plain text): */
	[C_SRC_K8S] = { "src_k8s", NULL, 0, NP_K_STR },
	[C_DST_K8S] = { "dst_k8s", NULL, 0, NP_K_STR },
	[C_K8S_DIR] = { "k8s_direction", NULL, 0, NP_K_STR, NP_P_LABEL },
};

enum { S_MAX, S_ENTRIES, S_INSERTS, S_EVICT, S_FAIL, S_TRUNC, S_FRAGS, S_NONIP };

#define G(name, help) NP_P_GAUGE, "netprobe_flow_table_" name, help
#define T(name, help) NP_P_COUNTER, "netprobe_flow_" name "_total", help

/* Table-wide figures: --prom only (JSON has them in `status`). */
static const struct np_col summary_cols[] = {
	[S_MAX] = { "max_entries", NULL, 0, NP_K_U64, G("max_entries", "Size of the flow table.") },
	[S_ENTRIES] = { "entries", NULL, 0, NP_K_U64, G("entries", "Flows in the table.") },
	[S_INSERTS] = { "inserts", NULL, 0, NP_K_U64,
			T("inserts", "Flows inserted into the table.") },
	[S_EVICT] = { "evictions", NULL, 0, NP_K_U64,
		      T("evictions", "Flows the full table evicted (inserts - flushed - entries).") },
	[S_FAIL] = { "insert_failures", NULL, 0, NP_K_U64,
		     T("insert_failures", "Packets of new flows the table refused.") },
	[S_TRUNC] = { "truncated", NULL, 0, NP_K_U64,
		      T("truncated_packets", "Packets shorter than their IP header said.") },
	[S_FRAGS] = { "fragments", NULL, 0, NP_K_U64,
		      T("fragments", "Non-first IP fragments, counted with ports 0.") },
	[S_NONIP] = { "non_ip", NULL, 0, NP_K_U64,
		      T("non_ip_packets", "Frames neither IPv4 nor IPv6, in no flow.") },
};

static const char *const dir_words[] = { "ingress", "egress", NULL };
static const char *const k8s_dir_words[] = { "intra-node", "inter-node", "ingress", "egress",
					      NULL };
static const char *const hook_words[] = { "xdp", "tc", NULL };
static const unsigned hook_values[] = { 1, 0 };

#define R(m) NP_FIELD(struct np_flow, m)

static const struct np_filter_def flow_filters[] = {
	{ "dev", NP_M_DEV, R(key.ifindex), .meta = "DEV", .scope = NP_DEV_TRAFFIC },
	{ "dir", NP_M_WORD, R(egress), .words = dir_words },
	{ "hook", NP_M_WORD, R(xdp), .words = hook_words, .values = hook_values },
	{ "proto", NP_M_PROTO, R(key.proto), .meta = "P" },
	{ "src", NP_M_CIDR, R(key.src), .meta = "CIDR" },
	{ "dst", NP_M_CIDR, R(key.dst), .meta = "CIDR" },
	{ "port", NP_M_PORT, R(key.sport), R(key.dport), .cond = R(has_ports) },
	{ "sport", NP_M_UINT, R(key.sport), .max = 65535, .cond = R(has_ports) },
	{ "dport", NP_M_UINT, R(key.dport), .max = 65535, .cond = R(has_ports) },
	{ "fragments", NP_M_FLAG, R(later_fragment), .meta = NULL },
	{ "k8s", NP_M_SWITCH, .meta = NULL },
	{ "namespace", NP_M_K8S_NS, .meta = "NS" },
	{ "pod", NP_M_K8S_POD, .meta = "POD" },
	{ "service", NP_M_K8S_SVC, .meta = "SERVICE" },
	{ "k8s-direction", NP_M_K8S_DIR, .words = k8s_dir_words },
	{ 0 },
};

static const struct np_sort_def flow_sorts[] = {
	{ "bytes", R(val.bytes) },
	{ "packets", R(val.packets) },
	{ "last", R(val.last_seen) },
	{ "rtt", R(rtt_us) },
	{ 0 },
};

const struct np_table np_flows_table = {
	.what = "show flows",
	.rec_size = sizeof(struct np_flow),
	.filters = flow_filters,
	.sorts = flow_sorts,
	.top = true,
	.ifindex = R(key.ifindex),
	.src = R(key.src), .dst = R(key.dst), .sport = R(key.sport), .dport = R(key.dport),
	.proto = R(key.proto), .first_seen = R(val.first_seen), .mono_first_seen = true,
};

/*
 * The state a query of the flow table needs, after np_query_parse(): the
 * pins (a `dev` that is not attached is said so), its devices bound, and
 * the k8s resolver when a k8s word asks for it. 0 or an error already said.
 */
int np_flows_query_open(struct np_query *q, struct np_ctx *ctx);

/* show graph: the same records and filters; a graph holds every edge (no sort, no top). */
const struct np_table np_graph_table = {
	.what = "show graph",
	.rec_size = sizeof(struct np_flow),
	.filters = flow_filters,
	.ifindex = R(key.ifindex),
	.src = R(key.src), .dst = R(key.dst), .sport = R(key.sport), .dport = R(key.dport),
	.proto = R(key.proto), .first_seen = R(val.first_seen), .mono_first_seen = true,
};

#undef R

const char *np_show_flows_synopsis(void)
{
	static char buf[512];

	return buf[0] ? buf : np_table_synopsis(&np_flows_table, buf, sizeof(buf));
}

struct show {
	struct np_ctx *ctx;
	struct np_query q;
	bool rows;		/* print flows at all (--prom: only with top N) */
	__u64 mono_to_real;
	struct np_col cols[ARRAY_SIZE(flow_cols)];	/* as shown: HOOK when XDP is on */
};

/* The ends as the k8s resolver names them, for plain text; src/dst hold the addresses. */
static void ends_text(struct np_query *q, const struct np_flow *r, char *src, char *dst,
		      size_t n)
{
	const struct np_names *names = np_query_names(q, r);
	char a[160];

	snprintf(a, sizeof(a), "%s", src);
	np_k8s_who_text(&names->src_k8s, a, src, n);
	if (names->src_snat)
		snprintf(src + strlen(src), n - strlen(src), "%s", names->src_snat);
	snprintf(a, sizeof(a), "%s", dst);
	np_k8s_who_text(&names->dst_k8s, a, dst, n);
	if (names->dst_snat)
		snprintf(dst + strlen(dst), n - strlen(dst), "%s", names->dst_snat);
}

/*
 * The device's name from the query's cache. np_query_names() answers the
 * same, but copies the record and the name per row: a tenth of the time a
 * million rows take. It still names the k8s ends.
 */
static const char *flow_dev(struct np_query *q, const struct np_flow *r)
{
	if (q->k8s || !r->key.ifindex)
		return np_query_names(q, r)->dev;
	return np_query_dev_name(q, r->key.ifindex, 0);
}

static void print_flow(struct np_query *q, const void *rec, void *arg)
{
	const struct np_flow *r = rec;
	const struct np_flow_key *k = &r->key;
	const struct np_flow_value *v = &r->val;
	char src[160], dst[160], flags[16];
	struct show *s = arg;
	struct np_out *o = s->ctx->out;

	np_addr_str(k->src, src, sizeof(src));
	np_addr_str(k->dst, dst, sizeof(dst));
	out_row_begin(o);
	out_str(o, C_IF, flow_dev(q, r));
	out_u64(o, C_IFINDEX, k->ifindex);
	out_str(o, C_DIR, dir_words[r->egress]);
	out_str(o, C_HOOK, r->xdp ? "xdp" : "tc");
	np_out_proto(o, C_PROTO, C_PROTO_NUM, k->proto);
	if (s->q.k8s) {
		const struct np_names *n = np_query_names(q, rec);

		out_json_text(o, C_SRC_K8S, n->src_json, NULL);
		out_json_text(o, C_DST_K8S, n->dst_json, NULL);
		out_str(o, C_K8S_DIR, n->k8s_direction);
		/* People read the names where the addresses were. */
		if (out_format(o) == NP_FMT_PLAIN)
			ends_text(q, r, src, dst, sizeof(src));
	}
	out_str(o, C_SRC, src);
	out_str(o, C_DST, dst);
	np_out_ports(o, C_SPORT, C_DPORT, r->later_fragment, k->sport, k->dport);
	out_u64(o, C_PKTS, v->packets);
	out_u64(o, C_BYTES, v->bytes);
	if (k->proto == IPPROTO_TCP) {
		np_tcp_flags_str(v->tcp_flags, flags, sizeof(flags));
		out_str(o, C_FLAGS, flags);
	}
	if (v->hs_state == NP_HS_DONE) {
		out_u64(o, C_RTT, r->rtt_us);
		out_u64(o, C_RTT_SYNACK, v->hs_synack_us);
		out_u64(o, C_RTT_ACK, v->hs_ack_us);
	} else {
		out_null(o, C_RTT);
		out_null(o, C_RTT_SYNACK);
		out_null(o, C_RTT_ACK);
	}
	out_u64(o, C_FIRST, v->first_seen + s->mono_to_real);
	out_u64(o, C_LAST, v->last_seen + s->mono_to_real);
	out_u64(o, C_TRUNC, v->truncated);
	out_u64(o, C_FRAGS, v->fragments);
	out_bool(o, C_LATER_FRAG, r->later_fragment);
	out_row_end(o);
}

static int on_flow(const void *key, const void *value, void *arg)
{
	struct show *s = arg;
	struct np_flow r;

	np_flow_from_entry(&r, key, value);
	return np_query_add(&s->q, &r);
}

/* Plain text: address columns as wide as the widest address (or k8s name) shown. */
static void fit_columns(struct np_query *q, struct np_col *cols)
{
	int w = 7;

	for (size_t i = 0; i < np_query_rows(q); i++) {
		const struct np_flow *r = np_query_row(q, i);
		char a[160], b[160];
		int len;

		np_addr_str(r->key.src, a, sizeof(a));
		np_addr_str(r->key.dst, b, sizeof(b));
		if (q->k8s)
			ends_text(q, r, a, b, sizeof(a));
		len = strlen(a) > strlen(b) ? strlen(a) : strlen(b);
		w = len > w ? len : w;
	}
	cols[C_SRC].width = -w;
	cols[C_DST].width = -w;
}

static void print_summary(struct show *s, const struct np_flow_summary *sum, __u64 shown)
{
	struct np_out *o = s->ctx->out;
	char line[160];

	if (out_format(o) == NP_FMT_PROM) {
		out_table_begin(o, NULL, summary_cols, ARRAY_SIZE(summary_cols), NP_LAYOUT_TABLE);
		out_row_begin(o);
		out_u64(o, S_MAX, sum->max_entries);
		out_u64(o, S_ENTRIES, sum->entries);
		out_u64(o, S_INSERTS, sum->kernel.inserts);
		out_u64(o, S_EVICT, sum->evictions);
		out_u64(o, S_FAIL, sum->kernel.insert_failures);
		out_u64(o, S_TRUNC, sum->kernel.truncated);
		out_u64(o, S_FRAGS, sum->kernel.fragments);
		out_u64(o, S_NONIP, sum->kernel.non_ip);
		out_row_end(o);
		out_table_end(o);
	} else if (out_format(o) == NP_FMT_PLAIN) {
		snprintf(line, sizeof(line), "%llu of %llu matching", (unsigned long long)shown,
			 (unsigned long long)s->q.matched);
		out_kv_str(o, "shown", "flows shown:", line);
		snprintf(line, sizeof(line), "%llu of %u entries, %llu evictions, %llu insert failures",
			 (unsigned long long)sum->entries, sum->max_entries,
			 (unsigned long long)sum->evictions,
			 (unsigned long long)sum->kernel.insert_failures);
		out_kv_str(o, "flow_table", "flow table:", line);
	}
}

/* Which hook saw a flow tells rows apart once XDP and TC both count. */
static void columns_init(struct show *s)
{
	struct np_dev_entry *devs;
	int n;

	memcpy(s->cols, flow_cols, sizeof(s->cols));
	if (s->q.k8s) {
		s->cols[C_K8S_DIR].header = "CLASS";
		s->cols[C_K8S_DIR].width = -10;
	}
	if (np_devices_list(s->ctx, &devs, &n))
		return;
	for (int i = 0; i < n; i++)
		if (devs[i].rec.hooks & NP_DEV_XDP) {
			s->cols[C_HOOK].header = "HOOK";
			s->cols[C_HOOK].width = -4;
		}
	free(devs);
}

static int show_flows(struct show *s)
{
	struct np_query *q = &s->q;
	struct np_flow_summary sum;
	__u64 shown;
	int fd, err;

	fd = np_map_open(s->ctx, "np_flows");
	if (fd == -ENOENT)
		return np_err(s->ctx, "no flow table: attach a device first ('netprobe attach DEV')");
	if (fd < 0)
		return np_err(s->ctx, "cannot open the flow table: %s", strerror(-fd));
	columns_init(s);
	s->mono_to_real = np_mono_to_real_offset();
	np_query_start(q, s->rows ? print_flow : NULL, s);
	if (!q->collect && s->rows)
		out_table_begin(s->ctx->out, NULL, s->cols, ARRAY_SIZE(s->cols), NP_LAYOUT_TABLE);
	err = np_flow_table_walk(fd, on_flow, s);
	close(fd);
	if (!q->collect && s->rows)
		out_table_end(s->ctx->out);
	if (err == -EPIPE)
		return NP_EXIT_OK;
	if (err)
		return np_err(s->ctx, "cannot read the flow table: %s", strerror(-err));
	if (q->collect) {
		fit_columns(q, s->cols);
		out_table_begin(s->ctx->out, NULL, s->cols, ARRAY_SIZE(s->cols), NP_LAYOUT_TABLE);
	}
	shown = np_query_end(q);
	if (q->collect)
		out_table_end(s->ctx->out);
	err = np_flow_summary_read(s->ctx, q->seen, &sum);
	if (!err)
		print_summary(s, &sum, shown);
	return NP_EXIT_OK;
}

int np_flows_query_open(struct np_query *q, struct np_ctx *ctx)
{
	const char *dev = np_query_str(q, "dev");
	int err;

	err = np_state_open(ctx, dev ? NP_ST_MAY_BE_EMPTY : 0);
	if (err == NP_STATE_EMPTY)
		return np_dev_not_attached(ctx, dev);
	if (err || (err = np_query_bind(q)))
		return err;
	if (np_query_has(q, "k8s", NULL) || np_query_has(q, "namespace", NULL) ||
	    np_query_has(q, "pod", NULL) || np_query_has(q, "service", NULL) ||
	    np_query_has(q, "k8s-direction", NULL))
		np_query_k8s(q, ctx->host_root, NP_K8S_ALL);
	return 0;
}

int cmd_show_flows(struct np_ctx *ctx, int argc, char **argv)
{
	struct show s = { .ctx = ctx };
	enum np_format fmt = out_format(ctx->out);
	int err;

	if (argc && np_is_help(argv[0]))
		return np_cmd_help_self(ctx, "Rows come biggest first in plain text; under --json "
					"in table order unless sort or top is given.\n");
	err = np_query_parse(&s.q, ctx, &np_flows_table, argc, argv);
	if (err || (err = np_flows_query_open(&s.q, ctx)))
		goto out;
	/* People get the biggest flows first; scripts get a stream. */
	if (s.q.top || fmt == NP_FMT_PLAIN)
		np_query_default_sort(&s.q, "bytes");
	/* Per-flow Prometheus series only for a bounded set: top N. */
	s.rows = fmt != NP_FMT_PROM || s.q.top;
	err = show_flows(&s);
out:
	np_query_free(&s.q);
	return err;
}
