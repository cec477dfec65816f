// SPDX-License-Identifier: GPL-2.0
/*
 * Overlays on the underlay device, at TC ingress and egress: VXLAN,
 * Geneve and IP-in-IP.
 *
 * A UDP datagram to one of the device's tunnel ports (np_vxlan_ports, set
 * by attach: VXLAN on 4789, 8472 and any `vxlan-port N`, Geneve on 6081
 * and any `geneve-port N`) is parsed as outer Ethernet (+ up to two VLAN
 * tags), outer IPv4/IPv6, UDP, the VXLAN or Geneve header (and Geneve's
 * options) and the inner frame: Ethernet, or for Geneve with protocol type
 * IPv4/IPv6 an IP packet. An IPv4 or IPv6 packet of protocol 4 (IPv4) or
 * 41 (IPv6) is IP-in-IP: its tunnel is the outer address pair (VNI 0).
 * Well-formed packets count in np_vxlan_tunnels per (type, VNI, outer src,
 * outer dst, device, hook) with the outer frame length, as the device
 * counters and a capture count it. Inner IPv4/IPv6 packets count in
 * np_vxlan_flows with the inner frame length (IP-in-IP and Geneve without
 * an inner Ethernet header: the inner IP packet's); inner ARP and other
 * protocols count in the tunnel and in np_vxlan_counters, but make no
 * inner flow.
 *
 * Outer UDP checksums: 0 means "not used" (the Linux default for VXLAN over
 * IPv4). A non-zero checksum the kernel already vouches for (ip_summed
 * CHECKSUM_UNNECESSARY: checked by the NIC; CHECKSUM_PARTIAL: made here,
 * filled in later) is counted as trusted. Any other is verified here over
 * the whole datagram (bpf_csum_diff, up to CSUM_CHUNKS * CSUM_CHUNK bytes;
 * longer ones are counted as unchecked). A bad checksum is counted, and the
 * packet still counts in its tunnel: it was on the wire.
 *
 * The programs only read: they return TC_ACT_UNSPEC so that the next
 * program on the hook (or the stack) decides.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>
#include "common.bpf.h"
/* Helper reads only: direct reads of outer and inner frame, both parsed
 * here, take the verifier past its 1M-instruction limit. */
#ifndef NP_NO_DIRECT
#define NP_NO_DIRECT
#endif
#include "parse.bpf.h"

#define TC_ACT_UNSPEC	(-1)
#define VLAN_HLEN	4
#define ETH_HLEN	14
#define ETH_P_ARP	0x0806
#define VXLAN_HLEN	8
#define VXLAN_FLAG_I	0x08
#define GENEVE_HLEN	8
#define GENEVE_F_OAM	0x80
#define GENEVE_F_CRIT	0x40
#define ETH_P_TEB	0x6558	/* Geneve protocol type: an Ethernet frame */
#define PROTO_IPIP	4	/* IPv4 in IP */
#define PROTO_IPV6	41	/* IPv6 in IP */
#define CHECKSUM_UNNECESSARY 1
#define CHECKSUM_PARTIAL 3

/* Software checksum: datagrams up to CSUM_CHUNK * CSUM_CHUNKS bytes. */
#define CSUM_CHUNK	256
#define CSUM_CHUNKS	16

char LICENSE[] SEC("license") = "GPL";

/* 6.3+; weak so that the object loads on older kernels, where every
 * non-zero checksum then counts as unchecked (bpf_ksym_exists is false). */
extern void *bpf_cast_to_kern_ctx(void *obj) __ksym __weak;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NP_VXLAN_PORTS_MAX);
	__type(key, struct np_vxlan_port_key);
	__type(value, __u8);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_vxlan_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, NP_VXLAN_TUNNELS_MAX);
	__type(key, struct np_vxlan_tunnel_key);
	__type(value, struct np_vxlan_tunnel);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_vxlan_tunnels SEC(".maps");

/* Size set by attach (flows N) when the map is first made. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NP_VXLAN_FLOWS_DEFAULT);
	__type(key, struct np_vxlan_flow_key);
	__type(value, struct np_vxlan_flow);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_vxlan_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, NP_MAX_DEVICES * 2);
	__type(key, struct np_stats_key);
	__type(value, struct np_vxlan_counters);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_vxlan_counters SEC(".maps");

struct csum_buf {
	__u8 b[CSUM_CHUNK + 4];
};

/* Scratch space for the checksum; per program load, not pinned. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct csum_buf);
} vxlan_csum_buf SEC(".maps");

/* What the outer headers said. */
struct outer {
	__u8 src[16];
	__u8 dst[16];
	__u32 udp_off;		/* UDP types */
	__u16 udp_len;
	__u16 csum;
	__u32 l4_off;		/* IP-in-IP: the inner packet and its length */
	__u32 l4_len;
	__u8 v6;
	__u8 proto;		/* outer IP protocol */
};

/* The tunnel header as read: what the tunnel row and the inner parse need. */
struct tun {
	__u32 vni;
	__u32 off;		/* the inner frame (or packet, raw_ip) */
	__u32 len;
	__u32 opt_bytes;	/* Geneve options */
	__u8 type;		/* enum np_tunnel_type */
	__u8 raw_ip;		/* the inner packet is IP without an Ethernet header */
	__u8 opaque;		/* an inner protocol netprobe does not parse */
	__u8 flags;		/* Geneve's O and C bits */
};

struct vxlanhdr_raw {
	__u8 flags;
	__u8 rsvd1[3];
	__u8 vni[3];
	__u8 rsvd2;
};

struct genevehdr_raw {
	__u8 ver_opt;		/* version (2 bits), options length in 4-byte words (6) */
	__u8 flags;		/* O, C, reserved */
	__be16 proto;		/* protocol type of the inner packet (an ethertype) */
	__u8 vni[3];
	__u8 rsvd;
};

static __always_inline struct np_vxlan_counters *counters(__u32 ifindex, __u32 hook)
{
	struct np_stats_key key = { .ifindex = ifindex, .hook = hook };
	struct np_vxlan_counters zero = {};

	return np_map_get_or_insert(&np_vxlan_counters, &key, &zero);
}

/*
 * Outer IP and UDP to a tunnel port of this device, or IP-in-IP. Returns
 * the enum np_tunnel_type, or 0 if it is no tunnel packet, and counts outer
 * first fragments (which it does not parse).
 */
static __always_inline int parse_outer(struct __sk_buff *skb, __u32 hook, struct outer *o)
{
	struct np_vxlan_port_key pk = { .ifindex = skb->ifindex };
	struct np_cur cur = NP_CUR_SKB(skb);
	struct np_pkt p = {};
	struct udphdr uh = {};
	__u8 *type;
	int t;

	/* Later fragments have no L4 header (l4_ok and l4_off 0). */
	if (np_parse_frame(&cur, 0, false, &p) || !p.ip || p.fragment)
		return 0;
	if (p.key.proto == IPPROTO_UDP) {
		if (!p.l4_ok || np_load(&cur, p.l4_off, &uh, sizeof(uh)))
			return 0;
		pk.port = p.key.dport;
		type = bpf_map_lookup_elem(&np_vxlan_ports, &pk);
		if (!type)
			return 0;
		t = *type;
	} else if (p.key.proto == PROTO_IPIP || p.key.proto == PROTO_IPV6) {
		if (!p.l4_off)
			return 0;	/* an IPv4 header length under 20 */
		t = NP_TUN_IPIP;
	} else {
		return 0;
	}
	if (p.first_fragment) {
		struct np_vxlan_counters *c = counters(skb->ifindex, hook);

		if (c)
			c->v[NP_VXC_OUTER_FRAG]++;
		return 0;
	}
	__builtin_memcpy(o->src, p.key.src, 16);
	__builtin_memcpy(o->dst, p.key.dst, 16);
	o->v6 = p.ip == 6;
	o->proto = p.key.proto;
	o->l4_off = p.l4_off;
	o->l4_len = p.l4_len;
	if (t != NP_TUN_IPIP) {
		o->udp_off = p.l4_off;
		o->udp_len = bpf_ntohs(uh.len);
		o->csum = uh.check;
	}
	return t;
}

/* Ones' complement sum of the pseudo-header. */
static __always_inline __s64 pseudo_sum(const struct outer *o)
{
	if (o->v6) {
		struct {
			__u8 src[16];
			__u8 dst[16];
			__be32 len;
			__u8 zero[3];
			__u8 nexthdr;
		} ph6 = { .len = bpf_htonl(o->udp_len), .nexthdr = IPPROTO_UDP };

		__builtin_memcpy(ph6.src, o->src, 16);
		__builtin_memcpy(ph6.dst, o->dst, 16);
		return bpf_csum_diff(NULL, 0, (__be32 *)&ph6, sizeof(ph6), 0);
	} else {
		struct {
			__u8 src[4];
			__u8 dst[4];
			__u8 zero;
			__u8 proto;
			__be16 len;
		} ph4 = { .proto = IPPROTO_UDP, .len = bpf_htons(o->udp_len) };

		__builtin_memcpy(ph4.src, o->src + 12, 4);
		__builtin_memcpy(ph4.dst, o->dst + 12, 4);
		return bpf_csum_diff(NULL, 0, (__be32 *)&ph4, sizeof(ph4), 0);
	}
}

/* 1 if the datagram's checksum is right, 0 if wrong, -1 if not computed. */
static __always_inline int udp_csum_verify(struct __sk_buff *skb, const struct outer *o)
{
	__u64 len = o->udp_len;
	__u32 key = 0;
	struct csum_buf *cb;
	__s64 sum;

	cb = bpf_map_lookup_elem(&vxlan_csum_buf, &key);
	if (!cb)
		return -1;
	sum = pseudo_sum(o);
	for (__u32 i = 0; i < CSUM_CHUNKS; i++) {
		/* 64-bit, so that the verifier sees the bound checks on n itself. */
		__u64 off = i * CSUM_CHUNK, n;

		if (sum < 0)
			return -1;
		if (off >= len)
			break;
		n = len - off;
		if (n > CSUM_CHUNK)
			n = CSUM_CHUNK;
		if (n < 1 || bpf_skb_load_bytes(skb, o->udp_off + off, cb->b, n))
			return -1;
		/* bpf_csum_diff sums 4-byte words: zero the tail of the last one. */
		cb->b[n] = 0;
		cb->b[n + 1] = 0;
		cb->b[n + 2] = 0;
		sum = bpf_csum_diff(NULL, 0, (__be32 *)cb->b, (n + 3) & ~3ull, (__u32)sum);
	}
	if (sum < 0)
		return -1;
	sum = (sum & 0xffff) + ((__u64)sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

static __always_inline int csum_class(struct __sk_buff *skb, const struct outer *o)
{
	struct sk_buff *kskb;
	int ok;

	if (!o->csum)
		return NP_VXC_CSUM_ZERO;
	if (!bpf_ksym_exists(bpf_cast_to_kern_ctx))
		return NP_VXC_CSUM_UNCHECKED;
	kskb = bpf_cast_to_kern_ctx(skb);
	switch (BPF_CORE_READ_BITFIELD(kskb, ip_summed)) {
	case CHECKSUM_UNNECESSARY:
	case CHECKSUM_PARTIAL:
		return NP_VXC_CSUM_TRUSTED;
	}
	if (o->udp_len > CSUM_CHUNK * CSUM_CHUNKS)
		return NP_VXC_CSUM_UNCHECKED;
	ok = udp_csum_verify(skb, o);
	if (ok < 0)
		return NP_VXC_CSUM_UNCHECKED;
	return ok ? NP_VXC_CSUM_OK : NP_VXC_CSUM_BAD;
}

static __always_inline void tunnel_count(struct __sk_buff *skb, __u32 hook,
					 const struct outer *o, const struct tun *tn, __u64 len,
					 __u64 now)
{
	struct np_vxlan_tunnel_key key = { .vni = tn->vni, .ifindex = skb->ifindex, .dir = hook,
					   .type = tn->type };
	struct np_vxlan_tunnel zero = {}, *t;

	__builtin_memcpy(key.src, o->src, 16);
	__builtin_memcpy(key.dst, o->dst, 16);
	t = np_map_get_or_insert(&np_vxlan_tunnels, &key, &zero);
	if (!t)
		return;
	/* Per-CPU value: no other CPU writes this copy. */
	t->packets++;
	t->bytes += len;
	t->last_seen = now;
	if (tn->type == NP_TUN_GENEVE) {
		t->opt_bytes += tn->opt_bytes;
		t->oam += !!(tn->flags & GENEVE_F_OAM);
		t->critical += !!(tn->flags & GENEVE_F_CRIT);
	}
}

static __always_inline void flow_count(struct np_vxlan_flow_key *fk, __u64 len, __u64 now,
				       __u32 tcp_flags, struct np_vxlan_counters *c)
{
	struct np_vxlan_flow *f = bpf_map_lookup_elem(&np_vxlan_flows, fk);

	if (!f) {
		struct np_vxlan_flow nf = { .packets = 1, .bytes = len, .first_seen = now,
					    .last_seen = now, .tcp_flags = tcp_flags };

		if (!bpf_map_update_elem(&np_vxlan_flows, fk, &nf, BPF_NOEXIST)) {
			if (c)
				c->v[NP_VXC_FLOWS_NEW]++;
			return;
		}
		/* Another CPU made it first: add to that one. */
		f = bpf_map_lookup_elem(&np_vxlan_flows, fk);
		if (!f)
			return;
	}
	__sync_fetch_and_add(&f->packets, 1);
	__sync_fetch_and_add(&f->bytes, len);
	f->last_seen = now;
	if (tcp_flags & ~f->tcp_flags)
		f->tcp_flags |= tcp_flags;	/* a lost race only loses a flag bit */
}

/* The inner frame (or IP packet): count it by protocol, and as a flow if IP. */
static __always_inline void inner_count(struct __sk_buff *skb, __u32 hook, const struct outer *o,
					const struct tun *tn, __u64 now,
					struct np_vxlan_counters *c)
{
	struct np_vxlan_flow_key fk = { .vni = tn->vni, .type = tn->type };
	struct np_cur cur = NP_CUR_SKB(skb);
	int kind = NP_VXC_INNER_OTHER;
	struct np_pkt p = {};

	if (tn->opaque)
		goto out;
	/* The inner frame ends where the datagram (or outer packet) does. */
	cur.len = tn->off + tn->len;
	if (!np_parse_frame(&cur, tn->off, tn->raw_ip, &p) && p.ip) {
		kind = p.ip == 4 ? NP_VXC_INNER_IPV4 : NP_VXC_INNER_IPV6;
		fk.inner = p.key;
		fk.inner.dir = hook;
		fk.inner.ifindex = skb->ifindex;
		__builtin_memcpy(fk.outer_src, o->src, 16);
		__builtin_memcpy(fk.outer_dst, o->dst, 16);
		flow_count(&fk, tn->len, now, p.tcp_flags, c);
	} else if (p.l3proto == ETH_P_ARP) {
		kind = NP_VXC_INNER_ARP;
	}
out:
	c->v[kind]++;
}

/* The datagram and the packet hold need bytes of it. */
static __always_inline bool udp_short(struct __sk_buff *skb, const struct outer *o, __u32 need)
{
	return o->udp_len < need || o->udp_off + o->udp_len > skb->len;
}

/* The VXLAN header: 0 if a tunnel packet, else counted and -1. */
static __always_inline int vxlan_header(struct __sk_buff *skb, const struct outer *o,
					struct np_vxlan_counters *c, struct tun *tn)
{
	struct vxlanhdr_raw vh;

	/* Room for the VXLAN header and an inner Ethernet header, in the
	 * datagram and in the packet. */
	if (udp_short(skb, o, sizeof(struct udphdr) + VXLAN_HLEN + ETH_HLEN) ||
	    bpf_skb_load_bytes(skb, o->udp_off + sizeof(struct udphdr), &vh, sizeof(vh))) {
		c->v[NP_VXC_SHORT]++;
		return -1;
	}
	c->v[csum_class(skb, o)]++;
	if (!(vh.flags & VXLAN_FLAG_I)) {
		c->v[NP_VXC_BAD_FLAGS]++;
		return -1;
	}
	tn->vni = (vh.vni[0] << 16) | (vh.vni[1] << 8) | vh.vni[2];
	tn->off = o->udp_off + sizeof(struct udphdr) + VXLAN_HLEN;
	/* The datagram's own length: Ethernet padding is no part of it. */
	tn->len = o->udp_len - sizeof(struct udphdr) - VXLAN_HLEN;
	return 0;
}

/* The Geneve header and its options: 0 if a tunnel packet, else counted and -1. */
static __always_inline int geneve_header(struct __sk_buff *skb, const struct outer *o,
					 struct np_vxlan_counters *c, struct tun *tn)
{
	struct genevehdr_raw gh;
	__u32 hlen, need;
	__u16 proto;

	if (udp_short(skb, o, sizeof(struct udphdr) + GENEVE_HLEN) ||
	    bpf_skb_load_bytes(skb, o->udp_off + sizeof(struct udphdr), &gh, sizeof(gh))) {
		c->v[NP_VXC_GENEVE_SHORT]++;
		return -1;
	}
	c->v[csum_class(skb, o)]++;
	if (gh.ver_opt >> 6) {
		c->v[NP_VXC_GENEVE_BAD_VERSION]++;
		return -1;
	}
	proto = bpf_ntohs(gh.proto);
	tn->opt_bytes = (gh.ver_opt & 0x3f) * 4;
	hlen = sizeof(struct udphdr) + GENEVE_HLEN + tn->opt_bytes;
	/* The options, and an inner Ethernet header if it says there is one. */
	need = hlen + (proto == ETH_P_TEB ? ETH_HLEN : 0);
	if (o->udp_len < need) {
		c->v[NP_VXC_GENEVE_SHORT]++;
		return -1;
	}
	tn->vni = (gh.vni[0] << 16) | (gh.vni[1] << 8) | gh.vni[2];
	tn->flags = gh.flags & (GENEVE_F_OAM | GENEVE_F_CRIT);
	tn->off = o->udp_off + hlen;
	tn->len = o->udp_len - hlen;
	tn->raw_ip = proto == NP_ETH_P_IP || proto == NP_ETH_P_IPV6;
	tn->opaque = proto != ETH_P_TEB && !tn->raw_ip;
	/* The parser tells an inner IP packet's version by its first byte:
	 * one that is not the protocol type's is no packet of it. */
	if (tn->raw_ip) {
		__u8 first;

		if (bpf_skb_load_bytes(skb, tn->off, &first, 1) ||
		    (first >> 4) != (proto == NP_ETH_P_IP ? 4 : 6))
			tn->opaque = 1;
	}
	c->v[NP_VXC_GENEVE_PACKETS]++;
	if (tn->opt_bytes)
		c->v[NP_VXC_GENEVE_OPTIONS]++;
	if (tn->flags & GENEVE_F_OAM)
		c->v[NP_VXC_GENEVE_OAM]++;
	if (tn->flags & GENEVE_F_CRIT)
		c->v[NP_VXC_GENEVE_CRITICAL]++;
	return 0;
}

/* IP-in-IP: 0 if a whole inner IP header of the version the protocol says, else counted and -1. */
static __always_inline int ipip_header(struct __sk_buff *skb, const struct outer *o,
				       struct np_vxlan_counters *c, struct tun *tn)
{
	__u8 v4 = o->proto == PROTO_IPIP, first;
	__u32 need = v4 ? 20 : 40;

	if (o->l4_len < need || o->l4_off + o->l4_len > skb->len ||
	    bpf_skb_load_bytes(skb, o->l4_off, &first, 1) || (first >> 4) != (v4 ? 4 : 6)) {
		c->v[NP_VXC_IPIP_BAD]++;
		return -1;
	}
	tn->off = o->l4_off;
	tn->len = o->l4_len;
	tn->raw_ip = 1;
	c->v[NP_VXC_IPIP_PACKETS]++;
	return 0;
}

static __always_inline int handle(struct __sk_buff *skb, __u32 hook)
{
	struct np_vxlan_counters *c;
	struct outer o = {};
	struct tun tn = {};
	__u64 frame_len, now;
	int err;

	tn.type = parse_outer(skb, hook, &o);
	if (!tn.type)
		return TC_ACT_UNSPEC;
	c = counters(skb->ifindex, hook);
	if (!c)
		return TC_ACT_UNSPEC;
	if (tn.type == NP_TUN_IPIP)
		err = ipip_header(skb, &o, c, &tn);
	else if (tn.type == NP_TUN_GENEVE)
		err = geneve_header(skb, &o, c, &tn);
	else
		err = vxlan_header(skb, &o, c, &tn);
	if (err)
		return TC_ACT_UNSPEC;
	frame_len = skb->len + (skb->vlan_present ? VLAN_HLEN : 0);
	now = bpf_ktime_get_ns();
	c->v[NP_VXC_PACKETS]++;
	c->v[NP_VXC_BYTES] += frame_len;
	tunnel_count(skb, hook, &o, &tn, frame_len, now);
	inner_count(skb, hook, &o, &tn, now, c);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int np_vxlan_ingress(struct __sk_buff *skb)
{
	return handle(skb, NP_HOOK_TC_INGRESS);
}

SEC("tc")
int np_vxlan_egress(struct __sk_buff *skb)
{
	return handle(skb, NP_HOOK_TC_EGRESS);
}
