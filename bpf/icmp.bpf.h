/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ICMP diagnostics (issue 15) for the traffic programs: counts per device,
 * hook, family, type and code, and for the errors the flow they quote and
 * who sent them. traffic.bpf.c calls np_icmp_packet() from one place, for
 * ICMP and ICMPv6 packets only (NP_IS_ICMP): any other packet costs that
 * compare and nothing else; an ICMP packet costs a call of a global
 * function besides.
 *
 * The quoted packet (the IP header and the first 8 bytes of L4 of the
 * packet that caused the error) is read by the one parser, parse.bpf.h, at
 * its offset, so that a quoted flow has the key its own packets have in
 * np_flows. Maps and their meaning: bpf/netprobe.h, "ICMP diagnostics".
 */
#ifndef NETPROBE_ICMP_BPF_H
#define NETPROBE_ICMP_BPF_H

#include "common.bpf.h"
#include "parse.bpf.h"

#ifndef EEXIST
#define EEXIST		17
#endif

/* ICMP header: type, code, checksum, then 4 bytes of the type's own. */
#define NP_ICMP_HLEN	8

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, NP_ICMP_COUNTS_MAX);
	__type(key, struct np_icmp_count_key);
	__type(value, struct np_counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_icmp_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NP_ICMP_ERRORS_MAX);
	__type(key, struct np_icmp_error_key);
	__type(value, struct np_icmp_error);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_icmp_errors SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NP_ICMP_STATS_SLOTS);
	__type(key, __u32);
	__type(value, struct np_icmp_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_icmp_stats SEC(".maps");

/*
 * Room for an error's key and the parse of its quote: the traffic program's
 * own frame and this one's must fit in 512 bytes of stack together. A
 * CPU's slot is used by one program at a time (TC and XDP do not nest) and
 * is cleared before each use. Not pinned: each load has its own.
 */
struct icmp_scratch {
	struct np_pkt q;
	struct np_icmp_error_key ek;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct icmp_scratch);
} np_icmp_scratch SEC(".maps");

/* The one test every parsed packet pays. */
#define NP_IS_ICMP(p) ((p)->key.proto == IPPROTO_ICMP || (p)->key.proto == NP_IPPROTO_ICMPV6)

static __always_inline void icmp_stat_inc(int which)
{
	__u32 slot = NP_ICMP_STATS_KERNEL;
	struct np_icmp_stats *s = bpf_map_lookup_elem(&np_icmp_stats, &slot);

	if (!s)
		return;
	if (which == 0)
		s->inserts++;
	else if (which == 1)
		s->insert_failures++;
	else
		s->count_failures++;
}

static __always_inline void icmp_count(const struct np_icmp_count_key *k, __u64 bytes)
{
	struct np_counter zero = {}, *c;

	c = np_map_get_or_insert(&np_icmp_counts, k, &zero);
	if (!c) {
		icmp_stat_inc(2);
		return;
	}
	/* Per-CPU value: no other CPU writes this copy. */
	c->packets++;
	c->bytes += bytes;
}

/*
 * The flow the error at p quotes, from off (after the ICMP header) to end
 * (the end of the error's IP packet): what of it lies inside.
 */
static __always_inline void icmp_quote(const struct np_cur *c, __u32 off, __u32 end,
				       struct np_icmp_error_key *k, struct np_pkt *q)
{
	int err;

	if (k->family == 4)
		err = np_parse_ipv4(c, off, q);
	else
		err = np_parse_ipv6(c, off, q);
	/* Not an IP header of the error's own family, or cut short. */
	if (err || q->ip != k->family || off + (k->family == 4 ? 20 : 40) > end)
		return;
	__builtin_memcpy(k->src, q->key.src, 16);
	__builtin_memcpy(k->dst, q->key.dst, 16);
	k->proto = q->key.proto;
	k->flags = NP_ICMP_Q_ADDRS;
	if (q->fragment) {
		k->flags |= NP_ICMP_Q_FRAGMENT;
		return;
	}
	/* Ports (ICMP: type and code) only from bytes the quote holds. */
	if (!q->l4_ok || q->l4_off + (q->key.proto == IPPROTO_ICMP ||
				      q->key.proto == NP_IPPROTO_ICMPV6 ? 2 : 4) > end)
		return;
	k->sport = q->key.sport;
	k->dport = q->key.dport;
	k->flags |= NP_ICMP_Q_PORTS;
}

/* The MTU a frag-needed (ICMP 3/4) or packet-too-big (ICMPv6 2) says; else 0. */
static __always_inline __u32 icmp_mtu(const struct np_cur *c, const struct np_pkt *p)
{
	__u8 b[4];

	if (p->ip == 4 && p->key.sport == 3 && p->key.dport == 4)
		return np_load(c, p->l4_off + 6, b, 2) ? 0 : ((__u32)b[0] << 8) | b[1];
	if (p->ip == 6 && p->key.sport == 2)
		return np_load(c, p->l4_off + 4, b, 4) ? 0 :
		       ((__u32)b[0] << 24) | ((__u32)b[1] << 16) | ((__u32)b[2] << 8) | b[3];
	return 0;
}

static __always_inline void icmp_error_account(const struct np_icmp_error_key *k, __u64 bytes,
					       __u32 mtu)
{
	__u64 now = bpf_ktime_get_coarse_ns();
	struct np_icmp_error *v;

	v = bpf_map_lookup_elem(&np_icmp_errors, k);
	if (!v) {
		struct np_icmp_error init = {
			.packets = 1, .bytes = bytes, .first_seen = now, .last_seen = now,
			.mtu = mtu,
		};
		long err = bpf_map_update_elem(&np_icmp_errors, k, &init, BPF_NOEXIST);

		if (!err) {
			icmp_stat_inc(0);
			return;
		}
		/* -EEXIST: another CPU made it first; add to it. */
		v = err == -EEXIST ? bpf_map_lookup_elem(&np_icmp_errors, k) : NULL;
		if (!v) {
			icmp_stat_inc(1);
			return;
		}
	}
	__sync_fetch_and_add(&v->packets, 1);
	__sync_fetch_and_add(&v->bytes, bytes);
	/* Plain stores, as in np_flows: a lost race moves a stamp by nanoseconds. */
	if (now > v->last_seen)
		v->last_seen = now;
	if (mtu)
		v->mtu = mtu;
}

/*
 * An ICMP or ICMPv6 packet the parser read (p, at cursor c) on ifindex at
 * hook: counted by type and code; an error also by what it quotes. A later
 * fragment has no type (l4_ok 0) and counts nowhere here.
 */
static __always_inline void icmp_packet(const struct np_cur *c, const struct np_pkt *p,
					__u32 ifindex, __u32 hook, __u64 bytes)
{
	struct np_icmp_count_key ck = {
		.ifindex = ifindex, .hook = hook, .family = p->ip,
		.type = p->key.sport, .code = p->key.dport,
	};
	struct icmp_scratch *s;
	__u32 zero = 0;

	if (!p->l4_ok || p->key.proto != (p->ip == 4 ? IPPROTO_ICMP : NP_IPPROTO_ICMPV6))
		return;
	icmp_count(&ck, bytes);
	if (!NP_ICMP_IS_ERROR(ck.family, ck.type))
		return;
	s = bpf_map_lookup_elem(&np_icmp_scratch, &zero);
	if (!s)
		return;
	__builtin_memset(s, 0, sizeof(*s));
	__builtin_memcpy(s->ek.reporter, p->key.src, 16);
	s->ek.ifindex = ifindex;
	s->ek.hook = hook;
	s->ek.family = ck.family;
	s->ek.type = ck.type;
	s->ek.code = ck.code;
	icmp_quote(c, p->l4_off + NP_ICMP_HLEN, p->l4_off + p->l4_len, &s->ek, &s->q);
	icmp_error_account(&s->ek, bytes, icmp_mtu(c, p));
}

/*
 * Global functions, one per kind of context: the verifier checks each once,
 * on its own, instead of once for every path of the parser that leads here
 * (inlined, the quote's parse after the frame's goes over its limit).
 */
__noinline int np_icmp_tc(struct __sk_buff *skb, const struct np_pkt *p, __u32 hook, __u64 bytes)
{
	struct np_cur c = NP_CUR_SKB(skb);

	if (p)
		icmp_packet(&c, p, skb->ifindex, hook, bytes);
	return 0;
}

__noinline int np_icmp_xdp(struct xdp_md *ctx, const struct np_pkt *p, __u64 bytes)
{
	struct np_cur c = NP_CUR_XDP(ctx, bpf_xdp_get_buff_len(ctx));

	if (p)
		icmp_packet(&c, p, ctx->ingress_ifindex, NP_HOOK_XDP, bytes);
	return 0;
}

/* The one call of the traffic programs, for the packets NP_IS_ICMP says. */
static __always_inline void np_icmp_packet(const struct np_cur *c, const struct np_pkt *p,
					   __u32 hook, __u64 bytes)
{
	if (c->src == NP_SRC_XDP)
		np_icmp_xdp(c->ctx, p, bytes);
	else
		np_icmp_tc(c->ctx, p, hook, bytes);
}

#endif /* NETPROBE_ICMP_BPF_H */
