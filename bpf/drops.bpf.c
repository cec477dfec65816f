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

#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD
#define IP_OFFSET	0x1fff

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

static __always_inline void v4_mapped(__u8 *dst, __u32 addr)
{
	__builtin_memset(dst, 0, 10);
	dst[10] = 0xff;
	dst[11] = 0xff;
	__builtin_memcpy(dst + 12, &addr, 4);
}

/*
 * Reads the IP header at the network header (or at skb->data when the
 * network header was never set). Returns false when there is none; *l4
 * is the L4 header, or NULL when there is none to read (non-first
 * fragment).
 */
static __always_inline bool parse_ip(struct sk_buff *skb, __u16 l3proto,
				     struct np_drop_flow_key *fk, unsigned char **l4)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header);
	unsigned char *l3 = nh ? head + nh : BPF_CORE_READ(skb, data);

	*l4 = NULL;
	if (l3proto == ETH_P_IP) {
		struct iphdr ip;

		if (bpf_probe_read_kernel(&ip, sizeof(ip), l3) || ip.version != 4)
			return false;
		v4_mapped(fk->src, ip.saddr);
		v4_mapped(fk->dst, ip.daddr);
		fk->proto = ip.protocol;
		if (!(ip.frag_off & bpf_htons(IP_OFFSET)))
			*l4 = l3 + ip.ihl * 4;
		return true;
	}
	if (l3proto == ETH_P_IPV6) {
		struct ipv6hdr ip6;

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), l3) || ip6.version != 6)
			return false;
		__builtin_memcpy(fk->src, &ip6.saddr, 16);
		__builtin_memcpy(fk->dst, &ip6.daddr, 16);
		/* An extension header is kept as proto; parse_l4 then reads nothing. */
		fk->proto = ip6.nexthdr;
		*l4 = l3 + sizeof(ip6);
		return true;
	}
	return false;
}

static __always_inline void parse_l4(unsigned char *l4, struct np_drop_flow_key *fk)
{
	__u16 ports[2];
	__u8 type_code[2];

	switch (fk->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
		if (!bpf_probe_read_kernel(ports, sizeof(ports), l4)) {
			fk->sport = bpf_ntohs(ports[0]);
			fk->dport = bpf_ntohs(ports[1]);
		}
		break;
	case IPPROTO_ICMP:
	case 58:	/* IPPROTO_ICMPV6 */
		if (!bpf_probe_read_kernel(type_code, sizeof(type_code), l4)) {
			fk->sport = type_code[0];
			fk->dport = type_code[1];
		}
		break;
	}
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
	unsigned char *l4;
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
	is_ip = parse_ip(skb, key.l3proto, &fk, &l4);
	key.l4proto = fk.proto;
	count_drop(&key);
	if (!is_ip)
		return 0;
	if (l4)
		parse_l4(l4, &fk);
	fk.reason = key.reason;
	fk.netns = key.netns;
	fk.ifindex = key.ifindex;
	count_flow(&fk);
	return 0;
}
