// SPDX-License-Identifier: GPL-2.0
/*
 * Per-device traffic counters at TC ingress, TC egress and (opt-in) XDP.
 *
 * A packet is what the device counters count: one skb at TC, one frame
 * at XDP. Bytes are the frame length with the Ethernet header and VLAN
 * tags; at TC a tag the kernel moved into skb metadata is counted back.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "common.bpf.h"

#define TC_ACT_UNSPEC	(-1)
#define VLAN_HLEN	4

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, NP_MAX_DEVICES * NP_HOOK_MAX);
	__type(key, struct np_stats_key);
	__type(value, struct np_counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_stats SEC(".maps");

static __always_inline void count_packet(__u32 ifindex, __u32 hook, __u64 len)
{
	struct np_stats_key key = { .ifindex = ifindex, .hook = hook };
	struct np_counter *c;

	c = bpf_map_lookup_elem(&np_stats, &key);
	if (!c) {
		struct np_counter zero = {};

		bpf_map_update_elem(&np_stats, &key, &zero, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&np_stats, &key);
		if (!c)
			return;
	}
	/* Per-CPU value: no other CPU writes this copy. */
	c->packets++;
	c->bytes += len;
}

static __always_inline __u64 skb_frame_len(struct __sk_buff *skb)
{
	return skb->len + (skb->vlan_present ? VLAN_HLEN : 0);
}

SEC("tc")
int np_tc_ingress(struct __sk_buff *skb)
{
	count_packet(skb->ifindex, NP_HOOK_TC_INGRESS, skb_frame_len(skb));
	return TC_ACT_UNSPEC;
}

SEC("tc")
int np_tc_egress(struct __sk_buff *skb)
{
	count_packet(skb->ifindex, NP_HOOK_TC_EGRESS, skb_frame_len(skb));
	return TC_ACT_UNSPEC;
}

SEC("xdp.frags")
int np_xdp(struct xdp_md *ctx)
{
	count_packet(ctx->ingress_ifindex, NP_HOOK_XDP, bpf_xdp_get_buff_len(ctx));
	return XDP_PASS;
}
