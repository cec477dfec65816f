// SPDX-License-Identifier: GPL-2.0
/*
 * netprobe show drops [flows] [reason R] [dev DEV] [netns NS] [proto P]
 *                     [src CIDR] [dst CIDR] [port N] [sport N] [dport N]
 *                     [sort count|last] [top N]
 *
 * What the kernel dropped since attach drops, with its reason, through the
 * model (lib/model.h): one record per np_drops entry (reason, network
 * namespace, device, protocols; summed over CPUs), or with `flows` one per
 * np_drop_flows entry (a dropped 5-tuple). Both views share one record
 * type and one table of keywords; the address and port keywords and
 * `sort last` need the flows, which alone have them. Rows come most drops
 * first. Reason names are read from the running kernel's BTF; devices are
 * named by the model's resolver, entering the device's own namespace when
 * it is another one.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "lib/cmd.h"
#include "lib/drop_reason.h"
#include "lib/inet.h"
#include "lib/maps.h"
#include "lib/model.h"
#include "lib/netns.h"
#include "lib/out.h"
#include "lib/state.h"

#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD

enum { C_REASON, C_IF, C_IFINDEX, C_NETNS, C_NETNS_NAME, C_POD, C_L3, C_PROTO, C_PROTO_NUM, C_COUNT };

static const struct np_col count_cols[] = {
	[C_REASON] = { "reason", "REASON", -26, NP_K_STR, NP_P_LABEL },
	[C_IF] = { "interface", "INTERFACE", -12, NP_K_STR, NP_P_LABEL },
	[C_IFINDEX] = { "ifindex", NULL, 0, NP_K_U64 },
	[C_NETNS] = { "netns", NULL, 0, NP_K_U64, NP_P_LABEL },
	[C_NETNS_NAME] = { "netns_name", "NETNS", 12, NP_K_STR },
	[C_POD] = { "pod", NULL, 0, NP_K_STR },
	[C_L3] = { "l3proto", "L3", -5, NP_K_STR, NP_P_LABEL },
	[C_PROTO] = { "proto", "PROTO", -7, NP_K_STR, NP_P_LABEL },
	[C_PROTO_NUM] = { "proto_number", NULL, 0, NP_K_U64 },
	[C_COUNT] = { "count", "COUNT", 10, NP_K_COUNT, NP_P_COUNTER, "netprobe_drops_total",
		      "Packets the kernel dropped (skb:kfree_skb), by drop reason." },
};

enum { F_REASON, F_IF, F_IFINDEX, F_NETNS, F_NETNS_NAME, F_POD, F_PROTO, F_PROTO_NUM, F_SRC, F_SPORT,
       F_DST, F_DPORT, F_COUNT, F_FIRST, F_LAST };

static const struct np_col flow_cols[] = {
	[F_REASON] = { "reason", "REASON", -22, NP_K_STR },
	[F_IF] = { "interface", "INTERFACE", -10, NP_K_STR },
	[F_IFINDEX] = { "ifindex", NULL, 0, NP_K_U64 },
	[F_NETNS] = { "netns", NULL, 0, NP_K_U64 },
	[F_NETNS_NAME] = { "netns_name", "NETNS", 12, NP_K_STR },
	[F_POD] = { "pod", NULL, 0, NP_K_STR },
	[F_PROTO] = { "proto", "PROTO", -6, NP_K_STR },
	[F_PROTO_NUM] = { "proto_number", NULL, 0, NP_K_U64 },
	[F_SRC] = { "src", "SRC", -15, NP_K_STR },
	[F_SPORT] = { "sport", "SPORT", 5, NP_K_U64 },
	[F_DST] = { "dst", "DST", -15, NP_K_STR },
	[F_DPORT] = { "dport", "DPORT", 5, NP_K_U64 },
	[F_COUNT] = { "count", "COUNT", 8, NP_K_COUNT },
	[F_FIRST] = { "first_seen", NULL, 0, NP_K_TIME },
	[F_LAST] = { "last_seen", "LAST SEEN", -19, NP_K_TIME },
};

/*
 * A drop as the model sees it: an np_drops entry (addresses, ports and
 * times zero) or an np_drop_flows entry (l3proto from its addresses).
 */
struct drop_rec {
	__u8 src[16], dst[16];
	__u32 reason, netns, ifindex;
	__u16 l3proto;		/* ethertype, host order */
	__u16 sport, dport;
	__u8 l4proto;		/* IPPROTO_* of IPv4/IPv6 drops, else 0 */
	__u8 has_ports;		/* sport/dport are ports (not ICMP type/code) */
	__u64 count, first_seen, last_seen;
};

static bool is_ip(__u64 l3)
{
	return l3 == ETH_P_IP || l3 == ETH_P_IPV6;
}

/* reason R: this kernel's BTF names (any case, prefix optional) or a number. */
static int reason_parse(struct np_ctx *ctx, const char *what, const char *v,
			struct np_filter_val *val)
{
	struct np_drop_reasons r;
	__u32 reason;
	int err;

	np_drop_reasons_load(&r);
	err = np_drop_reason_parse(&r, v, &reason);
	np_drop_reasons_free(&r);
	if (err)
		return np_usage(ctx, "%s: unknown drop reason '%s' (this kernel's names, e.g. "
				"NO_SOCKET, or a number)", what, v);
	val->u = reason;
	return 0;
}

static bool reason_match(const void *rec, const struct np_filter_val *val)
{
	return np_field_u64(rec, val->def->f) == val->u;
}

#define PROTO_ANY	(~0ull)

/* proto P: an L3 protocol (ipv4, ipv6, arp) into u, else an IP protocol into u2. */
static int proto_parse(struct np_ctx *ctx, const char *what, const char *v,
		       struct np_filter_val *val)
{
	int l3 = np_l3_parse(v), l4 = l3 < 0 ? np_proto_parse(v) : -1;

	if (l3 < 0 && l4 < 0)
		return np_usage(ctx, "%s: unknown proto '%s' (tcp, udp, icmp, icmpv6, ipv4, "
				"ipv6, arp, ... or a protocol number from 0 to 255)", what, v);
	val->u = l3 < 0 ? PROTO_ANY : (__u64)l3;
	val->u2 = l4 < 0 ? PROTO_ANY : (__u64)l4;
	return 0;
}

/* f: the record's ethertype, f2: its IP protocol (meaningful for IP only). */
static bool proto_match(const void *rec, const struct np_filter_val *val)
{
	__u64 l3 = np_field_u64(rec, val->def->f);

	if (val->u != PROTO_ANY)
		return l3 == val->u;
	return is_ip(l3) && np_field_u64(rec, val->def->f2) == val->u2;
}

#define R(m) NP_FIELD(struct drop_rec, m)

/* The keywords of both views; from FLOW_FILTERS on, the flows' alone. */
enum { FLOW_FILTERS = 4 };

static const struct np_filter_def drop_filters[] = {
	{ "reason", NP_M_CUSTOM, R(reason), .meta = "R", .parse = reason_parse,
	  .match = reason_match },
	/* Drops need no attach of the device: an attached one, or one of here. */
	{ "dev", NP_M_DEV, R(ifindex), R(netns), .meta = "DEV", .scope = NP_DEV_ANY },
	{ "netns", NP_M_NETNS, R(netns), .meta = "NS" },
	{ "proto", NP_M_CUSTOM, R(l3proto), R(l4proto), .meta = "P", .parse = proto_parse,
	  .match = proto_match },
	[FLOW_FILTERS] =
	{ "src", NP_M_CIDR, R(src), .meta = "CIDR" },
	{ "dst", NP_M_CIDR, R(dst), .meta = "CIDR" },
	{ "port", NP_M_PORT, R(sport), R(dport), .cond = R(has_ports) },
	{ "sport", NP_M_UINT, R(sport), .max = 65535, .cond = R(has_ports) },
	{ "dport", NP_M_UINT, R(dport), .max = 65535, .cond = R(has_ports) },
	{ 0 },
};

static const struct np_sort_def drop_sorts[] = {
	{ "count", R(count) },
	{ "last", R(last_seen) },	/* flows only */
	{ 0 },
};

static const struct np_table drops_table = {
	.what = "show drops",
	.rec_size = sizeof(struct drop_rec),
	.filters = drop_filters,
	.sorts = drop_sorts,
	.top = true,
	.lead = "[flows]",
	.ifindex = R(ifindex),
	.netns = R(netns),
};

#undef R

const char *np_show_drops_synopsis(void)
{
	static char buf[256];

	return buf[0] ? buf : np_table_synopsis(&drops_table, buf, sizeof(buf));
}

struct show {
	struct np_ctx *ctx;
	struct np_query q;
	struct np_drop_reasons reasons;
	__u64 mono_to_real;
	int ncpus;
	struct np_col cols[ARRAY_SIZE(flow_cols)];	/* as shown: widths fitted to the rows */
};

_Static_assert(ARRAY_SIZE(count_cols) <= ARRAY_SIZE(flow_cols), "show.cols holds either view");

static int max_int(int a, int b)
{
	return a > b ? a : b;
}

/*
 * Plain text: the name columns as wide as the widest name shown, and in
 * the flows the address columns as wide as the widest address (IPv6).
 */
static void fit_columns(struct np_query *q, struct np_col *cols, int c_if, int c_netns,
			int c_src, int c_dst)
{
	int w_if = -cols[c_if].width, w_ns = cols[c_netns].width, w_addr = 7, w_pod = 0;

	for (size_t i = 0; i < np_query_rows(q); i++) {
		const struct drop_rec *r = np_query_row(q, i);
		const struct np_names *n = np_query_names(q, r);
		char a[INET6_ADDRSTRLEN];

		w_if = max_int(w_if, strlen(n->dev));
		w_ns = max_int(w_ns, n->netns ? (int)strlen(n->netns) : 10);
		if (n->pod && n->pod->name[0])
			w_pod = max_int(max_int(w_pod, 3), strlen(n->pod->namespace) + 1 +
					strlen(n->pod->name));
		if (c_src < 0)
			continue;
		np_addr_str(r->src, a, sizeof(a));
		w_addr = max_int(w_addr, strlen(a));
		np_addr_str(r->dst, a, sizeof(a));
		w_addr = max_int(w_addr, strlen(a));
	}
	cols[c_if].width = -w_if;
	cols[c_netns].width = w_ns;
	/* POD: the pod whose network namespace dropped it, when any is. */
	if (w_pod) {
		cols[c_netns + 1].header = "POD";
		cols[c_netns + 1].width = -w_pod;
	}
	if (c_src >= 0) {
		cols[c_src].width = -w_addr;
		cols[c_dst].width = -w_addr;
	}
}

/* ---- per reason, device and protocol ---- */

static void print_count(struct np_query *q, const void *rec, void *arg)
{
	const struct drop_rec *r = rec;
	const struct np_names *names = np_query_names(q, rec);
	struct show *s = arg;
	struct np_out *o = s->ctx->out;
	char reason[64], l3[16];

	out_row_begin(o);
	out_str(o, C_REASON, np_drop_reason_name(&s->reasons, r->reason, reason, sizeof(reason)));
	if (r->ifindex)
		out_str(o, C_IF, names->dev);
	out_u64(o, C_IFINDEX, r->ifindex);
	np_out_netns(o, C_NETNS, C_NETNS_NAME, r->netns, names->netns);
	np_out_pod(o, C_POD, names->pod);
	out_str(o, C_L3, np_l3_name(r->l3proto, l3, sizeof(l3)));
	/* Not IP: the L3 protocol is all there is to say. */
	if (is_ip(r->l3proto))
		np_out_proto(o, C_PROTO, C_PROTO_NUM, r->l4proto);
	else
		out_str(o, C_PROTO, l3);
	out_u64(o, C_COUNT, r->count);
	out_row_end(o);
}

/* np_map_walk callback: one np_drops entry, its per-CPU counts summed. */
static int on_count(const void *key, const void *value, void *arg)
{
	const struct np_drop_key *k = key;
	const __u64 *per_cpu = value;
	struct show *s = arg;
	struct drop_rec r;

	memset(&r, 0, sizeof(r));
	r.reason = k->reason;
	r.netns = k->netns;
	r.ifindex = k->ifindex;
	r.l3proto = k->l3proto;
	r.l4proto = k->l4proto;
	for (int c = 0; c < s->ncpus; c++)
		r.count += per_cpu[c];
	return np_query_add(&s->q, &r);
}

static int show_counts(struct show *s)
{
	int fd, err;

	fd = np_map_open(s->ctx, "np_drops");
	if (fd < 0)
		return np_err(s->ctx, "cannot open %s/maps/np_drops: %s", s->ctx->pin_root,
			      strerror(-fd));
	s->ncpus = libbpf_num_possible_cpus();
	if (s->ncpus <= 0) {
		close(fd);
		return np_err(s->ctx, "cannot count the CPUs: %s", strerror(-s->ncpus));
	}
	np_query_start(&s->q, print_count, s);
	err = np_map_walk(fd, sizeof(struct np_drop_key), sizeof(__u64) * s->ncpus, false,
			  on_count, s);
	close(fd);
	if (err && err != -EPIPE)
		return np_err(s->ctx, "cannot read the drop counters: %s", strerror(-err));
	memcpy(s->cols, count_cols, sizeof(count_cols));
	if (out_format(s->ctx->out) == NP_FMT_PLAIN)
		fit_columns(&s->q, s->cols, C_IF, C_NETNS_NAME, -1, -1);
	out_table_begin(s->ctx->out, NULL, s->cols, ARRAY_SIZE(count_cols), NP_LAYOUT_TABLE);
	np_query_end(&s->q);
	out_table_end(s->ctx->out);
	return NP_EXIT_OK;
}

/* ---- per dropped flow ---- */

static void print_flow(struct np_query *q, const void *rec, void *arg)
{
	const struct drop_rec *r = rec;
	const struct np_names *names = np_query_names(q, rec);
	struct show *s = arg;
	struct np_out *o = s->ctx->out;
	char reason[64], src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];

	np_addr_str(r->src, src, sizeof(src));
	np_addr_str(r->dst, dst, sizeof(dst));
	out_row_begin(o);
	out_str(o, F_REASON, np_drop_reason_name(&s->reasons, r->reason, reason, sizeof(reason)));
	if (r->ifindex)
		out_str(o, F_IF, names->dev);
	out_u64(o, F_IFINDEX, r->ifindex);
	np_out_netns(o, F_NETNS, F_NETNS_NAME, r->netns, names->netns);
	np_out_pod(o, F_POD, names->pod);
	np_out_proto(o, F_PROTO, F_PROTO_NUM, r->l4proto);
	out_str(o, F_SRC, src);
	out_u64(o, F_SPORT, r->sport);
	out_str(o, F_DST, dst);
	out_u64(o, F_DPORT, r->dport);
	out_u64(o, F_COUNT, r->count);
	out_u64(o, F_FIRST, r->first_seen + s->mono_to_real);
	out_u64(o, F_LAST, r->last_seen + s->mono_to_real);
	out_row_end(o);
}

/* np_map_walk callback: one np_drop_flows entry. */
static int on_flow(const void *key, const void *value, void *arg)
{
	const struct np_drop_flow_key *k = key;
	const struct np_drop_flow *v = value;
	struct show *s = arg;
	struct drop_rec r;

	memset(&r, 0, sizeof(r));
	memcpy(r.src, k->src, sizeof(r.src));
	memcpy(r.dst, k->dst, sizeof(r.dst));
	r.reason = k->reason;
	r.netns = k->netns;
	r.ifindex = k->ifindex;
	r.l3proto = np_addr_is_v4(k->src) ? ETH_P_IP : ETH_P_IPV6;
	r.l4proto = k->proto;
	/* Later fragments have ports 0 in the key: they match port 0, as they are. */
	r.sport = k->sport;
	r.dport = k->dport;
	r.has_ports = np_proto_has_ports(k->proto);
	r.count = v->count;
	r.first_seen = v->first_seen;
	r.last_seen = v->last_seen;
	return np_query_add(&s->q, &r);
}

static int show_flows(struct show *s)
{
	int fd, err;

	fd = np_map_open(s->ctx, "np_drop_flows");
	if (fd < 0)
		return np_err(s->ctx, "cannot open %s/maps/np_drop_flows: %s", s->ctx->pin_root,
			      strerror(-fd));
	s->mono_to_real = np_mono_to_real_offset();
	np_query_start(&s->q, print_flow, s);
	err = np_map_walk(fd, sizeof(struct np_drop_flow_key), sizeof(struct np_drop_flow), false,
			  on_flow, s);
	close(fd);
	if (err && err != -EPIPE)
		return np_err(s->ctx, "cannot read the dropped flows: %s", strerror(-err));
	memcpy(s->cols, flow_cols, sizeof(flow_cols));
	if (out_format(s->ctx->out) == NP_FMT_PLAIN)
		fit_columns(&s->q, s->cols, F_IF, F_NETNS_NAME, F_SRC, F_DST);
	out_table_begin(s->ctx->out, NULL, s->cols, ARRAY_SIZE(flow_cols), NP_LAYOUT_TABLE);
	np_query_end(&s->q);
	out_table_end(s->ctx->out);
	return NP_EXIT_OK;
}

/* ---- command ---- */

/* True if s stands for `flows`: the word, or a prefix no other keyword has. */
static bool is_flows_word(const char *s)
{
	size_t n = strlen(s);

	if (!n || strncmp(s, "flows", n))
		return false;
	if (n == strlen("flows"))
		return true;
	for (const struct np_filter_def *d = drop_filters; d->kw; d++)
		if (!strncmp(s, d->kw, n))
			return false;
	return strncmp(s, "sort", n) && strncmp(s, "top", n);
}

/*
 * Takes the leading word `flows` out of argv (also where any keyword may
 * stand, as ever; once): *flows says whether it was there, args/nargs get
 * the rest for the query. Every other keyword takes one value.
 */
static int take_flows(struct np_ctx *ctx, int argc, char **argv, char **args, int *nargs,
		      bool *flows)
{
	*flows = false;
	*nargs = 0;
	for (int i = 0; i < argc; i++) {
		if (is_flows_word(argv[i])) {
			if (*flows)
				return np_usage(ctx, "show drops: 'flows' given twice");
			*flows = true;
			continue;
		}
		args[(*nargs)++] = argv[i];
		if (i + 1 < argc)
			args[(*nargs)++] = argv[++i];
	}
	return 0;
}

/* The keywords that only the flows have, on the counts: usage errors. */
static int counts_only(struct np_ctx *ctx, const struct np_query *q)
{
	for (int i = 0; i < q->nf; i++)
		if (q->f[i].def >= &drop_filters[FLOW_FILTERS])
			return np_usage(ctx, "show drops: '%s' only with flows (show drops flows "
					"%s ...)", q->f[i].def->kw, q->f[i].def->kw);
	if (q->sort == &drop_sorts[1])
		return np_usage(ctx, "show drops: 'sort last' only with flows (the counts have "
				"no time)");
	return 0;
}

static int run(struct show *s, int argc, char **argv)
{
	struct np_ctx *ctx = s->ctx;
	char **args = calloc(argc + 1, sizeof(*args));
	int nargs, err, st;
	bool flows;

	if (!args)
		return np_err(ctx, "out of memory");
	if ((err = take_flows(ctx, argc, argv, args, &nargs, &flows)))
		goto out;
	/* Usage errors first: a bad keyword is that, attached or not. */
	err = np_query_parse(&s->q, ctx, &drops_table, nargs, args);
	if (!err && !flows)
		err = counts_only(ctx, &s->q);
	if (!err && flows && out_format(ctx->out) == NP_FMT_PROM)
		err = np_usage(ctx, "show drops flows has no Prometheus form (one series per "
			       "flow); --prom show drops has the counts");
	if (err)
		goto out;
	st = np_state_open(ctx, NP_ST_MAY_BE_EMPTY);
	if (st && st != NP_STATE_EMPTY) {
		err = st;
		goto out;
	}
	/* Then dev DEV (attach records, else here): a device that is nowhere says so. */
	np_query_k8s(&s->q, ctx->host_root, NP_K8S_PODS);
	if ((err = np_query_bind(&s->q)))
		goto out;
	if (st == NP_STATE_EMPTY || !np_pin_exists(ctx, "links/drops/kfree_skb")) {
		err = np_err(ctx, "the drops probe is not attached; run 'netprobe attach drops'");
		goto out;
	}
	np_query_default_sort(&s->q, "count");
	/* Without BTF, reasons print as numbers (and only numbers parsed). */
	np_drop_reasons_load(&s->reasons);
	err = flows ? show_flows(s) : show_counts(s);
	np_drop_reasons_free(&s->reasons);
out:
	free(args);
	return err;
}

int cmd_show_drops(struct np_ctx *ctx, int argc, char **argv)
{
	struct show s = { .ctx = ctx };
	int err;

	for (int i = 0; i < argc; i++)
		if (np_is_help(argv[i]))
			return np_cmd_help_self(ctx,
				"Rows come most drops first (sort count). src, dst, port, sport, "
				"dport and sort last\nneed flows: only dropped flows have addresses, "
				"ports and times.\n");
	err = run(&s, argc, argv);
	np_query_free(&s.q);
	return err;
}
