// SPDX-License-Identifier: GPL-2.0
/*
 * netprobe show flows [dev DEV] [proto P] [src CIDR] [dst CIDR] [port N]
 *                     [sort packets|bytes|last] [top N]
 *
 * Reads the pinned flow table in batches and filters in user space. Rows
 * stream straight to the output unless an order is asked for: `top N`
 * keeps a heap of N flows, `sort` alone keeps the matching flows (never
 * more than one copy of the table). Plain text is for people and sorts by
 * bytes by default; --json and --prom keep table order and stream.
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
#include "lib/flowfilter.h"
#include "lib/flowtable.h"
#include "lib/maps.h"
#include "lib/out.h"
#include "lib/state.h"

enum {
	C_IF, C_IFINDEX, C_DIR, C_HOOK, C_PROTO, C_PROTO_NUM, C_SRC, C_SPORT, C_DST, C_DPORT,
	C_PKTS, C_BYTES, C_FLAGS, C_FIRST, C_LAST, C_TRUNC, C_FRAGS,
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
	[C_FIRST] = { "first_seen", "FIRST SEEN", -19, NP_K_TIME },
	[C_LAST] = { "last_seen", "LAST SEEN", -19, NP_K_TIME },
	[C_TRUNC] = { "truncated", NULL, 0, NP_K_COUNT },
	[C_FRAGS] = { "fragments", NULL, 0, NP_K_COUNT },
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

/* ifindex -> name: from the attach records, else this namespace's devices. */
struct ifname {
	__u32 ifindex;
	char name[IF_NAMESIZE];
};

struct show {
	struct np_ctx *ctx;
	struct np_flow_filter filter;
	struct np_flow_top top;
	bool collect;		/* sort or top: into top, printed at the end */
	bool rows;		/* print flows at all (--prom: only with top N) */
	__u64 entries;		/* every entry walked, filtered or not */
	__u64 matched;		/* entries the filter let through */
	__u64 mono_to_real;
	struct ifname *names;
	int nnames;
	struct np_col cols[ARRAY_SIZE(flow_cols)];	/* as shown: HOOK when XDP is on */
};

static const char *ifname_of(struct show *s, __u32 ifindex)
{
	struct ifname *nv;
	int i;

	for (i = 0; i < s->nnames; i++)
		if (s->names[i].ifindex == ifindex)
			return s->names[i].name;
	nv = realloc(s->names, (s->nnames + 1) * sizeof(*nv));
	if (!nv)
		return "?";
	s->names = nv;
	nv[i].ifindex = ifindex;
	if (!if_indextoname(ifindex, nv[i].name))
		snprintf(nv[i].name, sizeof(nv[i].name), "%u", ifindex);
	s->nnames++;
	return nv[i].name;
}

static void print_flow(struct show *s, const struct np_flow_key *k,
		       const struct np_flow_value *v)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], flags[16];
	const char *proto = np_proto_name(k->proto);
	struct np_out *o = s->ctx->out;

	np_addr_str(k->src, src, sizeof(src));
	np_addr_str(k->dst, dst, sizeof(dst));
	out_row_begin(o);
	out_str(o, C_IF, ifname_of(s, k->ifindex));
	out_u64(o, C_IFINDEX, k->ifindex);
	out_str(o, C_DIR, k->dir == NP_HOOK_TC_EGRESS ? "egress" : "ingress");
	out_str(o, C_HOOK, k->dir == NP_HOOK_XDP ? "xdp" : "tc");
	if (proto)
		out_str(o, C_PROTO, proto);
	else
		out_u64(o, C_PROTO, k->proto);
	out_u64(o, C_PROTO_NUM, k->proto);
	out_str(o, C_SRC, src);
	out_u64(o, C_SPORT, k->sport);
	out_str(o, C_DST, dst);
	out_u64(o, C_DPORT, k->dport);
	out_u64(o, C_PKTS, v->packets);
	out_u64(o, C_BYTES, v->bytes);
	if (k->proto == IPPROTO_TCP) {
		np_tcp_flags_str(v->tcp_flags, flags, sizeof(flags));
		out_str(o, C_FLAGS, flags);
	}
	out_u64(o, C_FIRST, v->first_seen + s->mono_to_real);
	out_u64(o, C_LAST, v->last_seen + s->mono_to_real);
	out_u64(o, C_TRUNC, v->truncated);
	out_u64(o, C_FRAGS, v->fragments);
	out_row_end(o);
}

static int on_flow(const void *key, const void *value, void *arg)
{
	const struct np_flow_key *k = key;
	const struct np_flow_value *v = value;
	struct show *s = arg;

	s->entries++;
	if (!np_flow_match(&s->filter, k))
		return 0;
	s->matched++;
	if (s->collect) {
		struct np_flow f = { .key = *k, .val = *v };

		return np_flow_top_add(&s->top, &f);
	}
	if (s->rows)
		print_flow(s, k, v);
	/* The reader went away (| head): stop reading the table. */
	return out_broken(s->ctx->out) ? -EPIPE : 0;
}

/* Plain text: address columns as wide as the widest address shown. */
static void fit_columns(const struct np_flow_top *t, struct np_col *cols)
{
	int w = 7;

	for (size_t i = 0; i < t->n; i++) {
		char a[INET6_ADDRSTRLEN];
		int len;

		np_addr_str(t->v[i].key.src, a, sizeof(a));
		len = strlen(a);
		np_addr_str(t->v[i].key.dst, a, sizeof(a));
		len = len > (int)strlen(a) ? len : (int)strlen(a);
		w = len > w ? len : w;
	}
	cols[C_SRC].width = -w;
	cols[C_DST].width = -w;
}

static void print_collected(struct show *s)
{
	struct np_col *cols = s->cols;

	np_flow_top_sort(&s->top);
	fit_columns(&s->top, cols);
	out_table_begin(s->ctx->out, NULL, cols, ARRAY_SIZE(s->cols), NP_LAYOUT_TABLE);
	for (size_t i = 0; i < s->top.n && s->rows && !out_broken(s->ctx->out); i++)
		print_flow(s, &s->top.v[i].key, &s->top.v[i].val);
	out_table_end(s->ctx->out);
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
			 (unsigned long long)s->matched);
		out_kv_str(o, "shown", "flows shown:", line);
		snprintf(line, sizeof(line), "%llu of %u entries, %llu evictions, %llu insert failures",
			 (unsigned long long)sum->entries, sum->max_entries,
			 (unsigned long long)sum->evictions,
			 (unsigned long long)sum->kernel.insert_failures);
		out_kv_str(o, "flow_table", "flow table:", line);
	}
}

struct args {
	const char *dev;
	enum np_flow_sort sort;
	__u64 top;
};

static int parse_cidr(struct np_ctx *ctx, const char *kw, const char *v, struct np_cidr *c)
{
	if (np_cidr_parse(v, c))
		return np_usage(ctx, "%s: '%s' is not an address or prefix (e.g. 10.0.0.0/8, "
				"2001:db8::/32)", kw, v);
	return 0;
}

static int parse_value(struct np_ctx *ctx, const char *kw, const char *v, struct show *s,
		       struct args *a)
{
	static const char *const sorts[] = { "bytes", "packets", "last", NULL };
	static const enum np_flow_sort sort_by[] = { NP_SORT_BYTES, NP_SORT_PACKETS, NP_SORT_LAST };
	__u64 n;
	int k, err = 0;

	if (!strcmp(kw, "dev")) {
		a->dev = v;
	} else if (!strcmp(kw, "proto")) {
		s->filter.proto = np_proto_parse(v);
		if (s->filter.proto < 0)
			err = np_usage(ctx, "proto: '%s' is not a protocol name (tcp, udp, icmp, "
				       "icmpv6, ...) or a number from 0 to 255", v);
	} else if (!strcmp(kw, "src")) {
		s->filter.has_src = true;
		err = parse_cidr(ctx, kw, v, &s->filter.src);
	} else if (!strcmp(kw, "dst")) {
		s->filter.has_dst = true;
		err = parse_cidr(ctx, kw, v, &s->filter.dst);
	} else if (!strcmp(kw, "port")) {
		err = np_arg_u64(ctx, kw, v, 0, 65535, &n);
		s->filter.port = n;
	} else if (!strcmp(kw, "sort")) {
		k = np_kw(ctx, v, sorts, "show flows sort");
		if (k < 0)
			return NP_EXIT_USAGE;
		a->sort = sort_by[k];
	} else {
		err = np_arg_u64(ctx, kw, v, 1, 100000000, &a->top);
	}
	return err;
}

static int parse_args(struct np_ctx *ctx, int argc, char **argv, struct show *s, struct args *a)
{
	static const char *const words[] = { "dev", "proto", "src", "dst", "port", "sort", "top",
					     NULL };
	const char *v;
	__u64 seen = 0;
	int err;

	for (int i = 0; i < argc; i++) {
		int k = np_kw_once(ctx, argv[i], words, "show flows", &seen);

		if (k < 0)
			return NP_EXIT_USAGE;
		if ((err = np_arg_next(ctx, "show flows", argc, argv, &i, &v)))
			return err;
		if ((err = parse_value(ctx, words[k], v, s, a)))
			return err;
	}
	return 0;
}

/* dev DEV: an attached device, by the name it was attached with or has now. */
static int resolve_dev(struct show *s, const char *dev)
{
	struct np_device rec;
	int err = np_dev_require_traffic(s->ctx, dev, &rec);

	if (!err)
		s->filter.ifindex = rec.ifindex;
	return err;
}

/* Names of attached devices as recorded, even when run in another namespace. */
static void names_init(struct show *s)
{
	struct np_dev_entry *devs;
	int n;

	np_devices_list(s->ctx, &devs, &n);
	memcpy(s->cols, flow_cols, sizeof(s->cols));
	/* Which hook saw a flow tells rows apart once XDP and TC both count. */
	for (int i = 0; i < n; i++)
		if (devs[i].rec.hooks & NP_DEV_XDP) {
			s->cols[C_HOOK].header = "HOOK";
			s->cols[C_HOOK].width = -4;
		}
	s->names = calloc(n > 0 ? (size_t)n : 1, sizeof(*s->names));
	for (int i = 0; i < n && s->names; i++) {
		char now[IF_NAMESIZE];

		s->names[i].ifindex = devs[i].rec.ifindex;
		snprintf(s->names[i].name, sizeof(s->names[i].name), "%s",
			 np_dev_name_now(s->ctx, devs[i].name, &devs[i].rec, now));
		s->nnames++;
	}
	free(devs);
}

static int show_flows(struct show *s)
{
	struct np_flow_summary sum;
	int fd, err;

	fd = np_map_open(s->ctx, "np_flows");
	if (fd == -ENOENT)
		return np_err(s->ctx, "no flow table: attach a device first ('netprobe attach DEV')");
	if (fd < 0)
		return np_err(s->ctx, "cannot open the flow table: %s", strerror(-fd));
	names_init(s);
	s->mono_to_real = np_mono_to_real_offset();
	if (!s->collect && s->rows)
		out_table_begin(s->ctx->out, NULL, s->cols, ARRAY_SIZE(s->cols), NP_LAYOUT_TABLE);
	err = np_flow_table_walk(fd, on_flow, s);
	close(fd);
	if (!s->collect && s->rows)
		out_table_end(s->ctx->out);
	if (err == -EPIPE)
		return NP_EXIT_OK;
	if (err)
		return np_err(s->ctx, "cannot read the flow table: %s", strerror(-err));
	if (s->collect)
		print_collected(s);
	err = np_flow_summary_read(s->ctx, s->entries, &sum);
	if (!err)
		print_summary(s, &sum, s->collect ? s->top.n : s->matched);
	return NP_EXIT_OK;
}

int cmd_show_flows(struct np_ctx *ctx, int argc, char **argv)
{
	struct show s = { .ctx = ctx };
	struct args a = { 0 };
	enum np_format fmt = out_format(ctx->out);
	int err;

	if (argc && np_is_help(argv[0])) {
		printf("Usage: netprobe show flows [dev DEV] [proto P] [src CIDR] [dst CIDR] "
		       "[port N]\n                          [sort packets|bytes|last] [top N]\n");
		return NP_EXIT_OK;
	}
	np_flow_filter_init(&s.filter);
	err = parse_args(ctx, argc, argv, &s, &a);
	if (err)
		return err;
	err = np_state_open(ctx, a.dev ? NP_ST_MAY_BE_EMPTY : 0);
	if (err == NP_STATE_EMPTY)
		return np_dev_not_attached(ctx, a.dev);
	if (err)
		return err;
	if (a.dev && (err = resolve_dev(&s, a.dev)))
		return err;
	/* People get the biggest flows first; scripts get a stream. */
	if (!a.sort && (a.top || fmt == NP_FMT_PLAIN))
		a.sort = NP_SORT_BYTES;
	/* Per-flow Prometheus series only for a bounded set: top N. */
	s.rows = fmt != NP_FMT_PROM || a.top;
	s.collect = s.rows && a.sort != NP_SORT_NONE;
	np_flow_top_init(&s.top, a.sort, a.top);
	err = show_flows(&s);
	np_flow_top_free(&s.top);
	free(s.names);
	return err;
}
