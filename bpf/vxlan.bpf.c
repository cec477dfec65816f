// SPDX-License-Identifier: GPL-2.0
/*
 * VXLAN on the underlay device, at TC ingress and egress.
 *
 * A UDP datagram to one of the device's VXLAN ports (np_vxlan_ports, set
 * by attach: 4789, 8472 and any `vxlan-port N`) is parsed as outer
 * Ethernet (+ up to two VLAN tags), outer IPv4/IPv6, UDP, the VXLAN header
 * and the inner Ethernet frame. Well-formed packets (I flag set, headers
 * complete) count in np_vxlan_tunnels per (VNI, outer src, outer dst,
 * device, hook) with the outer frame length, as the device counters and a
 * capture count it. Inner IPv4/IPv6 packets count in np_vxlan_flows with
 * the inner frame length; inner ARP and other ethertypes count in the
 * tunnel and in np_vxlan_counters, but make no inner flow.
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
	__u32 udp_off;
	__u16 udp_len;
	__u16 csum;
	__u8 v6;
};

struct vxlanhdr_raw {
	__u8 flags;
	__u8 rsvd1[3];
	__u8 vni[3];
	__u8 rsvd2;
};

static __always_inline struct np_vxlan_counters *counters(__u32 ifindex, __u32 hook)
{
	struct np_stats_key key = { .ifindex = ifindex, .hook = hook };
	struct np_vxlan_counters zero = {};

	return np_map_get_or_insert(&np_vxlan_counters, &key, &zero);
}

/*
 * Outer IP + UDP to a VXLAN port of this device. Returns 1 if it is one,
 * 0 if not, and counts outer first fragments (which it does not parse).
 */
static __always_inline int parse_outer(struct __sk_buff *skb, __u32 hook, struct outer *o)
{
	struct np_vxlan_port_key pk = { .ifindex = skb->ifindex };
	struct np_cur cur = NP_CUR_SKB(skb);
	struct np_pkt p = {};
	struct udphdr uh;

	/* Later fragments have no UDP header (l4_ok is 0). */
	if (np_parse_frame(&cur, 0, false, &p) || !p.ip || p.key.proto != IPPROTO_UDP ||
	    !p.l4_ok || np_load(&cur, p.l4_off, &uh, sizeof(uh)))
		return 0;
	pk.port = p.key.dport;
	if (!bpf_map_lookup_elem(&np_vxlan_ports, &pk))
		return 0;
	if (p.first_fragment) {
		struct np_vxlan_counters *c = counters(skb->ifindex, hook);

		if (c)
			c->v[NP_VXC_OUTER_FRAG]++;
		return 0;
	}
	__builtin_memcpy(o->src, p.key.src, 16);
	__builtin_memcpy(o->dst, p.key.dst, 16);
	o->v6 = p.ip == 6;
	o->udp_off = p.l4_off;
	o->udp_len = bpf_ntohs(uh.len);
	o->csum = uh.check;
	return 1;
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
					 const struct outer *o, __u32 vni, __u64 len, __u64 now)
{
	struct np_vxlan_tunnel_key key = { .vni = vni, .ifindex = skb->ifindex, .dir = hook };
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

/* The inner frame at off: count it by ethertype, and as a flow if IP. */
static __always_inline void inner_count(struct __sk_buff *skb, __u32 hook, const struct outer *o,
					__u32 vni, __u32 off, __u64 len, __u64 now,
					struct np_vxlan_counters *c)
{
	struct np_vxlan_flow_key fk = { .vni = vni };
	struct np_cur cur = NP_CUR_SKB(skb);
	int kind = NP_VXC_INNER_OTHER;
	struct np_pkt p = {};

	/* The inner frame ends where the datagram does. */
	cur.len = off + len;
	if (!np_parse_frame(&cur, off, false, &p) && p.ip) {
		kind = p.ip == 4 ? NP_VXC_INNER_IPV4 : NP_VXC_INNER_IPV6;
		fk.inner = p.key;
		fk.inner.dir = hook;
		fk.inner.ifindex = skb->ifindex;
		__builtin_memcpy(fk.outer_src, o->src, 16);
		__builtin_memcpy(fk.outer_dst, o->dst, 16);
		flow_count(&fk, len, now, p.tcp_flags, c);
	} else if (p.l3proto == ETH_P_ARP) {
		kind = NP_VXC_INNER_ARP;
	}
	if (c)
		c->v[kind]++;
}

static __always_inline int handle(struct __sk_buff *skb, __u32 hook)
{
	struct np_vxlan_counters *c;
	struct vxlanhdr_raw vh;
	struct outer o = {};
	__u32 inner_off, vni;
	__u64 frame_len, inner_len, now;

	if (!parse_outer(skb, hook, &o))
		return TC_ACT_UNSPEC;
	c = counters(skb->ifindex, hook);
	if (!c)
		return TC_ACT_UNSPEC;
	inner_off = o.udp_off + sizeof(struct udphdr) + VXLAN_HLEN;
	/* Room for the VXLAN header and an inner Ethernet header, in the
	 * datagram and in the packet. */
	if (o.udp_len < sizeof(struct udphdr) + VXLAN_HLEN + ETH_HLEN ||
	    o.udp_off + o.udp_len > skb->len ||
	    bpf_skb_load_bytes(skb, o.udp_off + sizeof(struct udphdr), &vh, sizeof(vh))) {
		c->v[NP_VXC_SHORT]++;
		return TC_ACT_UNSPEC;
	}
	c->v[csum_class(skb, &o)]++;
	if (!(vh.flags & VXLAN_FLAG_I)) {
		c->v[NP_VXC_BAD_FLAGS]++;
		return TC_ACT_UNSPEC;
	}
	vni = (vh.vni[0] << 16) | (vh.vni[1] << 8) | vh.vni[2];
	frame_len = skb->len + (skb->vlan_present ? VLAN_HLEN : 0);
	/* The datagram's own length: Ethernet padding is no part of it. */
	inner_len = o.udp_len - sizeof(struct udphdr) - VXLAN_HLEN;
	now = bpf_ktime_get_ns();
	c->v[NP_VXC_PACKETS]++;
	c->v[NP_VXC_BYTES] += frame_len;
	tunnel_count(skb, hook, &o, vni, frame_len, now);
	inner_count(skb, hook, &o, vni, inner_off, inner_len, now, c);
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
