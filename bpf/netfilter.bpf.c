// SPDX-License-Identifier: GPL-2.0
/*
 * Packets and bytes per netfilter hook, from BPF netfilter links (kernel
 * 6.4+) on the IPv4 and IPv6 hooks of one network namespace each.
 *
 * A packet is one skb at the hook; bytes are skb->len there, which at the
 * inet hooks is the L3 length (IP header + payload, no Ethernet header).
 *
 * libbpf 1.1 does not know the "netfilter" section: user space sets the
 * program type (32) and expected attach type (45) itself before loading.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "common.bpf.h"

#define NF_ACCEPT	1

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, NP_NF_STATS_MAX);
	__type(key, struct np_nf_key);
	__type(value, struct np_counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_nf_stats SEC(".maps");

SEC("netfilter")
int nf_count(struct bpf_nf_ctx *ctx)
{
	const struct nf_hook_state *state = ctx->state;
	struct np_nf_key key = {
		.netns = state->net->ns.inum,
		.pf = state->pf,
		.hook = state->hook,
	};
	struct np_counter zero = {}, *c;

	c = np_map_get_or_insert(&np_nf_stats, &key, &zero);
	if (!c)
		return NF_ACCEPT;
	/* Per-CPU value: no other CPU writes this copy. */
	c->packets++;
	c->bytes += ctx->skb->len;
	return NF_ACCEPT;
}
