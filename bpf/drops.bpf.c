// SPDX-License-Identifier: GPL-2.0
/*
 * Where packets die: the skb:kfree_skb tracepoint, host-wide, as tp_btf
 * (no tracefs needed). Counts real drops per (reason, netns, device, L3/L4
 * protocol) and per dropped 5-tuple.
 *
 * kfree_skb's arguments on 6.18: (skb, location, reason, rx_sk). Kernels
 * before 5.17 pass no reason; user space then clears has_reason and the
 * verifier never sees the read of the third argument (dead code on a
 * read-only constant).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "common.bpf.h"
#include "parse.bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile bool has_reason = true;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, NP_DROPS_MAX);
	__type(key, struct np_drop_key);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NP_DROP_FLOWS_MAX);
	__type(key, struct np_drop_flow_key);
	__type(value, struct np_drop_flow);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_drop_flows SEC(".maps");

/*
 * SKB_NOT_DROPPED_YET (5.19+) and SKB_CONSUMED (6.3+) free packets that
 * were not dropped. Their values come from the running kernel (CO-RE).
 */
static __always_inline bool not_a_drop(__u32 reason)
{
	if (bpf_core_enum_value_exists(enum skb_drop_reason, SKB_NOT_DROPPED_YET) &&
	    reason == bpf_core_enum_value(enum skb_drop_reason, SKB_NOT_DROPPED_YET))
		return true;
	return bpf_core_enum_value_exists(enum skb_drop_reason, SKB_CONSUMED) &&
	       reason == bpf_core_enum_value(enum skb_drop_reason, SKB_CONSUMED);
}

/* The namespace of the device, else of the socket, else 0. */
static __always_inline __u32 drop_netns(struct sk_buff *skb, struct net_device *dev)
{
	struct sock *sk;

	if (dev)
		return BPF_CORE_READ(dev, nd_net.net, ns.inum);
	sk = BPF_CORE_READ(skb, sk);
	if (sk)
		return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	return 0;
}

/*
 * Parses the IP packet at the network header (or at skb->data when the
 * network header was never set) with bpf/parse.bpf.h, reading kernel
 * memory. Returns false when it is not IPv4 or IPv6; the ports stay 0 in a
 * later fragment.
 */
static __always_inline bool parse_ip(struct sk_buff *skb, __u16 l3proto,
				     struct np_drop_flow_key *fk)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header);
	unsigned char *l3 = nh ? head + nh : BPF_CORE_READ(skb, data);
	struct np_cur c = NP_CUR_KERN(l3, 0);
	struct np_pkt p = {};

	if (np_parse_l3(&c, 0, l3proto, &p) || !p.ip)
		return false;
	__builtin_memcpy(fk->src, p.key.src, 16);
	__builtin_memcpy(fk->dst, p.key.dst, 16);
	fk->proto = p.key.proto;
	fk->sport = p.key.sport;
	fk->dport = p.key.dport;
	return true;
}

static __always_inline void count_drop(const struct np_drop_key *key)
{
	__u64 *c, one = 1;

	c = bpf_map_lookup_elem(&np_drops, key);
	if (c) {
		(*c)++;		/* per-CPU value: no other CPU writes this copy */
		return;
	}
	if (bpf_map_update_elem(&np_drops, key, &one, BPF_NOEXIST)) {
		c = bpf_map_lookup_elem(&np_drops, key);
		if (c)
			(*c)++;
	}
}

static __always_inline void count_flow(const struct np_drop_flow_key *fk)
{
	struct np_drop_flow *f, init = { .count = 1 };
	__u64 now = bpf_ktime_get_ns();

	f = bpf_map_lookup_elem(&np_drop_flows, fk);
	if (!f) {
		init.first_seen = init.last_seen = now;
		if (!bpf_map_update_elem(&np_drop_flows, fk, &init, BPF_NOEXIST))
			return;
		f = bpf_map_lookup_elem(&np_drop_flows, fk);
		if (!f)
			return;
	}
	__sync_fetch_and_add(&f->count, 1);
	f->last_seen = now;
}

SEC("tp_btf/kfree_skb")
int kfree_skb(__u64 *ctx)
{
	struct sk_buff *skb = (struct sk_buff *)ctx[0];
	struct np_drop_flow_key fk = {};
	struct np_drop_key key = {};
	struct net_device *dev;
	bool is_ip;

	key.reason = NP_DROP_REASON_UNAVAILABLE;
	if (has_reason) {
		key.reason = (__u32)ctx[2];
		if (not_a_drop(key.reason))
			return 0;
	}
	/*
	 * skb->dev shares a union with dev_scratch (UDP's receive queue):
	 * reading such a "device" faults and yields 0, i.e. no device.
	 */
	dev = BPF_CORE_READ(skb, dev);
	key.ifindex = dev ? BPF_CORE_READ(dev, ifindex) : BPF_CORE_READ(skb, skb_iif);
	key.netns = drop_netns(skb, dev);
	key.l3proto = bpf_ntohs(BPF_CORE_READ(skb, protocol));
	is_ip = parse_ip(skb, key.l3proto, &fk);
	key.l4proto = fk.proto;
	count_drop(&key);
	if (!is_ip)
		return 0;
	fk.reason = key.reason;
	fk.netns = key.netns;
	fk.ifindex = key.ifindex;
	count_flow(&fk);
	return 0;
}
