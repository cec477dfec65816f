// SPDX-License-Identifier: GPL-2.0
/*
 * netprobe show drops [flows] [reason R] [dev DEV] [proto P] [top N]
 *
 * What the kernel dropped since attach drops, with its reason: one row per
 * (reason, network namespace, device, protocol), or with `flows` one row
 * per dropped 5-tuple. Rows come most-dropped first. Reason names are read
 * from the running kernel's BTF; a device is named only when it lives in
 * the caller's network namespace (else "if<N>"), so run show under
 * `nsenter --net=...` to name another namespace's devices.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "lib/cmd.h"
#include "lib/device.h"
#include "lib/drop_reason.h"
#include "lib/inet.h"
#include "lib/maps.h"
#include "lib/netns.h"
#include "lib/out.h"
#include "lib/state.h"

#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD

enum { C_REASON, C_IF, C_IFINDEX, C_NETNS, C_NETNS_NAME, C_L3, C_PROTO, C_COUNT };

static const struct np_col cols[] = {
	[C_REASON] = { "reason", "REASON", -26, NP_K_STR, NP_P_LABEL },
	[C_IF] = { "interface", "INTERFACE", -12, NP_K_STR, NP_P_LABEL },
	[C_IFINDEX] = { "ifindex", NULL, 0, NP_K_U64 },
	[C_NETNS] = { "netns", NULL, 0, NP_K_U64, NP_P_LABEL },
	[C_NETNS_NAME] = { "netns_name", "NETNS", 12, NP_K_STR },
	[C_L3] = { "l3proto", "L3", -5, NP_K_STR, NP_P_LABEL },
	[C_PROTO] = { "proto", "PROTO", -7, NP_K_STR, NP_P_LABEL },
	[C_COUNT] = { "count", "COUNT", 10, NP_K_COUNT, NP_P_COUNTER, "netprobe_drops_total",
		      "Packets the kernel dropped (skb:kfree_skb), by drop reason." },
};

enum { F_REASON, F_IF, F_IFINDEX, F_NETNS, F_NETNS_NAME, F_PROTO, F_SRC, F_SPORT, F_DST,
       F_DPORT, F_COUNT, F_FIRST, F_LAST };

static const struct np_col flow_cols[] = {
	[F_REASON] = { "reason", "REASON", -22, NP_K_STR },
	[F_IF] = { "interface", "INTERFACE", -10, NP_K_STR },
	[F_IFINDEX] = { "ifindex", NULL, 0, NP_K_U64 },
	[F_NETNS] = { "netns", NULL, 0, NP_K_U64 },
	[F_NETNS_NAME] = { "netns_name", "NETNS", 12, NP_K_STR },
	[F_PROTO] = { "proto", "PROTO", -6, NP_K_STR },
	[F_SRC] = { "src", "SRC", -15, NP_K_STR },
	[F_SPORT] = { "sport", "SPORT", 5, NP_K_U64 },
	[F_DST] = { "dst", "DST", -15, NP_K_STR },
	[F_DPORT] = { "dport", "DPORT", 5, NP_K_U64 },
	[F_COUNT] = { "count", "COUNT", 8, NP_K_COUNT },
	[F_FIRST] = { "first_seen", NULL, 0, NP_K_TIME },
	[F_LAST] = { "last_seen", "LAST SEEN", -19, NP_K_TIME },
};

struct filter {
	bool flows;
	bool by_reason;
	__u32 reason;
	bool by_dev;
	__u32 netns, ifindex;
	__u32 in_netns;		/* netns NAME|ID: 0 = any */
	int l3proto;		/* ethertype to match, or -1 */
	int l4proto;		/* IPPROTO_* to match, or -1 */
	__u64 top;		/* 0: all */
};

static const char *l4_name(__u8 proto, char *buf, size_t n)
{
	return np_proto_str(proto, buf, n);
}

static const char *l3_name(__u16 l3, char *buf, size_t n)
{
	return np_l3_name(l3, buf, n);
}

static bool is_ip(__u16 l3)
{
	return l3 == ETH_P_IP || l3 == ETH_P_IPV6;
}

static int parse_proto(struct np_ctx *ctx, const char *s, struct filter *f)
{
	int l3 = np_l3_parse(s), l4 = l3 < 0 ? np_proto_parse(s) : -1;

	if (l3 < 0 && l4 < 0)
		return np_usage(ctx, "show drops: unknown proto '%s' (tcp, udp, icmp, icmpv6, "
				"ipv4, ipv6, arp, ... or a protocol number from 0 to 255)", s);
	f->l3proto = l3;
	f->l4proto = l4;
	return 0;
}

static bool match(const struct filter *f, __u32 reason, __u32 netns, __u32 ifindex,
		  __u16 l3, __u8 l4)
{
	if (f->by_reason && reason != f->reason)
		return false;
	if (f->by_dev && (netns != f->netns || ifindex != f->ifindex))
		return false;
	if (f->in_netns && netns != f->in_netns)
		return false;
	if (f->l3proto >= 0 && l3 != f->l3proto)
		return false;
	return f->l4proto < 0 || (is_ip(l3) && l4 == f->l4proto);
}

/* The device's name when it is in our namespace, else "if<N>"; NULL without one. */
static const char *dev_name(__u32 netns, __u32 ifindex, __u32 self, char *buf)
{
	if (!ifindex)
		return NULL;
	if (netns == self && if_indextoname(ifindex, buf))
		return buf;
	snprintf(buf, IF_NAMESIZE + 8, "if%u", ifindex);
	return buf;
}

/* ---- per reason, device and protocol ---- */

struct count_row {
	struct np_drop_key key;
	__u64 count;
};

static int by_count_desc(const void *a, const void *b)
{
	const struct count_row *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return memcmp(&x->key, &y->key, sizeof(x->key));
}

/* Rows of the per-CPU np_drops hash that pass f, summed over CPUs. */
static int read_counts(int fd, const struct filter *f, struct count_row **out, size_t *n)
{
	struct np_drop_key key, next;
	struct count_row *v = NULL;
	size_t cnt = 0, cap = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (!match(f, key.reason, key.netns, key.ifindex, key.l3proto, key.l4proto))
			continue;
		if (cnt == cap) {
			struct count_row *nv = realloc(v, (cap = cap ? cap * 2 : 64) * sizeof(*v));

			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
		}
		v[cnt].key = key;
		if (!np_percpu_sum(fd, &key, &v[cnt].count, 1))
			cnt++;
	}
	np_sort(v, cnt, sizeof(*v), by_count_desc);
	*out = v;
	*n = cnt;
	return 0;
}

static void print_count(struct np_ctx *ctx, const struct np_drop_reasons *r,
			const struct count_row *row, __u32 self)
{
	const struct np_drop_key *k = &row->key;
	char reason[64], ifname[IF_NAMESIZE + 8], l3[16], l4[16];
	struct np_out *o = ctx->out;

	out_row_begin(o);
	out_str(o, C_REASON, np_drop_reason_name(r, k->reason, reason, sizeof(reason)));
	out_str(o, C_IF, dev_name(k->netns, k->ifindex, self, ifname));
	out_u64(o, C_IFINDEX, k->ifindex);
	np_out_netns(o, C_NETNS, C_NETNS_NAME, k->netns);
	out_str(o, C_L3, l3_name(k->l3proto, l3, sizeof(l3)));
	out_str(o, C_PROTO, is_ip(k->l3proto) ? l4_name(k->l4proto, l4, sizeof(l4))
					      : l3_name(k->l3proto, l3, sizeof(l3)));
	out_u64(o, C_COUNT, row->count);
	out_row_end(o);
}

static int show_counts(struct np_ctx *ctx, const struct np_drop_reasons *r,
		       const struct filter *f)
{
	struct count_row *rows;
	__u32 self = np_netns_self();
	size_t n;
	int fd, err;

	fd = np_map_open(ctx, "np_drops");
	if (fd < 0)
		return np_err(ctx, "cannot open %s/maps/np_drops: %s", ctx->pin_root,
			      strerror(-fd));
	err = read_counts(fd, f, &rows, &n);
	close(fd);
	if (err)
		return np_err(ctx, "cannot read the drop counters: %s", strerror(-err));
	if (f->top && n > f->top)
		n = f->top;
	out_table_begin(ctx->out, NULL, cols, ARRAY_SIZE(cols), NP_LAYOUT_TABLE);
	for (size_t i = 0; i < n && !out_broken(ctx->out); i++)
		print_count(ctx, r, &rows[i], self);
	out_table_end(ctx->out);
	free(rows);
	return NP_EXIT_OK;
}

/* ---- per dropped flow ---- */

struct flow_row {
	struct np_drop_flow_key key;
	struct np_drop_flow val;
};

static int flow_by_count_desc(const void *a, const void *b)
{
	const struct flow_row *x = a, *y = b;

	if (x->val.count != y->val.count)
		return x->val.count < y->val.count ? 1 : -1;
	return x->val.last_seen < y->val.last_seen ? 1 : -(x->val.last_seen > y->val.last_seen);
}

/* The np_drop_flows entries that pass f. */
struct flow_set {
	const struct filter *f;
	struct flow_row *v;
	size_t n, cap;
};

/* np_map_walk callback: keeps one entry of np_drop_flows if it passes. */
static int flow_keep(const void *key, const void *value, void *arg)
{
	const struct np_drop_flow_key *k = key;
	const struct np_drop_flow *val = value;
	struct flow_set *s = arg;
	const struct filter *f = s->f;
	__u16 l3 = np_addr_is_v4(k->src) ? ETH_P_IP : ETH_P_IPV6;

	if (!match(f, k->reason, k->netns, k->ifindex, l3, k->proto))
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		struct flow_row *nv = realloc(s->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n].key = *k;
	s->v[s->n++].val = *val;
	return 0;
}

static void print_flow(struct np_ctx *ctx, const struct np_drop_reasons *r,
		       const struct flow_row *row, __u32 self, __u64 mono_to_real)
{
	const struct np_drop_flow_key *k = &row->key;
	char reason[64], ifname[IF_NAMESIZE + 8], l4[16], src[INET6_ADDRSTRLEN],
	     dst[INET6_ADDRSTRLEN];
	struct np_out *o = ctx->out;

	np_addr_str(k->src, src, sizeof(src));
	np_addr_str(k->dst, dst, sizeof(dst));
	out_row_begin(o);
	out_str(o, F_REASON, np_drop_reason_name(r, k->reason, reason, sizeof(reason)));
	out_str(o, F_IF, dev_name(k->netns, k->ifindex, self, ifname));
	out_u64(o, F_IFINDEX, k->ifindex);
	np_out_netns(o, F_NETNS, F_NETNS_NAME, k->netns);
	out_str(o, F_PROTO, l4_name(k->proto, l4, sizeof(l4)));
	out_str(o, F_SRC, src);
	out_u64(o, F_SPORT, k->sport);
	out_str(o, F_DST, dst);
	out_u64(o, F_DPORT, k->dport);
	out_u64(o, F_COUNT, row->val.count);
	out_u64(o, F_FIRST, row->val.first_seen + mono_to_real);
	out_u64(o, F_LAST, row->val.last_seen + mono_to_real);
	out_row_end(o);
}

static int show_flows(struct np_ctx *ctx, const struct np_drop_reasons *r,
		      const struct filter *f)
{
	struct flow_set s = { .f = f };
	__u32 self = np_netns_self();
	__u64 off = np_mono_to_real_offset();
	int fd, err;

	fd = np_map_open(ctx, "np_drop_flows");
	if (fd < 0)
		return np_err(ctx, "cannot open %s/maps/np_drop_flows: %s", ctx->pin_root,
			      strerror(-fd));
	err = np_map_walk(fd, sizeof(struct np_drop_flow_key), sizeof(struct np_drop_flow), false,
			  flow_keep, &s);
	close(fd);
	if (err) {
		free(s.v);
		return np_err(ctx, "cannot read the dropped flows: %s", strerror(-err));
	}
	if (s.n)
		np_sort(s.v, s.n, sizeof(*s.v), flow_by_count_desc);
	if (f->top && s.n > f->top)
		s.n = f->top;
	out_table_begin(ctx->out, NULL, flow_cols, ARRAY_SIZE(flow_cols), NP_LAYOUT_TABLE);
	for (size_t i = 0; i < s.n && !out_broken(ctx->out); i++)
		print_flow(ctx, r, &s.v[i], self, off);
	out_table_end(ctx->out);
	free(s.v);
	return NP_EXIT_OK;
}

/* ---- command ---- */

#define USAGE "Usage: netprobe show drops [flows] [reason R] [dev DEV] [netns NS] [proto P] " \
	      "[top N]\n"

static int parse_args(struct np_ctx *ctx, const struct np_drop_reasons *r, int argc,
		      char **argv, struct filter *f)
{
	static const char *const words[] = { "flows", "reason", "dev", "proto", "top", "netns",
					     NULL };
	const char *v;
	__u64 seen = 0;
	int k, err;

	for (int i = 0; i < argc; i++) {
		k = np_kw_once(ctx, argv[i], words, "show drops", &seen);
		if (k < 0)
			return NP_EXIT_USAGE;
		if (k == 0) {
			f->flows = true;
			continue;
		}
		if ((err = np_arg_next(ctx, "show drops", argc, argv, &i, &v)))
			return err;
		if (k == 1) {
			if (np_drop_reason_parse(r, v, &f->reason))
				return np_usage(ctx, "show drops: unknown drop reason '%s' (this "
						"kernel's names, e.g. NO_SOCKET, or a number)", v);
			f->by_reason = true;
		} else if (k == 2) {
			f->by_dev = true;
			/* Drops need no attach of the device: any device of this namespace. */
			f->ifindex = np_dev_name_ok(v) ? if_nametoindex(v) : 0;
			if (!f->ifindex)
				return np_err(ctx, "device '%s' does not exist", v);
			f->netns = np_netns_self();
		} else if (k == 3) {
			if ((err = parse_proto(ctx, v, f)))
				return err;
		} else if (k == 5) {
			if ((err = np_arg_netns(ctx, "show drops", v, &f->in_netns)))
				return err;
		} else if ((err = np_arg_u64(ctx, "top", v, 1, 1u << 30, &f->top))) {
			return err;
		}
	}
	return 0;
}

int cmd_show_drops(struct np_ctx *ctx, int argc, char **argv)
{
	struct filter f = { .l3proto = -1, .l4proto = -1 };
	struct np_drop_reasons r;
	int err;

	for (int i = 0; i < argc; i++)
		if (np_is_help(argv[i]))
			return np_cmd_usage(ctx, USAGE);
	/* Without BTF, reasons print as numbers and only numbers parse. */
	np_drop_reasons_load(&r);
	err = parse_args(ctx, &r, argc, argv, &f);
	if (!err && f.flows && out_format(ctx->out) == NP_FMT_PROM)
		err = np_usage(ctx, "show drops flows has no Prometheus form (one series per "
			       "flow); --prom show drops has the counts");
	err = err ?: np_state_open(ctx, NP_ST_MAY_BE_EMPTY);
	if (err == NP_STATE_EMPTY || (!err && !np_pin_exists(ctx, "links/drops/kfree_skb")))
		err = np_err(ctx, "the drops probe is not attached; run 'netprobe attach drops'");
	if (!err)
		err = f.flows ? show_flows(ctx, &r, &f) : show_counts(ctx, &r, &f);
	np_drop_reasons_free(&r);
	return err;
}
