// SPDX-License-Identifier: GPL-2.0
/*
 * netprobe show vxlan [dev DEV] [vni N]
 * netprobe show vxlan flows [dev DEV] [vni N] [sort packets|bytes|last] [top N]
 * netprobe show vxlan counters [dev DEV]
 *
 * Tunnels (np_vxlan_tunnels) are joined with the overlay topology read
 * over rtnetlink: a remote VTEP that a local vxlan device's FDB knows gets
 * remote_node (the node IP the FDB gives), pod_cidr (routes via the
 * gateway the neighbour table maps to that VTEP's MAC) and vxlan_device.
 * Only devices that carry the vxlan probe now are shown: entries an
 * earlier attachment left behind are ignored (and removed by the next
 * attach of that device).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lib/cmd.h"
#include "lib/device.h"
#include "lib/inet.h"
#include "lib/maps.h"
#include "lib/out.h"
#include "lib/overlay.h"
#include "lib/state.h"

#define VXLAN_BITS (NP_DEV_VXLAN_INGRESS | NP_DEV_VXLAN_EGRESS)
#define NOT_ATTACHED "the vxlan probe is not attached; run 'netprobe attach DEV vxlan'"

enum view { V_TUNNELS, V_FLOWS, V_COUNTERS };
enum sort_by { S_NONE, S_PACKETS, S_BYTES, S_LAST };

struct query {
	enum view view;
	const char *dev;
	bool has_vni;
	__u32 vni;
	enum sort_by sort;
	__u64 top;
	struct np_dev_entry *devs;	/* devices with the vxlan probe */
	int ndevs;
	__u64 mono_off;
};

static const char *dir_name(__u32 hook)
{
	return hook == NP_HOOK_TC_EGRESS ? "egress" : "ingress";
}

static const char *dev_name(const struct query *q, __u32 ifindex)
{
	for (int i = 0; i < q->ndevs; i++)
		if (q->devs[i].rec.ifindex == ifindex)
			return q->devs[i].name;
	return NULL;
}

static bool wanted(const struct query *q, __u32 ifindex, __u32 vni)
{
	const char *name = dev_name(q, ifindex);

	return name && (!q->dev || !strcmp(q->dev, name)) && (!q->has_vni || q->vni == vni);
}

static __u64 realtime(const struct query *q, __u64 mono)
{
	return mono ? mono + q->mono_off : 0;
}

/* ---- tunnels ---- */

enum { T_IF, T_DIR, T_VNI, T_LOCAL, T_REMOTE, T_NODE, T_CIDR, T_VXDEV, T_MAC,
       T_PKTS, T_BYTES, T_LAST };

static const struct np_col tunnel_cols[] = {
	[T_IF] = { "interface", "INTERFACE", -10, NP_K_STR, NP_P_LABEL },
	[T_DIR] = { "direction", "DIR", -7, NP_K_STR, NP_P_LABEL },
	[T_VNI] = { "vni", "VNI", 8, NP_K_U64, NP_P_LABEL },
	[T_LOCAL] = { "local", "LOCAL", -16, NP_K_STR, NP_P_LABEL },
	[T_REMOTE] = { "remote", "REMOTE", -16, NP_K_STR, NP_P_LABEL },
	[T_NODE] = { "remote_node", NULL, 0, NP_K_STR },
	[T_CIDR] = { "pod_cidr", "POD CIDR", -18, NP_K_STR },
	[T_VXDEV] = { "vxlan_interface", NULL, 0, NP_K_STR },
	[T_MAC] = { "vtep_mac", NULL, 0, NP_K_STR },
	[T_PKTS] = { "packets", "PACKETS", 10, NP_K_COUNT, NP_P_COUNTER,
		     "netprobe_vxlan_packets_total",
		     "VXLAN packets on the underlay, per tunnel and direction." },
	[T_BYTES] = { "bytes", "BYTES", 10, NP_K_BYTES, NP_P_COUNTER,
		      "netprobe_vxlan_bytes_total",
		      "Bytes of the outer frames, Ethernet header and VLAN tags included." },
	[T_LAST] = { "last_seen", "LAST SEEN", -19, NP_K_TIME, NP_P_GAUGE,
		     "netprobe_vxlan_last_seen_timestamp_seconds",
		     "When the tunnel last carried a packet (Unix time)." },
};

struct tunnel_row {
	struct np_vxlan_tunnel_key key;
	struct np_vxlan_tunnel val;
};

static int tunnel_cmp(const void *a, const void *b)
{
	const struct np_vxlan_tunnel_key *x = &((const struct tunnel_row *)a)->key;
	const struct np_vxlan_tunnel_key *y = &((const struct tunnel_row *)b)->key;

	if (x->ifindex != y->ifindex)
		return x->ifindex < y->ifindex ? -1 : 1;
	if (x->vni != y->vni)
		return x->vni < y->vni ? -1 : 1;
	if (x->dir != y->dir)
		return x->dir > y->dir ? -1 : 1;	/* egress first */
	return memcmp(x, y, sizeof(*x));
}

/* Sums a per-CPU tunnel value; last_seen is the latest of the CPUs'. */
static int tunnel_value(int fd, const void *key, struct np_vxlan_tunnel *sum)
{
	int ncpus = libbpf_num_possible_cpus();
	struct np_vxlan_tunnel *v;

	if (ncpus <= 0 || !(v = calloc(ncpus, sizeof(*v))))
		return -ENOMEM;
	memset(sum, 0, sizeof(*sum));
	if (bpf_map_lookup_elem(fd, key, v)) {
		free(v);
		return -errno;
	}
	for (int c = 0; c < ncpus; c++) {
		sum->packets += v[c].packets;
		sum->bytes += v[c].bytes;
		if (v[c].last_seen > sum->last_seen)
			sum->last_seen = v[c].last_seen;
	}
	free(v);
	return 0;
}

static int tunnels_read(const struct query *q, int fd, struct tunnel_row **out, int *n)
{
	struct np_vxlan_tunnel_key cur, next;
	struct tunnel_row *rows = NULL;
	bool first = true;
	int cnt = 0;

	while (!bpf_map_get_next_key(fd, first ? NULL : &cur, &next)) {
		struct tunnel_row *nr;

		first = false;
		cur = next;
		if (!wanted(q, next.ifindex, next.vni))
			continue;
		nr = realloc(rows, (cnt + 1) * sizeof(*rows));
		if (!nr) {
			free(rows);
			return -ENOMEM;
		}
		rows = nr;
		rows[cnt].key = next;
		/* Gone since (LRU eviction): skip it. */
		if (!tunnel_value(fd, &next, &rows[cnt].val))
			cnt++;
	}
	if (cnt)
		np_sort(rows, cnt, sizeof(*rows), tunnel_cmp);
	*out = rows;
	*n = cnt;
	return 0;
}

static void tunnel_print(struct np_ctx *ctx, const struct query *q, const struct np_overlay *ov,
			 const struct tunnel_row *r)
{
	const struct np_vxlan_tunnel_key *k = &r->key;
	bool egress = k->dir == NP_HOOK_TC_EGRESS;
	const __u8 *local = egress ? k->src : k->dst, *remote = egress ? k->dst : k->src;
	struct np_overlay_peer peer;
	struct np_out *o = ctx->out;
	char buf[64];

	out_row_begin(o);
	out_str(o, T_IF, dev_name(q, k->ifindex));
	out_str(o, T_DIR, dir_name(k->dir));
	out_u64(o, T_VNI, k->vni);
	out_str(o, T_LOCAL, np_addr_str(local, buf, sizeof(buf)));
	out_str(o, T_REMOTE, np_addr_str(remote, buf, sizeof(buf)));
	if (ov && np_overlay_peer(ov, remote, k->vni, &peer)) {
		out_str(o, T_NODE, np_addr_str(peer.fdb->dst, buf, sizeof(buf)));
		if (peer.pod_cidr[0])
			out_str(o, T_CIDR, peer.pod_cidr);
		out_str(o, T_VXDEV, peer.link->name);
		out_str(o, T_MAC, np_overlay_mac_str(peer.fdb->mac, buf, sizeof(buf)));
	}
	out_u64(o, T_PKTS, r->val.packets);
	out_u64(o, T_BYTES, r->val.bytes);
	out_u64(o, T_LAST, realtime(q, r->val.last_seen));
	out_row_end(o);
}

static int show_tunnels(struct np_ctx *ctx, const struct query *q)
{
	struct np_overlay ov;
	struct tunnel_row *rows;
	int fd, n, err;
	bool have_ov;

	fd = np_map_open(ctx, "np_vxlan_tunnels");
	if (fd < 0)
		return np_err(ctx, "cannot open %s/maps/np_vxlan_tunnels: %s", ctx->pin_root,
			      strerror(-fd));
	err = tunnels_read(q, fd, &rows, &n);
	close(fd);
	if (err)
		return np_err(ctx, "cannot read the tunnel table: %s", strerror(-err));
	/* Without the topology the counters are still worth printing. */
	err = np_overlay_read(&ov);
	have_ov = !err;
	if (err)
		np_warn(ctx, "cannot read the overlay topology: %s", strerror(-err));
	out_table_begin(ctx->out, NULL, tunnel_cols, ARRAY_SIZE(tunnel_cols), NP_LAYOUT_TABLE);
	for (int i = 0; i < n && !out_broken(ctx->out); i++)
		tunnel_print(ctx, q, have_ov ? &ov : NULL, &rows[i]);
	out_table_end(ctx->out);
	np_overlay_free(&ov);
	free(rows);
	return NP_EXIT_OK;
}

/* ---- inner flows ---- */

enum { F_IF, F_DIR, F_VNI, F_OSRC, F_ODST, F_PROTO, F_SRC, F_SPORT, F_DST, F_DPORT,
       F_PKTS, F_BYTES, F_FIRST, F_LAST, F_FLAGS };

static const struct np_col flow_cols[] = {
	[F_IF] = { "interface", "INTERFACE", -10, NP_K_STR },
	[F_DIR] = { "direction", "DIR", -7, NP_K_STR },
	[F_VNI] = { "vni", "VNI", 8, NP_K_U64 },
	[F_OSRC] = { "outer_src", "OUTER SRC", -15, NP_K_STR },
	[F_ODST] = { "outer_dst", "OUTER DST", -15, NP_K_STR },
	[F_PROTO] = { "proto", "PROTO", -6, NP_K_STR },
	[F_SRC] = { "src", "SRC", -15, NP_K_STR },
	[F_SPORT] = { "sport", "SPORT", 5, NP_K_U64 },
	[F_DST] = { "dst", "DST", -15, NP_K_STR },
	[F_DPORT] = { "dport", "DPORT", 5, NP_K_U64 },
	[F_PKTS] = { "packets", "PACKETS", 9, NP_K_COUNT },
	[F_BYTES] = { "bytes", "BYTES", 10, NP_K_BYTES },
	[F_FIRST] = { "first_seen", NULL, 0, NP_K_TIME },
	[F_LAST] = { "last_seen", "LAST SEEN", -19, NP_K_TIME },
	[F_FLAGS] = { "tcp_flags", NULL, 0, NP_K_U64 },
};

struct flow_row {
	struct np_vxlan_flow_key key;
	struct np_vxlan_flow val;
};

static void flow_print(struct np_ctx *ctx, const struct query *q, const struct flow_row *r)
{
	const struct np_flow_key *k = &r->key.inner;
	const char *proto = np_proto_name(k->proto);
	struct np_out *o = ctx->out;
	char buf[64];

	out_row_begin(o);
	out_str(o, F_IF, dev_name(q, k->ifindex));
	out_str(o, F_DIR, dir_name(k->dir));
	out_u64(o, F_VNI, r->key.vni);
	out_str(o, F_OSRC, np_addr_str(r->key.outer_src, buf, sizeof(buf)));
	out_str(o, F_ODST, np_addr_str(r->key.outer_dst, buf, sizeof(buf)));
	if (proto)
		out_str(o, F_PROTO, proto);
	else
		out_u64(o, F_PROTO, k->proto);
	out_str(o, F_SRC, np_addr_str(k->src, buf, sizeof(buf)));
	out_u64(o, F_SPORT, k->sport);
	out_str(o, F_DST, np_addr_str(k->dst, buf, sizeof(buf)));
	out_u64(o, F_DPORT, k->dport);
	out_u64(o, F_PKTS, r->val.packets);
	out_u64(o, F_BYTES, r->val.bytes);
	out_u64(o, F_FIRST, realtime(q, r->val.first_seen));
	out_u64(o, F_LAST, realtime(q, r->val.last_seen));
	if (k->proto == 6)
		out_u64(o, F_FLAGS, r->val.tcp_flags);
	out_row_end(o);
}

static enum sort_by sort_key;

static int flow_cmp(const void *a, const void *b)
{
	const struct np_vxlan_flow *x = &((const struct flow_row *)a)->val;
	const struct np_vxlan_flow *y = &((const struct flow_row *)b)->val;
	__u64 vx = sort_key == S_BYTES ? x->bytes : sort_key == S_LAST ? x->last_seen : x->packets;
	__u64 vy = sort_key == S_BYTES ? y->bytes : sort_key == S_LAST ? y->last_seen : y->packets;

	return vx == vy ? 0 : vx > vy ? -1 : 1;	/* largest first */
}

/* What flows_take needs while np_vxlan_flows is walked. */
struct flows_walk {
	struct np_ctx *ctx;
	const struct query *q;
	struct flow_row *kept;
	size_t nkept;
	__u64 printed;
};

/* One entry: prints it (streaming) or keeps it for sorting. 1 stops the walk. */
static int flows_take(const void *key, const void *value, void *arg)
{
	struct flows_walk *w = arg;
	const struct query *q = w->q;
	struct flow_row r = { .key = *(const struct np_vxlan_flow_key *)key,
			      .val = *(const struct np_vxlan_flow *)value };
	struct flow_row *nk;

	if (!wanted(q, r.key.inner.ifindex, r.key.vni))
		return 0;
	if (q->sort == S_NONE) {
		if (q->top && w->printed >= q->top)
			return 1;
		flow_print(w->ctx, q, &r);
		w->printed++;
		return out_broken(w->ctx->out) ? 1 : 0;	/* the reader went away */
	}
	nk = realloc(w->kept, (w->nkept + 1) * sizeof(*w->kept));
	if (!nk)
		return -ENOMEM;
	w->kept = nk;
	w->kept[w->nkept++] = r;
	return 0;
}

static int show_flows(struct np_ctx *ctx, const struct query *q)
{
	struct flows_walk w = { .ctx = ctx, .q = q };
	int fd, err;

	if (out_format(ctx->out) == NP_FMT_PROM)
		return np_usage(ctx, "show vxlan flows: flows are not metrics; use 'show vxlan' "
				"or 'show vxlan counters' with --prom");
	fd = np_map_open(ctx, "np_vxlan_flows");
	if (fd < 0)
		return np_err(ctx, "cannot open %s/maps/np_vxlan_flows: %s", ctx->pin_root,
			      strerror(-fd));
	out_table_begin(ctx->out, NULL, flow_cols, ARRAY_SIZE(flow_cols), NP_LAYOUT_TABLE);
	err = np_map_walk(fd, sizeof(struct np_vxlan_flow_key), sizeof(struct np_vxlan_flow),
			  false, flows_take, &w);
	close(fd);
	if (err == 1)
		err = 0;	/* top reached or reader gone: not an error */
	if (!err && q->sort != S_NONE) {
		sort_key = q->sort;
		if (w.nkept)
			np_sort(w.kept, w.nkept, sizeof(*w.kept), flow_cmp);
		for (size_t i = 0; i < w.nkept && (!q->top || i < q->top); i++)
			flow_print(ctx, q, &w.kept[i]);
	}
	out_table_end(ctx->out);
	free(w.kept);
	if (err)
		return np_err(ctx, "cannot read the inner flow table: %s", strerror(-err));
	return NP_EXIT_OK;
}

/* ---- counters ---- */

#define CM(name, help) NP_P_COUNTER, "netprobe_vxlan_" name "_total", help

static const struct np_col counter_cols[] = {
	[0] = { "interface", "INTERFACE", -10, NP_K_STR, NP_P_LABEL },
	[1] = { "direction", "DIR", -7, NP_K_STR, NP_P_LABEL },
	[2 + NP_VXC_PACKETS] = { "packets", "PACKETS", 9, NP_K_COUNT },
	[2 + NP_VXC_BYTES] = { "bytes", "BYTES", 9, NP_K_BYTES },
	[2 + NP_VXC_INNER_IPV4] = { "inner_ipv4", "IPV4", 7, NP_K_COUNT,
				    CM("inner_ipv4", "VXLAN packets carrying IPv4.") },
	[2 + NP_VXC_INNER_IPV6] = { "inner_ipv6", "IPV6", 7, NP_K_COUNT,
				    CM("inner_ipv6", "VXLAN packets carrying IPv6.") },
	[2 + NP_VXC_INNER_ARP] = { "inner_arp", "ARP", 6, NP_K_COUNT,
				   CM("inner_arp", "VXLAN packets carrying ARP (no inner flow).") },
	[2 + NP_VXC_INNER_OTHER] = { "inner_other", "OTHER", 6, NP_K_COUNT,
				     CM("inner_other", "VXLAN packets carrying other or "
					"truncated frames (no inner flow).") },
	[2 + NP_VXC_FLOWS_NEW] = { "flows_created", "FLOWS", 6, NP_K_COUNT, NP_P_COUNTER,
				   "netprobe_k8s_inter_node_flows_total",
				   "Inner (pod-to-pod, inter-node) flows first seen in a VXLAN "
				   "tunnel; a flow evicted and seen again counts again." },
	[2 + NP_VXC_BAD_FLAGS] = { "bad_flags", "BADFLAG", 7, NP_K_COUNT,
				   CM("bad_flags", "UDP to a VXLAN port without the I flag.") },
	[2 + NP_VXC_SHORT] = { "short", "SHORT", 6, NP_K_COUNT,
			       CM("short_packets", "UDP to a VXLAN port cut short.") },
	[2 + NP_VXC_OUTER_FRAG] = { "outer_fragments", NULL, 0, NP_K_COUNT,
				    CM("outer_fragments", "Outer IPv4 first fragments to a "
				       "VXLAN port (not parsed).") },
	[2 + NP_VXC_CSUM_ZERO] = { "csum_zero", "CSUM0", 7, NP_K_COUNT,
				   CM("udp_csum_zero", "Outer UDP checksum 0 (unused).") },
	[2 + NP_VXC_CSUM_OK] = { "csum_ok", "CSUMOK", 7, NP_K_COUNT,
				 CM("udp_csum_ok", "Outer UDP checksums verified good.") },
	[2 + NP_VXC_CSUM_BAD] = { "csum_bad", "CSUMBAD", 7, NP_K_COUNT,
				  CM("udp_csum_bad", "Outer UDP checksums verified bad.") },
	[2 + NP_VXC_CSUM_TRUSTED] = { "csum_trusted", "TRUSTED", 7, NP_K_COUNT,
				      CM("udp_csum_trusted", "Outer UDP checksums the kernel "
					 "vouches for (offloaded).") },
	[2 + NP_VXC_CSUM_UNCHECKED] = { "csum_unchecked", "UNCHKD", 6, NP_K_COUNT,
					CM("udp_csum_unchecked", "Outer UDP checksums not "
					   "verified (datagram too long).") },
	[2 + NP_VXC_MAX] = { "ports", "PORTS", -10, NP_K_STR },
};

static int port_cmp(const void *a, const void *b)
{
	return *(const __u16 *)a - *(const __u16 *)b;
}

/* The UDP ports parsed as VXLAN on ifindex, e.g. "4789,8472". */
static void ports_of(struct np_ctx *ctx, __u32 ifindex, char *buf, size_t n)
{
	struct np_vxlan_port_key cur, next;
	__u16 ports[NP_VXLAN_PORTS_MAX];
	size_t np = 0, len = 0;
	bool first = true;
	int fd = np_map_open(ctx, "np_vxlan_ports");

	buf[0] = '\0';
	while (fd >= 0 && np < ARRAY_SIZE(ports) &&
	       !bpf_map_get_next_key(fd, first ? NULL : &cur, &next)) {
		first = false;
		cur = next;
		if (next.ifindex == ifindex)
			ports[np++] = next.port;
	}
	if (fd >= 0)
		close(fd);
	np_sort(ports, np, sizeof(ports[0]), port_cmp);
	for (size_t i = 0; i < np && len < n; i++)
		len += snprintf(buf + len, n - len, "%s%u", i ? "," : "", ports[i]);
}

static int show_counters(struct np_ctx *ctx, const struct query *q)
{
	int fd = np_map_open(ctx, "np_vxlan_counters");
	struct np_out *o = ctx->out;
	char ports[128];

	if (fd < 0)
		return np_err(ctx, "cannot open %s/maps/np_vxlan_counters: %s", ctx->pin_root,
			      strerror(-fd));
	out_table_begin(o, NULL, counter_cols, ARRAY_SIZE(counter_cols), NP_LAYOUT_TABLE);
	for (int i = 0; i < q->ndevs; i++) {
		for (__u32 hook = NP_HOOK_TC_INGRESS; hook <= NP_HOOK_TC_EGRESS; hook++) {
			struct np_stats_key key = { q->devs[i].rec.ifindex, hook };
			struct np_vxlan_counters c;

			if (q->dev && strcmp(q->dev, q->devs[i].name))
				continue;
			/* No entry yet: nothing reached a VXLAN port, all zero. */
			np_percpu_sum(fd, &key, c.v, NP_VXC_MAX);
			ports_of(ctx, q->devs[i].rec.ifindex, ports, sizeof(ports));
			out_row_begin(o);
			out_str(o, 0, q->devs[i].name);
			out_str(o, 1, dir_name(hook));
			for (int k = 0; k < NP_VXC_MAX; k++)
				out_u64(o, 2 + k, c.v[k]);
			out_str(o, 2 + NP_VXC_MAX, ports);
			out_row_end(o);
		}
	}
	out_table_end(o);
	close(fd);
	return NP_EXIT_OK;
}

/* ---- command ---- */

static int parse_args(struct np_ctx *ctx, int argc, char **argv, struct query *q)
{
	static const char *const words[] = { "flows", "counters", "dev", "vni", "sort", "top",
					     NULL };
	static const char *const sorts[] = { "packets", "bytes", "last", NULL };
	const char *v;
	__u64 n, seen = 0;
	int err, k;

	for (int i = 0; i < argc; i++) {
		k = np_kw_once(ctx, argv[i], words, "show vxlan", &seen);
		if (k < 0)
			return NP_EXIT_USAGE;
		if (k <= 1) {
			if (i)
				return np_usage(ctx, "show vxlan: '%s' comes first", words[k]);
			q->view = k == 0 ? V_FLOWS : V_COUNTERS;
			continue;
		}
		if ((err = np_arg_next(ctx, "show vxlan", argc, argv, &i, &v)))
			return err;
		if (k == 2) {
			q->dev = v;
		} else if (k == 3) {
			if ((err = np_arg_u64(ctx, "vni", v, 0, 0xffffff, &n)))
				return err;
			q->has_vni = true;
			q->vni = n;
		} else if (k == 4) {
			if ((err = np_kw(ctx, v, sorts, "sort")) < 0)
				return NP_EXIT_USAGE;
			q->sort = S_PACKETS + err;
		} else if ((err = np_arg_u64(ctx, "top", v, 1, 1ull << 32, &q->top))) {
			return err;
		}
	}
	if ((q->sort || q->top) && q->view != V_FLOWS)
		return np_usage(ctx, "show vxlan: sort and top apply to 'show vxlan flows'");
	if (q->has_vni && q->view == V_COUNTERS)
		return np_usage(ctx, "show vxlan counters: counters are per device, not per VNI");
	if (q->top && !q->sort)
		q->sort = S_PACKETS;
	return 0;
}

/* dev DEV without the vxlan probe: unknown to netprobe, or attached without it. */
static int dev_lacks_vxlan(struct np_ctx *ctx, const char *dev)
{
	struct np_device rec;

	if (np_dev_find(ctx, dev, NULL, &rec))
		return np_dev_not_attached(ctx, dev);
	return np_err(ctx, "the vxlan probe is not attached to '%s'; run 'netprobe attach %s "
		      "vxlan'", dev, dev);
}

/* The devices with the vxlan probe (and the one asked for, if any). */
static int vxlan_devices(struct np_ctx *ctx, struct query *q)
{
	struct np_dev_entry *all;
	int n, err, hit = 0;

	err = np_devices_list(ctx, &all, &n);
	if (err)
		return np_err(ctx, "cannot read the device list: %s", strerror(-err));
	q->ndevs = 0;
	for (int i = 0; i < n; i++) {
		if (!(all[i].rec.hooks & VXLAN_BITS))
			continue;
		all[q->ndevs++] = all[i];
		hit += q->dev && !strcmp(q->dev, all[i].name);
	}
	q->devs = all;
	/* A device renamed since: rows go by the name it was attached with. */
	for (int i = 0; q->dev && !hit && i < q->ndevs; i++) {
		char now[IF_NAMESIZE];

		if (!strcmp(q->dev, np_dev_name_now(ctx, all[i].name, &all[i].rec, now))) {
			q->dev = all[i].name;
			hit++;
		}
	}
	if (q->dev && !hit)
		return dev_lacks_vxlan(ctx, q->dev);
	if (!q->ndevs)
		return np_err(ctx, NOT_ATTACHED);
	return 0;
}

int cmd_show_vxlan(struct np_ctx *ctx, int argc, char **argv)
{
	struct query q = { .view = V_TUNNELS };
	int err;

	if (argc && np_is_help(argv[argc - 1]))
		return np_cmd_usage(ctx, "Usage: netprobe show vxlan [dev DEV] [vni N]\n"
				    "       netprobe show vxlan flows [dev DEV] [vni N] "
				    "[sort packets|bytes|last] [top N]\n"
				    "       netprobe show vxlan counters [dev DEV]\n");
	err = parse_args(ctx, argc, argv, &q);
	if (err)
		return err;
	err = np_state_open(ctx, NP_ST_MAY_BE_EMPTY);
	if (err == NP_STATE_EMPTY)
		return q.dev ? np_dev_not_attached(ctx, q.dev) : np_err(ctx, NOT_ATTACHED);
	if (err)
		return err;
	err = vxlan_devices(ctx, &q);
	if (!err) {
		q.mono_off = np_mono_to_real_offset();
		if (q.view == V_TUNNELS)
			err = show_tunnels(ctx, &q);
		else if (q.view == V_FLOWS)
			err = show_flows(ctx, &q);
		else
			err = show_counters(ctx, &q);
	}
	free(q.devs);
	return err;
}
