// SPDX-License-Identifier: GPL-2.0
/*
 * Per-device traffic counters and the flow table at TC ingress, TC egress
 * and (opt-in) XDP.
 *
 * A packet is what the device counters count: one skb at TC, one frame
 * at XDP. Bytes are the frame length with the Ethernet header and VLAN
 * tags; at TC a tag the kernel moved into skb metadata is counted back.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "common.bpf.h"
#include "parse.bpf.h"
#include "rtt.bpf.h"

#define TC_ACT_UNSPEC	(-1)
#define VLAN_HLEN	4
#define EEXIST		17

char LICENSE[] SEC("license") = "GPL";

/* Set at load for devices without an Ethernet header (tun, wireguard). */
const volatile bool np_raw_ip = false;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, NP_MAX_DEVICES * NP_HOOK_MAX * NP_PC_MAX);
	__type(key, struct np_stats_key);
	__type(value, struct np_counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NP_STATS_IDX_DEVS * NP_HOOK_MAX * NP_PC_MAX);
	__type(key, __u32);
	__type(value, struct np_counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_stats_idx SEC(".maps");

/* Resized at attach (flows N) before load; see attach_traffic.c. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NP_FLOW_ENTRIES_DEFAULT);
	__type(key, struct np_flow_key);
	__type(value, struct np_flow_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NP_FLOW_STATS_SLOTS);
	__type(key, __u32);
	__type(value, struct np_flow_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_flow_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, NP_K8S_CIDRS_MAX);
	__type(key, struct np_k8s_cidr_key);
	__type(value, struct np_k8s_cidr_val);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_k8s_cidrs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NP_K8S_CLASSES);
	__type(key, __u32);
	__type(value, struct np_k8s_class_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_k8s_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct np_k8s_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_k8s_config SEC(".maps");

/* User space's: which pod or service each slot is. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NP_K8S_OWNERS_MAX);
	__type(key, __u32);
	__type(value, struct np_k8s_owner);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_k8s_owners SEC(".maps");

/* New flows per slot: one atomic add per new flow and end, not per packet. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NP_K8S_OWNERS_MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_k8s_owner_flows SEC(".maps");

/* Service ports (VIP or node address, port, proto): the service's slot. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NP_K8S_SVC_PORTS_MAX);
	__type(key, struct np_k8s_port_key);
	__type(value, __u32);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_k8s_svc_ports SEC(".maps");

/* Where an address is, and the slot of its pod (0: none). */
static __always_inline __u32 k8s_where(const __u8 addr[16], __u32 *owner)
{
	struct np_k8s_cidr_key k = { .prefixlen = 128 };
	struct np_k8s_cidr_val *v;

	__builtin_memcpy(k.addr, addr, 16);
	v = bpf_map_lookup_elem(&np_k8s_cidrs, &k);
	*owner = v ? v->owner : 0;
	return v ? v->where : NP_K8S_OUTSIDE;
}

/* The classes' configuration, or NULL while they are off. */
static __always_inline struct np_k8s_config *k8s_on(void)
{
	struct np_k8s_config *cfg;
	__u32 zero = 0;

	cfg = bpf_map_lookup_elem(&np_k8s_config, &zero);
	return cfg && cfg->enabled ? cfg : NULL;
}

/*
 * The class of a flow by its ends, NP_K8S_NO_CLASS if neither is in the
 * cluster; owners[] gets the ends' owner slots.
 */
static __always_inline __u8 k8s_class(const struct np_flow_key *key, __u32 owners[2])
{
	__u32 s = k8s_where(key->src, &owners[0]), d = k8s_where(key->dst, &owners[1]);

	if (s == NP_K8S_OUTSIDE && d == NP_K8S_OUTSIDE)
		return NP_K8S_NO_CLASS;
	if (s == NP_K8S_OUTSIDE)
		return NP_K8S_INGRESS;
	if (d == NP_K8S_OUTSIDE)
		return NP_K8S_EGRESS;
	return s == NP_K8S_HERE && d == NP_K8S_HERE ? NP_K8S_INTRA_NODE : NP_K8S_INTER_NODE;
}

static __always_inline void k8s_count(__u8 class, __u64 bytes, bool new_flow)
{
	struct np_k8s_class_stats *c;
	__u32 k = class;

	if (class >= NP_K8S_CLASSES)
		return;
	c = bpf_map_lookup_elem(&np_k8s_stats, &k);
	if (!c)
		return;
	c->packets++;
	c->bytes += bytes;
	c->flows += new_flow;
}

static __always_inline void k8s_owner_inc(__u32 slot)
{
	__u64 *n = slot ? bpf_map_lookup_elem(&np_k8s_owner_flows, &slot) : NULL;

	if (n)
		__sync_fetch_and_add(n, 1);
}

static __always_inline __u32 k8s_svc_slot(const __u8 addr[16], __u16 port, __u8 proto)
{
	struct np_k8s_port_key k = { .port = port, .proto = proto };
	__u32 *slot;

	__builtin_memcpy(k.addr, addr, 16);
	slot = bpf_map_lookup_elem(&np_k8s_svc_ports, &k);
	return slot ? *slot : 0;
}

/*
 * A new flow of the cluster: one more for the pod at each end (pods[], from
 * the trie; once if both ends are one pod) and for the service port at
 * each end. Two hash lookups per new flow, none per packet.
 */
static __always_inline void k8s_count_owners(const struct np_flow_key *key, const __u32 pods[2])
{
	__u32 s = k8s_svc_slot(key->src, key->sport, key->proto);
	__u32 d = k8s_svc_slot(key->dst, key->dport, key->proto);

	k8s_owner_inc(pods[0]);
	if (pods[1] != pods[0])
		k8s_owner_inc(pods[1]);
	k8s_owner_inc(s);
	if (d != s)
		k8s_owner_inc(d);
}

/* A packet of an existing flow: its class, renewed after a sync. */
static __always_inline void k8s_flow_packet(struct np_flow_value *v, const struct np_flow_key *key,
					    __u64 bytes)
{
	struct np_k8s_config *cfg = k8s_on();

	if (!cfg)
		return;
	if (v->k8s_gen != (__u8)cfg->generation) {
		__u32 owners[2];

		v->k8s_class = k8s_class(key, owners);
		v->k8s_gen = cfg->generation;
	}
	k8s_count(v->k8s_class, bytes, false);
}

/* The protocol class of a parsed frame (np_parse_frame's result rc). */
static __always_inline __u32 proto_class(const struct np_pkt *p)
{
	if (p->l3proto == NP_ETH_P_IP) {
		if (p->key.proto == IPPROTO_TCP && p->ip)
			return NP_PC_IPV4_TCP;
		if (p->key.proto == IPPROTO_UDP && p->ip)
			return NP_PC_IPV4_UDP;
		if (p->key.proto == IPPROTO_ICMP && p->ip)
			return NP_PC_IPV4_ICMP;
		return NP_PC_IPV4_OTHER;
	}
	if (p->l3proto == NP_ETH_P_IPV6) {
		if (p->key.proto == IPPROTO_TCP && p->ip)
			return NP_PC_IPV6_TCP;
		if (p->key.proto == IPPROTO_UDP && p->ip)
			return NP_PC_IPV6_UDP;
		if (p->key.proto == NP_IPPROTO_ICMPV6 && p->ip)
			return NP_PC_IPV6_ICMPV6;
		return NP_PC_IPV6_OTHER;
	}
	return p->l3proto == NP_ETH_P_ARP ? NP_PC_ARP : NP_PC_OTHER;
}

static __always_inline void count_packet(__u32 ifindex, __u32 hook, __u32 class, __u64 len)
{
	struct np_counter *c;

	if (ifindex < NP_STATS_IDX_DEVS) {
		/* An array slot: the verifier inlines the lookup. */
		__u32 slot = (ifindex * NP_HOOK_MAX + hook) * NP_PC_MAX + class;

		c = bpf_map_lookup_elem(&np_stats_idx, &slot);
	} else {
		struct np_stats_key key = { .ifindex = ifindex, .hook = hook, .class = class };
		struct np_counter zero = {};

		c = np_map_get_or_insert(&np_stats, &key, &zero);
	}
	if (!c)
		return;
	/* Per-CPU value: no other CPU writes this copy. */
	c->packets++;
	c->bytes += len;
}

static __always_inline struct np_flow_stats *flow_stats(void)
{
	__u32 slot = NP_FLOW_STATS_KERNEL;

	return bpf_map_lookup_elem(&np_flow_stats, &slot);
}

/* Rare events only, so that a packet of a known flow costs one lookup. */
#define FLOW_STAT_INC(field)					\
	do {							\
		struct np_flow_stats *s_ = flow_stats();	\
								\
		if (s_)						\
			s_->field++;				\
	} while (0)

static __always_inline void flow_update(struct np_flow_value *v, const struct np_pkt *p,
					__u64 bytes, __u64 now)
{
	__sync_fetch_and_add(&v->packets, 1);
	__sync_fetch_and_add(&v->bytes, bytes);
	/* Plain stores: a lost race moves a stamp by nanoseconds or loses a
	 * flag bit two CPUs add to the same flow at the same instant. */
	if (now > v->last_seen)
		v->last_seen = now;
	if ((v->tcp_flags | p->tcp_flags) != v->tcp_flags)
		v->tcp_flags |= p->tcp_flags;
	if (p->truncated)
		__sync_fetch_and_add(&v->truncated, 1);
	if (p->fragment)
		__sync_fetch_and_add(&v->fragments, 1);
}

static __always_inline void flow_account(const struct np_pkt *p, __u64 bytes)
{
	/* The coarse clock (CLOCK_MONOTONIC_COARSE, one tick of resolution)
	 * is enough for first/last seen and costs a third of the fine one. */
	__u64 now = bpf_ktime_get_coarse_ns();
	struct np_flow_value *v;

	v = bpf_map_lookup_elem(&np_flows, &p->key);
	if (!v) {
		struct np_flow_value init = {
			.packets = 1, .bytes = bytes, .first_seen = now, .last_seen = now,
			.tcp_flags = p->tcp_flags, .truncated = p->truncated,
			.fragments = p->fragment, .k8s_class = NP_K8S_NO_CLASS,
		};
		struct np_k8s_config *cfg = k8s_on();
		__u32 owners[2] = { 0, 0 };
		long err;

		init.hs_state = np_rtt_first(p);
		if (cfg) {
			init.k8s_class = k8s_class(&p->key, owners);
			init.k8s_gen = cfg->generation;
		}
		err = bpf_map_update_elem(&np_flows, &p->key, &init, BPF_NOEXIST);
		if (!err) {
			FLOW_STAT_INC(inserts);
			if (cfg && init.k8s_class != NP_K8S_NO_CLASS) {
				k8s_count(init.k8s_class, bytes, true);
				k8s_count_owners(&p->key, owners);
			}
			return;
		}
		/* -EEXIST: another CPU inserted this flow first; add to it. */
		v = err == -EEXIST ? bpf_map_lookup_elem(&np_flows, &p->key) : NULL;
		if (!v) {
			FLOW_STAT_INC(insert_failures);
			return;
		}
	}
	flow_update(v, p, bytes, now);
	np_rtt_packet(v, p);
	k8s_flow_packet(v, &p->key, bytes);
}

/*
 * Counts one frame for its device and protocol, then accounts it to its
 * flow. A frame that ends early still counts: under the addresses and
 * ports it got to (all zero if it ended inside the IP header), marked
 * truncated.
 */
static __always_inline void frame(const struct np_cur *c, __u32 ifindex, __u32 hook, __u64 bytes)
{
	struct np_pkt p = {};
	int non_ip = np_parse_frame(c, 0, np_raw_ip, &p);

	count_packet(ifindex, hook, proto_class(&p), bytes);
	if (non_ip) {
		FLOW_STAT_INC(non_ip);
		return;
	}
	p.key.ifindex = ifindex;
	p.key.dir = hook;
	if (p.truncated)
		FLOW_STAT_INC(truncated);
	if (p.fragment)
		FLOW_STAT_INC(fragments);
	flow_account(&p, bytes);
}

static __always_inline __u64 skb_frame_len(struct __sk_buff *skb)
{
	return skb->len + (skb->vlan_present ? VLAN_HLEN : 0);
}

static __always_inline void tc_packet(struct __sk_buff *skb, __u32 hook)
{
	struct np_cur c = NP_CUR_SKB(skb);

	frame(&c, skb->ifindex, hook, skb_frame_len(skb));
}

SEC("tc")
int np_tc_ingress(struct __sk_buff *skb)
{
	tc_packet(skb, NP_HOOK_TC_INGRESS);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int np_tc_egress(struct __sk_buff *skb)
{
	tc_packet(skb, NP_HOOK_TC_EGRESS);
	return TC_ACT_UNSPEC;
}

SEC("xdp.frags")
int np_xdp(struct xdp_md *ctx)
{
	__u32 len = bpf_xdp_get_buff_len(ctx);
	struct np_cur c = NP_CUR_XDP(ctx, len);

	frame(&c, ctx->ingress_ifindex, NP_HOOK_XDP, len);
	return XDP_PASS;
}
