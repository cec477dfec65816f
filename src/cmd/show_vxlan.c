// SPDX-License-Identifier: GPL-2.0
/*
 * netprobe show vxlan [dev DEV] [vni N] [dir ingress|egress] [type vxlan|geneve|ipip]
 *                     [remote CIDR] [sort packets|bytes|last] [top N]
 * netprobe show vxlan flows [dev DEV] [vni N] [dir ingress|egress] [type T] [remote CIDR]
 *                     [proto P] [src CIDR] [dst CIDR] [port N] [sport N] [dport N]
 *                     [fragments] [sort packets|bytes|last] [top N]
 * netprobe show vxlan counters [dev DEV] [dir ingress|egress]
 *
 * Every overlay the vxlan probe parses (VXLAN, Geneve, IP-in-IP) is a row
 * of the same tables, its type a column and a filter: one command, so that
 * a script that reads tunnels reads them all.
 *
 * Three views, each a table of the model (lib/model.h): tunnels
 * (np_vxlan_tunnels), inner flows (np_vxlan_flows) and parse counters
 * (np_vxlan_counters). A keyword means what it means on every list; one a
 * view lacks is a usage error there. Inner flows have the names and types
 * of `show flows` (src, dst, proto, ports, tcp_flags are the inner
 * packet's); the outer addresses keep their own names, and `remote` is the
 * other VTEP's outer address whichever way the packet went.
 *
 * VXLAN tunnels are joined with the overlay topology read over rtnetlink: a
 * remote VTEP that a local vxlan device's FDB knows gets remote_node (the
 * node IP the FDB gives), pod_cidr (routes via the gateway the neighbour
 * table maps to that VTEP's MAC) and vxlan_interface. Only devices that
 * carry the vxlan probe now are shown: entries an earlier attachment left
 * behind are ignored (and removed by the next attach of that device).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lib/cmd.h"
#include "lib/device.h"
#include "lib/inet.h"
#include "lib/maps.h"
#include "lib/model.h"
#include "lib/out.h"
#include "lib/overlay.h"
#include "lib/state.h"

#define VXLAN_BITS (NP_DEV_VXLAN_INGRESS | NP_DEV_VXLAN_EGRESS)
#define NOT_ATTACHED "the vxlan probe is not attached; run 'netprobe attach DEV vxlan'"

static const char *const dir_words[] = { "ingress", "egress", NULL };
static const char *const type_words[] = { "vxlan", "geneve", "ipip", NULL };
static const unsigned type_values[] = { NP_TUN_VXLAN, NP_TUN_GENEVE, NP_TUN_IPIP };

/* The enum np_tunnel_type's word; ports of entries made before types were: VXLAN. */
static const char *type_word(__u8 type)
{
	for (size_t i = 0; i < ARRAY_SIZE(type_values); i++)
		if (type_values[i] == type)
			return type_words[i];
	return "vxlan";
}

/* ---- records and tables ---- */

struct tunnel_rec {
	struct np_vxlan_tunnel_key key;
	struct np_vxlan_tunnel val;	/* summed over CPUs; last_seen the latest */
	__u8 local[16], remote[16];	/* the outer addresses, by direction */
	__u8 egress;
};

struct flow_rec {
	struct np_vxlan_flow_key key;
	struct np_vxlan_flow val;
	__u8 remote[16];	/* the other VTEP: outer_dst at egress, outer_src at ingress */
	__u8 egress;
	__u8 has_ports;		/* sport/dport are ports (not ICMP type/code) */
	__u8 later_fragment;	/* an inner IP fragment after the first: no L4 header */
};

struct counters_rec {
	__u32 ifindex;
	__u8 egress;
	struct np_vxlan_counters c;
};

#define T(m) NP_FIELD(struct tunnel_rec, m)
#define F(m) NP_FIELD(struct flow_rec, m)
#define C(m) NP_FIELD(struct counters_rec, m)

static const struct np_filter_def tunnel_filters[] = {
	{ "dev", NP_M_DEV, T(key.ifindex), .meta = "DEV" },
	{ "vni", NP_M_UINT, T(key.vni), .max = 0xffffff },
	{ "dir", NP_M_WORD, T(egress), .words = dir_words },
	{ "type", NP_M_WORD, T(key.type), .words = type_words, .values = type_values },
	{ "remote", NP_M_CIDR, T(remote), .meta = "CIDR" },
	{ 0 },
};

static const struct np_sort_def tunnel_sorts[] = {
	{ "packets", T(val.packets) },
	{ "bytes", T(val.bytes) },
	{ "last", T(val.last_seen) },
	{ 0 },
};

static const struct np_table tunnels_table = {
	.what = "show vxlan",
	.rec_size = sizeof(struct tunnel_rec),
	.filters = tunnel_filters,
	.sorts = tunnel_sorts,
	.top = true,
	.ifindex = T(key.ifindex),
};

static const struct np_filter_def flow_filters[] = {
	{ "dev", NP_M_DEV, F(key.inner.ifindex), .meta = "DEV" },
	{ "vni", NP_M_UINT, F(key.vni), .max = 0xffffff },
	{ "dir", NP_M_WORD, F(egress), .words = dir_words },
	{ "type", NP_M_WORD, F(key.type), .words = type_words, .values = type_values },
	{ "remote", NP_M_CIDR, F(remote), .meta = "CIDR" },
	{ "proto", NP_M_PROTO, F(key.inner.proto), .meta = "P" },
	{ "src", NP_M_CIDR, F(key.inner.src), .meta = "CIDR" },
	{ "dst", NP_M_CIDR, F(key.inner.dst), .meta = "CIDR" },
	{ "port", NP_M_PORT, F(key.inner.sport), F(key.inner.dport), .cond = F(has_ports) },
	{ "sport", NP_M_UINT, F(key.inner.sport), .max = 65535, .cond = F(has_ports) },
	{ "dport", NP_M_UINT, F(key.inner.dport), .max = 65535, .cond = F(has_ports) },
	{ "fragments", NP_M_FLAG, F(later_fragment), .meta = NULL },
	{ 0 },
};

static const struct np_sort_def flow_sorts[] = {
	{ "packets", F(val.packets) },
	{ "bytes", F(val.bytes) },
	{ "last", F(val.last_seen) },
	{ 0 },
};

static const struct np_table flows_table = {
	.what = "show vxlan flows",
	.rec_size = sizeof(struct flow_rec),
	.filters = flow_filters,
	.sorts = flow_sorts,
	.top = true,
	.lead = "flows",
	.ifindex = F(key.inner.ifindex),
};

static const struct np_filter_def counter_filters[] = {
	{ "dev", NP_M_DEV, C(ifindex), .meta = "DEV" },
	{ "dir", NP_M_WORD, C(egress), .words = dir_words },
	{ 0 },
};

static const struct np_table counters_table = {
	.what = "show vxlan counters",
	.rec_size = sizeof(struct counters_rec),
	.filters = counter_filters,
	.lead = "counters",
	.ifindex = C(ifindex),
};

#undef T
#undef F
#undef C

/* The views; flows has every keyword of the others (the synopsis is its). */
static const struct np_table *const views[] = { &tunnels_table, &flows_table, &counters_table };

const char *np_show_vxlan_synopsis(void)
{
	static char buf[512];
	struct np_table t = flows_table;

	t.lead = "[flows|counters]";
	return buf[0] ? buf : np_table_synopsis(&t, buf, sizeof(buf));
}

/* ---- columns ---- */

enum { T_IF, T_IFINDEX, T_DIR, T_TYPE, T_VNI, T_LOCAL, T_REMOTE, T_NODE, T_CIDR, T_VXDEV,
       T_MAC, T_PKTS, T_BYTES, T_LAST, T_OPT, T_OAM, T_CRIT };

static const struct np_col tunnel_cols[] = {
	[T_IF] = { "interface", "INTERFACE", -10, NP_K_STR, NP_P_LABEL },
	[T_IFINDEX] = { "ifindex", NULL, 0, NP_K_U64 },
	[T_DIR] = { "direction", "DIR", -7, NP_K_STR, NP_P_LABEL },
	[T_TYPE] = { "type", "TYPE", -6, NP_K_STR, NP_P_LABEL },
	[T_VNI] = { "vni", "VNI", 8, NP_K_U64, NP_P_LABEL },
	[T_LOCAL] = { "local", "LOCAL", -16, NP_K_STR, NP_P_LABEL },
	[T_REMOTE] = { "remote", "REMOTE", -16, NP_K_STR, NP_P_LABEL },
	[T_NODE] = { "remote_node", NULL, 0, NP_K_STR },
	[T_CIDR] = { "pod_cidr", "POD CIDR", -18, NP_K_STR },
	[T_VXDEV] = { "vxlan_interface", NULL, 0, NP_K_STR },
	[T_MAC] = { "vtep_mac", NULL, 0, NP_K_STR },
	[T_PKTS] = { "packets", "PACKETS", 10, NP_K_COUNT, NP_P_COUNTER,
		     "netprobe_vxlan_packets_total",
		     "Overlay packets (VXLAN, Geneve, IP-in-IP) on the underlay, per tunnel and "
		     "direction." },
	[T_BYTES] = { "bytes", "BYTES", 10, NP_K_BYTES, NP_P_COUNTER,
		      "netprobe_vxlan_bytes_total",
		      "Bytes of the outer frames, Ethernet header and VLAN tags included." },
	[T_LAST] = { "last_seen", "LAST SEEN", -19, NP_K_TIME, NP_P_GAUGE,
		     "netprobe_vxlan_last_seen_timestamp_seconds",
		     "When the tunnel last carried a packet (Unix time)." },
	/* Geneve rows only. */
	[T_OPT] = { "options_bytes", NULL, 0, NP_K_U64 },
	[T_OAM] = { "oam_packets", NULL, 0, NP_K_U64 },
	[T_CRIT] = { "critical_packets", NULL, 0, NP_K_U64 },
};

enum { F_IF, F_IFINDEX, F_DIR, F_TYPE, F_VNI, F_OSRC, F_ODST, F_PROTO, F_PROTO_NUM, F_SRC, F_SPORT,
       F_DST, F_DPORT, F_PKTS, F_BYTES, F_FLAGS, F_FIRST, F_LAST, F_LATER_FRAG };

static const struct np_col flow_cols[] = {
	[F_IF] = { "interface", "INTERFACE", -10, NP_K_STR },
	[F_IFINDEX] = { "ifindex", NULL, 0, NP_K_U64 },
	[F_DIR] = { "direction", "DIR", -7, NP_K_STR },
	[F_TYPE] = { "type", "TYPE", -6, NP_K_STR },
	[F_VNI] = { "vni", "VNI", 8, NP_K_U64 },
	[F_OSRC] = { "outer_src", "OUTER SRC", -15, NP_K_STR },
	[F_ODST] = { "outer_dst", "OUTER DST", -15, NP_K_STR },
	[F_PROTO] = { "proto", "PROTO", -6, NP_K_STR },
	[F_PROTO_NUM] = { "proto_number", NULL, 0, NP_K_U64 },
	[F_SRC] = { "src", "SRC", -15, NP_K_STR },
	[F_SPORT] = { "sport", "SPORT", 5, NP_K_U64 },
	[F_DST] = { "dst", "DST", -15, NP_K_STR },
	[F_DPORT] = { "dport", "DPORT", 5, NP_K_U64 },
	[F_PKTS] = { "packets", "PACKETS", 9, NP_K_COUNT },
	[F_BYTES] = { "bytes", "BYTES", 10, NP_K_BYTES },
	[F_FLAGS] = { "tcp_flags", NULL, 0, NP_K_STR },
	[F_FIRST] = { "first_seen", NULL, 0, NP_K_TIME },
	[F_LAST] = { "last_seen", "LAST SEEN", -19, NP_K_TIME },
	[F_LATER_FRAG] = { "later_fragment", NULL, 0, NP_K_BOOL },
};

#define CM(name, help) NP_P_COUNTER, "netprobe_vxlan_" name "_total", help
#define CB 3	/* counter k is column CB + k */

enum { K_IF, K_IFINDEX, K_DIR, K_PORTS = CB + NP_VXC_MAX, K_GENEVE_PORTS };

static const struct np_col counter_cols[] = {
	[K_IF] = { "interface", "INTERFACE", -10, NP_K_STR, NP_P_LABEL },
	[K_IFINDEX] = { "ifindex", NULL, 0, NP_K_U64 },
	[K_DIR] = { "direction", "DIR", -7, NP_K_STR, NP_P_LABEL },
	[CB + NP_VXC_PACKETS] = { "packets", "PACKETS", 9, NP_K_COUNT },
	[CB + NP_VXC_BYTES] = { "bytes", "BYTES", 9, NP_K_BYTES },
	[CB + NP_VXC_INNER_IPV4] = { "inner_ipv4", "IPV4", 7, NP_K_COUNT,
				     CM("inner_ipv4", "VXLAN packets carrying IPv4.") },
	[CB + NP_VXC_INNER_IPV6] = { "inner_ipv6", "IPV6", 7, NP_K_COUNT,
				     CM("inner_ipv6", "VXLAN packets carrying IPv6.") },
	[CB + NP_VXC_INNER_ARP] = { "inner_arp", "ARP", 6, NP_K_COUNT,
				    CM("inner_arp", "VXLAN packets carrying ARP (no inner flow).") },
	[CB + NP_VXC_INNER_OTHER] = { "inner_other", "OTHER", 6, NP_K_COUNT,
				      CM("inner_other", "VXLAN packets carrying other or "
					 "truncated frames (no inner flow).") },
	[CB + NP_VXC_FLOWS_NEW] = { "flows_created", "FLOWS", 6, NP_K_COUNT, NP_P_COUNTER,
				    "netprobe_k8s_inter_node_flows_total",
				    "Inner (pod-to-pod, inter-node) flows first seen in a VXLAN "
				    "tunnel; a flow evicted and seen again counts again." },
	[CB + NP_VXC_BAD_FLAGS] = { "bad_flags", "BADFLAG", 7, NP_K_COUNT,
				    CM("bad_flags", "UDP to a VXLAN port without the I flag.") },
	[CB + NP_VXC_SHORT] = { "short", "SHORT", 6, NP_K_COUNT,
				CM("short_packets", "UDP to a VXLAN port cut short.") },
	[CB + NP_VXC_OUTER_FRAG] = { "outer_fragments", NULL, 0, NP_K_COUNT,
				     CM("outer_fragments", "Outer IPv4 first fragments to a "
					"VXLAN port (not parsed).") },
	[CB + NP_VXC_CSUM_ZERO] = { "csum_zero", "CSUM0", 7, NP_K_COUNT,
				    CM("udp_csum_zero", "Outer UDP checksum 0 (unused).") },
	[CB + NP_VXC_CSUM_OK] = { "csum_ok", "CSUMOK", 7, NP_K_COUNT,
				  CM("udp_csum_ok", "Outer UDP checksums verified good.") },
	[CB + NP_VXC_CSUM_BAD] = { "csum_bad", "CSUMBAD", 7, NP_K_COUNT,
				   CM("udp_csum_bad", "Outer UDP checksums verified bad.") },
	[CB + NP_VXC_CSUM_TRUSTED] = { "csum_trusted", "TRUSTED", 7, NP_K_COUNT,
				       CM("udp_csum_trusted", "Outer UDP checksums the kernel "
					  "vouches for (offloaded).") },
	[CB + NP_VXC_CSUM_UNCHECKED] = { "csum_unchecked", "UNCHKD", 6, NP_K_COUNT,
					 CM("udp_csum_unchecked", "Outer UDP checksums not "
					    "verified (datagram too long).") },
	[CB + NP_VXC_GENEVE_PACKETS] = { "geneve_packets", NULL, 0, NP_K_COUNT,
					 CM("geneve_packets", "Geneve packets in a tunnel.") },
	[CB + NP_VXC_GENEVE_OPTIONS] = { "geneve_options", NULL, 0, NP_K_COUNT,
					 CM("geneve_options", "Geneve packets with options.") },
	[CB + NP_VXC_GENEVE_OAM] = { "geneve_oam", NULL, 0, NP_K_COUNT,
				     CM("geneve_oam", "Geneve packets with the O (control) bit.") },
	[CB + NP_VXC_GENEVE_CRITICAL] = { "geneve_critical", NULL, 0, NP_K_COUNT,
					  CM("geneve_critical", "Geneve packets with the C "
					     "(critical options) bit.") },
	[CB + NP_VXC_GENEVE_BAD_VERSION] = { "geneve_bad_version", NULL, 0, NP_K_COUNT,
					     CM("geneve_bad_version", "UDP to a Geneve port with "
						"a version other than 0.") },
	[CB + NP_VXC_GENEVE_SHORT] = { "geneve_short", NULL, 0, NP_K_COUNT,
				       CM("geneve_short_packets", "UDP to a Geneve port cut "
					  "short (header, options or inner Ethernet header).") },
	[CB + NP_VXC_IPIP_PACKETS] = { "ipip_packets", NULL, 0, NP_K_COUNT,
				       CM("ipip_packets", "IP-in-IP packets (protocol 4 or 41) "
					  "counted in a tunnel.") },
	[CB + NP_VXC_IPIP_BAD] = { "ipip_bad", NULL, 0, NP_K_COUNT,
				   CM("ipip_bad", "IP-in-IP packets whose inner IP header is cut "
				      "short or of another version.") },
	[K_PORTS] = { "ports", "PORTS", -10, NP_K_U64 },
	[K_GENEVE_PORTS] = { "geneve_ports", NULL, 0, NP_K_U64 },
};

/* ---- the command's state ---- */

struct port_rec {
	struct np_vxlan_port_key key;
	__u8 type;
};

struct show {
	struct np_ctx *ctx;
	const struct np_table *t;	/* the view */
	struct np_query q;
	struct np_dev_entry *devs;	/* devices with the vxlan probe */
	int ndevs;
	int ncpus;
	__u64 mono_off;
	struct np_overlay ov;		/* tunnels: the topology, when it could be read */
	bool have_ov;
	struct port_rec *ports;		/* counters: np_vxlan_ports */
	int nports;
	struct np_col tcols[ARRAY_SIZE(tunnel_cols)];	/* as shown: widths fitted */
	struct np_col fcols[ARRAY_SIZE(flow_cols)];
};

static bool vxlan_dev(const struct show *s, __u32 ifindex)
{
	for (int i = 0; i < s->ndevs; i++)
		if (s->devs[i].rec.ifindex == ifindex)
			return true;
	return false;
}

static __u64 realtime(const struct show *s, __u64 mono)
{
	return mono ? mono + s->mono_off : 0;
}

static int addr_len(const __u8 addr[16])
{
	char buf[INET6_ADDRSTRLEN];

	return strlen(np_addr_str(addr, buf, sizeof(buf)));
}

/* Plain text: an address column pair as wide as the widest address shown. */
static void fit_pair(struct np_col *cols, int a, int b, int w)
{
	int h = strlen(cols[a].header);

	cols[a].width = cols[b].width = -(w > h ? w : h);
}

/* ---- tunnels ---- */

/* The remote VTEP as the topology knows it; false if it does not. */
static bool tunnel_peer(struct show *s, const struct tunnel_rec *r, struct np_overlay_peer *p)
{
	return s->have_ov && r->key.type == NP_TUN_VXLAN &&
	       np_overlay_peer(&s->ov, r->remote, r->key.vni, p);
}

static void print_tunnel(struct np_query *q, const void *rec, void *arg)
{
	const struct tunnel_rec *r = rec;
	struct show *s = arg;
	struct np_out *o = s->ctx->out;
	struct np_overlay_peer peer;
	const char *cidrs[NP_OVERLAY_CIDRS_MAX];
	char buf[INET6_ADDRSTRLEN];

	out_row_begin(o);
	out_str(o, T_IF, np_query_names(q, rec)->dev);
	out_u64(o, T_IFINDEX, r->key.ifindex);
	out_str(o, T_DIR, dir_words[r->egress]);
	out_str(o, T_TYPE, type_word(r->key.type));
	out_u64(o, T_VNI, r->key.vni);
	out_str(o, T_LOCAL, np_addr_str(r->local, buf, sizeof(buf)));
	out_str(o, T_REMOTE, np_addr_str(r->remote, buf, sizeof(buf)));
	if (tunnel_peer(s, r, &peer)) {
		out_str(o, T_NODE, np_addr_str(peer.fdb->dst, buf, sizeof(buf)));
		out_strv(o, T_CIDR, cidrs, np_overlay_split(peer.pod_cidr, cidrs,
							  NP_OVERLAY_CIDRS_MAX));
		out_str(o, T_VXDEV, peer.link->name);
		out_str(o, T_MAC, np_overlay_mac_str(peer.fdb->mac, buf, sizeof(buf)));
	}
	out_u64(o, T_PKTS, r->val.packets);
	out_u64(o, T_BYTES, r->val.bytes);
	out_u64(o, T_LAST, realtime(s, r->val.last_seen));
	if (r->key.type == NP_TUN_GENEVE) {
		out_u64(o, T_OPT, r->val.opt_bytes);
		out_u64(o, T_OAM, r->val.oam);
		out_u64(o, T_CRIT, r->val.critical);
	}
	out_row_end(o);
}

static int on_tunnel(const void *key, const void *value, void *arg)
{
	struct show *s = arg;
	struct np_vxlan_tunnel v;
	struct tunnel_rec r;

	memset(&r, 0, sizeof(r));	/* padding too: rows compare as bytes */
	memcpy(&r.key, key, sizeof(r.key));
	if (!vxlan_dev(s, r.key.ifindex))
		return 0;
	for (int c = 0; c < s->ncpus; c++) {
		memcpy(&v, (const char *)value + c * sizeof(v), sizeof(v));
		r.val.packets += v.packets;
		r.val.bytes += v.bytes;
		r.val.opt_bytes += v.opt_bytes;
		r.val.oam += v.oam;
		r.val.critical += v.critical;
		if (v.last_seen > r.val.last_seen)
			r.val.last_seen = v.last_seen;
	}
	r.egress = r.key.dir == NP_HOOK_TC_EGRESS;
	memcpy(r.local, r.egress ? r.key.src : r.key.dst, 16);
	memcpy(r.remote, r.egress ? r.key.dst : r.key.src, 16);
	return np_query_add(&s->q, &r);
}

static void fit_tunnels(struct show *s)
{
	struct np_overlay_peer peer;
	int w = 0, cw = 8;

	for (size_t i = 0; i < np_query_rows(&s->q); i++) {
		const struct tunnel_rec *r = np_query_row(&s->q, i);
		int l = addr_len(r->local), m = addr_len(r->remote);

		w = l > w ? l : w;
		w = m > w ? m : w;
		if (tunnel_peer(s, r, &peer) && (int)strlen(peer.pod_cidr) > cw)
			cw = strlen(peer.pod_cidr);
	}
	fit_pair(s->tcols, T_LOCAL, T_REMOTE, w);
	s->tcols[T_CIDR].width = -cw;
}

/* ---- inner flows ---- */

static void print_flow(struct np_query *q, const void *rec, void *arg)
{
	const struct flow_rec *r = rec;
	const struct np_flow_key *k = &r->key.inner;
	struct show *s = arg;
	struct np_out *o = s->ctx->out;
	char buf[INET6_ADDRSTRLEN], flags[16];

	out_row_begin(o);
	out_str(o, F_IF, np_query_names(q, rec)->dev);
	out_u64(o, F_IFINDEX, k->ifindex);
	out_str(o, F_DIR, dir_words[r->egress]);
	out_str(o, F_TYPE, type_word(r->key.type));
	out_u64(o, F_VNI, r->key.vni);
	out_str(o, F_OSRC, np_addr_str(r->key.outer_src, buf, sizeof(buf)));
	out_str(o, F_ODST, np_addr_str(r->key.outer_dst, buf, sizeof(buf)));
	np_out_proto(o, F_PROTO, F_PROTO_NUM, k->proto);
	out_str(o, F_SRC, np_addr_str(k->src, buf, sizeof(buf)));
	out_str(o, F_DST, np_addr_str(k->dst, buf, sizeof(buf)));
	np_out_ports(o, F_SPORT, F_DPORT, r->later_fragment, k->sport, k->dport);
	out_u64(o, F_PKTS, r->val.packets);
	out_u64(o, F_BYTES, r->val.bytes);
	if (k->proto == IPPROTO_TCP) {
		np_tcp_flags_str(r->val.tcp_flags, flags, sizeof(flags));
		out_str(o, F_FLAGS, flags);
	}
	out_u64(o, F_FIRST, realtime(s, r->val.first_seen));
	out_u64(o, F_LAST, realtime(s, r->val.last_seen));
	out_bool(o, F_LATER_FRAG, r->later_fragment);
	out_row_end(o);
}

static int on_flow(const void *key, const void *value, void *arg)
{
	struct show *s = arg;
	struct flow_rec r;

	memset(&r, 0, sizeof(r));
	memcpy(&r.key, key, sizeof(r.key));
	memcpy(&r.val, value, sizeof(r.val));
	if (!vxlan_dev(s, r.key.inner.ifindex))
		return 0;
	r.egress = r.key.inner.dir == NP_HOOK_TC_EGRESS;
	memcpy(r.remote, r.egress ? r.key.outer_dst : r.key.outer_src, 16);
	r.later_fragment = !!(r.key.inner.flags & NP_FLOW_F_LATER_FRAGMENT);
	r.has_ports = np_proto_has_ports(r.key.inner.proto) && !r.later_fragment;
	return np_query_add(&s->q, &r);
}

static void fit_flows(struct show *s)
{
	int ow = 0, iw = 0;

	for (size_t i = 0; i < np_query_rows(&s->q); i++) {
		const struct flow_rec *r = np_query_row(&s->q, i);
		int a = addr_len(r->key.outer_src), b = addr_len(r->key.outer_dst);
		int c = addr_len(r->key.inner.src), d = addr_len(r->key.inner.dst);

		ow = a > ow ? a : ow;
		ow = b > ow ? b : ow;
		iw = c > iw ? c : iw;
		iw = d > iw ? d : iw;
	}
	fit_pair(s->fcols, F_OSRC, F_ODST, ow);
	fit_pair(s->fcols, F_SRC, F_DST, iw);
}

/*
 * Tunnels and flows: a walk of map, rows streamed when unordered, else
 * kept, fitted (plain text) and emitted in order.
 */
static int show_rows(struct show *s, const char *map, size_t key_size, size_t value_size,
		     np_map_walk_fn on_entry, void (*emit)(struct np_query *, const void *, void *),
		     struct np_col *cols, int ncols, void (*fit)(struct show *))
{
	struct np_query *q = &s->q;
	struct np_out *o = s->ctx->out;
	int fd, err;

	fd = np_map_open(s->ctx, map);
	if (fd < 0)
		return np_err(s->ctx, "cannot open %s/maps/%s: %s", s->ctx->pin_root, map,
			      strerror(-fd));
	np_query_start(q, emit, s);
	if (!q->collect)
		out_table_begin(o, NULL, cols, ncols, NP_LAYOUT_TABLE);
	err = np_map_walk(fd, key_size, value_size, false, on_entry, s);
	close(fd);
	if (!q->collect)
		out_table_end(o);
	if (err == -EPIPE)
		return NP_EXIT_OK;	/* the reader went away */
	if (err)
		return np_err(s->ctx, "cannot read %s: %s", map, strerror(-err));
	if (q->collect) {
		fit(s);
		out_table_begin(o, NULL, cols, ncols, NP_LAYOUT_TABLE);
		np_query_end(q);
		out_table_end(o);
	}
	return NP_EXIT_OK;
}

static int show_tunnels(struct show *s)
{
	int err = np_overlay_read(&s->ov);

	/* Without the topology the counters are still worth printing. */
	s->have_ov = !err;
	if (err)
		np_warn(s->ctx, "cannot read the overlay topology: %s", strerror(-err));
	memcpy(s->tcols, tunnel_cols, sizeof(s->tcols));
	err = show_rows(s, "np_vxlan_tunnels", sizeof(struct np_vxlan_tunnel_key),
			((sizeof(struct np_vxlan_tunnel) + 7) & ~7ul) * s->ncpus, on_tunnel,
			print_tunnel, s->tcols, ARRAY_SIZE(s->tcols), fit_tunnels);
	np_overlay_free(&s->ov);
	return err;
}

static int show_flows(struct show *s)
{
	memcpy(s->fcols, flow_cols, sizeof(s->fcols));
	return show_rows(s, "np_vxlan_flows", sizeof(struct np_vxlan_flow_key),
			 sizeof(struct np_vxlan_flow), on_flow, print_flow, s->fcols,
			 ARRAY_SIZE(s->fcols), fit_flows);
}

/* ---- counters ---- */

static int port_cmp(const void *a, const void *b)
{
	return (int)*(const __u64 *)a - (int)*(const __u64 *)b;
}

static int on_port(const void *key, const void *value, void *arg)
{
	struct show *s = arg;
	struct port_rec *nv;

	nv = realloc(s->ports, (s->nports + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	s->ports = nv;
	memcpy(&nv[s->nports].key, key, sizeof(nv->key));
	nv[s->nports++].type = *(const __u8 *)value;
	return 0;
}

/* np_vxlan_ports, all devices; without it, rows say no port. */
static void ports_read(struct show *s)
{
	int fd = np_map_open(s->ctx, "np_vxlan_ports");

	if (fd < 0)
		return;
	if (np_map_walk(fd, sizeof(struct np_vxlan_port_key), sizeof(__u8), false, on_port, s))
		s->nports = 0;
	close(fd);
}

static void print_counters(struct np_query *q, const void *rec, void *arg)
{
	const struct counters_rec *r = rec;
	struct show *s = arg;
	struct np_out *o = s->ctx->out;
	__u64 ports[NP_VXLAN_PORTS_MAX], gports[NP_VXLAN_PORTS_MAX];
	int n = 0, g = 0;

	for (int i = 0; i < s->nports && n + g < NP_VXLAN_PORTS_MAX; i++) {
		if (s->ports[i].key.ifindex != r->ifindex)
			continue;
		if (s->ports[i].type == NP_TUN_GENEVE)
			gports[g++] = s->ports[i].key.port;
		else
			ports[n++] = s->ports[i].key.port;
	}
	np_sort(ports, n, sizeof(ports[0]), port_cmp);
	np_sort(gports, g, sizeof(gports[0]), port_cmp);
	out_row_begin(o);
	out_str(o, K_IF, np_query_names(q, rec)->dev);
	out_u64(o, K_IFINDEX, r->ifindex);
	out_str(o, K_DIR, dir_words[r->egress]);
	for (int k = 0; k < NP_VXC_MAX; k++)
		out_u64(o, CB + k, r->c.v[k]);
	out_u64v(o, K_PORTS, ports, n);
	out_u64v(o, K_GENEVE_PORTS, gports, g);
	out_row_end(o);
}

static int show_counters(struct show *s)
{
	int fd = np_map_open(s->ctx, "np_vxlan_counters");
	struct np_out *o = s->ctx->out;
	int err = 0;

	if (fd < 0)
		return np_err(s->ctx, "cannot open %s/maps/np_vxlan_counters: %s",
			      s->ctx->pin_root, strerror(-fd));
	ports_read(s);
	np_query_start(&s->q, print_counters, s);
	out_table_begin(o, NULL, counter_cols, ARRAY_SIZE(counter_cols), NP_LAYOUT_TABLE);
	for (int i = 0; i < s->ndevs && !err; i++) {
		for (__u32 hook = NP_HOOK_TC_INGRESS; hook <= NP_HOOK_TC_EGRESS && !err; hook++) {
			struct np_stats_key key = { .ifindex = s->devs[i].rec.ifindex, .hook = hook };
			struct counters_rec r;

			memset(&r, 0, sizeof(r));
			r.ifindex = key.ifindex;
			r.egress = hook == NP_HOOK_TC_EGRESS;
			/* No entry yet: nothing reached a VXLAN port, all zero. */
			np_percpu_sum(fd, &key, r.c.v, NP_VXC_MAX);
			err = np_query_add(&s->q, &r);
		}
	}
	np_query_end(&s->q);
	out_table_end(o);
	close(fd);
	if (err && err != -EPIPE)
		return np_err(s->ctx, "cannot show the counters: %s", strerror(-err));
	return NP_EXIT_OK;
}

/* ---- command line ---- */

/* The view a word names: exactly, or by a prefix that no keyword shares. */
static const struct np_table *view_named(const char *word)
{
	size_t n = strlen(word);

	if (!strcmp(word, "flows"))
		return &flows_table;
	if (!strcmp(word, "counters"))
		return &counters_table;
	for (const struct np_filter_def *d = flow_filters; d->kw; d++)
		if (!strncmp(word, d->kw, n))
			return NULL;
	if (n && !strncmp(word, "flows", n))
		return &flows_table;
	if (n && !strncmp(word, "counters", n))
		return &counters_table;
	return NULL;
}

static bool table_has(const struct np_table *t, const char *kw)
{
	if (!strcmp(kw, "sort"))
		return t->sorts != NULL;
	if (!strcmp(kw, "top"))
		return t->top;
	for (const struct np_filter_def *d = t->filters; d->kw; d++)
		if (!strcmp(d->kw, kw))
			return true;
	return false;
}

/* "'vni' applies to 'show vxlan' and 'show vxlan flows'", for a keyword t lacks. */
static int not_in_view(struct np_ctx *ctx, const struct np_table *t, const char *kw)
{
	char list[128] = "";
	size_t len = 0;
	int n = 0, have = 0;

	for (size_t i = 0; i < ARRAY_SIZE(views); i++)
		have += table_has(views[i], kw);
	for (size_t i = 0; i < ARRAY_SIZE(views); i++) {
		if (!table_has(views[i], kw))
			continue;
		n++;
		len += snprintf(list + len, len < sizeof(list) ? sizeof(list) - len : 0, "%s'%s'",
				n == 1 ? "" : n == have ? " and " : ", ", views[i]->what);
	}
	return np_usage(ctx, "%s: '%s' applies to %s", t->what, kw, list);
}

/*
 * The keywords of every view (flows has them all), each once and its value
 * well formed, then those view t lacks: usage errors that say where a
 * keyword goes instead of "unknown".
 */
static int check_view(struct np_ctx *ctx, const struct np_table *t, int argc, char **argv)
{
	struct np_filter_def defs[ARRAY_SIZE(flow_filters) + 2];
	struct np_table all = flows_table;
	struct np_query syn;
	size_t n = 0;
	int err;

	for (const struct np_filter_def *d = flow_filters; d->kw; d++)
		defs[n++] = *d;
	/* The views' own words, to say where they go. */
	defs[n++] = (struct np_filter_def){ .kw = "flows", .how = NP_M_FLAG };
	defs[n++] = (struct np_filter_def){ .kw = "counters", .how = NP_M_FLAG };
	defs[n] = (struct np_filter_def){ .kw = NULL };
	all.what = t->what;
	all.filters = defs;
	err = np_query_parse(&syn, ctx, &all, argc, argv);
	for (int i = 0; !err && i < syn.nf; i++) {
		const char *kw = syn.f[i].def->kw;

		if (view_named(kw))
			err = np_usage(ctx, "show vxlan: '%s' comes first", kw);
		else if (!table_has(t, kw))
			err = not_in_view(ctx, t, kw);
	}
	if (!err && syn.sort && !t->sorts)
		err = not_in_view(ctx, t, "sort");
	if (!err && syn.top && !t->top)
		err = not_in_view(ctx, t, "top");
	np_query_free(&syn);
	return err;
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

/* The devices with the vxlan probe; dev DEV must be one of them. */
static int vxlan_devices(struct show *s, const char *dev)
{
	struct np_dev_entry *all;
	__u64 ifindex;
	int n, err;

	err = np_devices_list(s->ctx, &all, &n);
	if (err)
		return np_err(s->ctx, "cannot read the device list: %s", strerror(-err));
	s->ndevs = 0;
	for (int i = 0; i < n; i++)
		if (all[i].rec.hooks & VXLAN_BITS)
			all[s->ndevs++] = all[i];
	s->devs = all;
	if (dev && np_query_has(&s->q, "dev", &ifindex) && !vxlan_dev(s, ifindex))
		return dev_lacks_vxlan(s->ctx, dev);
	if (!s->ndevs)
		return np_err(s->ctx, NOT_ATTACHED);
	return 0;
}

static const char *help_detail(void)
{
	static char buf[1536];
	char t[384], f[512], c[128];

	snprintf(buf, sizeof(buf),
		 "Views; a keyword applies to the views that list it:\n"
		 "  netprobe show vxlan %s\n  netprobe show vxlan %s\n  netprobe show vxlan %s\n"
		 "type is the overlay: vxlan, geneve (UDP 6081) or ipip (IP protocol 4 or 41,\n"
		 "VNI 0). remote is the other end's outer address; src, dst, proto and the ports\n"
		 "are the inner packet's. Tunnels and flows come biggest first (bytes) in plain\n"
		 "text; under --json and --prom in table order unless sort or top is given.\n",
		 np_table_synopsis(&tunnels_table, t, sizeof(t)),
		 np_table_synopsis(&flows_table, f, sizeof(f)),
		 np_table_synopsis(&counters_table, c, sizeof(c)));
	return buf;
}

static int run_view(struct show *s)
{
	enum np_format fmt = out_format(s->ctx->out);

	s->mono_off = np_mono_to_real_offset();
	s->ncpus = libbpf_num_possible_cpus();
	if (s->ncpus <= 0)
		return np_err(s->ctx, "cannot count the possible CPUs: %s", strerror(-s->ncpus));
	/* People get the biggest first; scripts get a stream. */
	if (s->t->sorts && (s->q.top || fmt == NP_FMT_PLAIN))
		np_query_default_sort(&s->q, "bytes");
	if (s->t == &tunnels_table)
		return show_tunnels(s);
	if (s->t == &flows_table)
		return show_flows(s);
	return show_counters(s);
}

int cmd_show_vxlan(struct np_ctx *ctx, int argc, char **argv)
{
	struct show s = { .ctx = ctx, .t = &tunnels_table };
	const char *dev;
	int err;

	if (argc && np_is_help(argv[argc - 1]))
		return np_cmd_help_self(ctx, help_detail());
	if (argc && view_named(argv[0])) {
		s.t = view_named(argv[0]);
		argc--;
		argv++;
	}
	/* Usage errors first, whatever is attached. */
	err = check_view(ctx, s.t, argc, argv);
	if (!err)
		err = np_query_parse(&s.q, ctx, s.t, argc, argv);
	if (!err && s.t == &flows_table && out_format(ctx->out) == NP_FMT_PROM)
		err = np_usage(ctx, "show vxlan flows: flows are not metrics; use 'show vxlan' "
			       "or 'show vxlan counters' with --prom");
	if (err)
		goto out;
	dev = np_query_str(&s.q, "dev");
	err = np_state_open(ctx, NP_ST_MAY_BE_EMPTY);
	if (err == NP_STATE_EMPTY)
		err = dev ? np_dev_not_attached(ctx, dev) : np_err(ctx, NOT_ATTACHED);
	/* dev DEV needs the attach records. */
	if (!err)
		err = np_query_bind(&s.q);
	if (!err)
		err = vxlan_devices(&s, dev);
	if (!err)
		err = run_view(&s);
out:
	np_query_free(&s.q);
	free(s.devs);
	free(s.ports);
	return err;
}
