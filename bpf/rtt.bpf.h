/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TCP handshake latency per flow (issue 15), for the traffic programs.
 *
 * A SYN (without ACK) is stamped in np_flow_hs under its flow on this
 * device, whichever hook saw it; the first SYN-ACK of the reverse
 * direction adds its stamp there; the first ACK after it, in the SYN's own
 * flow (the same hook, as it goes the SYN's way), writes both halves into
 * that flow's np_flow_value and counts the handshake in the device's
 * histogram. The flow's rtt is the sum of the halves: the first SYN to the
 * ACK of the SYN-ACK, as tshark's tcp.analysis.initial_rtt (bpf/netprobe.h).
 *
 * Cost: a packet of a known flow pays one branch on the SYN flag it
 * carries and the flow's own hs_state (NP_HS_SYN until its handshake is
 * done), both already at hand; only SYNs, SYN-ACKs and the packets of a
 * flow between its SYN and its ACK take a lookup and the fine clock.
 */
#ifndef NETPROBE_RTT_BPF_H
#define NETPROBE_RTT_BPF_H

#include <bpf/bpf_helpers.h>
#include "common.bpf.h"
#include "parse.bpf.h"

#define NP_TCP_SYN	0x02
#define NP_TCP_RST	0x04
#define NP_TCP_ACK	0x10

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NP_FLOW_HS_MAX);
	__type(key, struct np_flow_key);
	__type(value, struct np_flow_hs);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_flow_hs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, NP_MAX_DEVICES);
	__type(key, __u32);
	__type(value, struct np_flow_hs_hist);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_flow_hs_hist SEC(".maps");

/* np_rtt_packet() tests the one bit that says a handshake is under way. */
_Static_assert(NP_HS_SYN == 1 && !(NP_HS_DONE & NP_HS_SYN), "hs_state bits");

static const __u32 np_hs_bounds_us[NP_HS_BUCKETS] = NP_HS_BOUNDS_US;

/* The handshake's key: the SYN's 5-tuple on this device (dir 0: any hook). */
static __always_inline void hs_key(struct np_flow_key *k, const struct np_flow_key *f,
				   bool reverse)
{
	if (reverse) {
		__builtin_memcpy(k->src, f->dst, 16);
		__builtin_memcpy(k->dst, f->src, 16);
		k->sport = f->dport;
		k->dport = f->sport;
	} else {
		__builtin_memcpy(k->src, f->src, 16);
		__builtin_memcpy(k->dst, f->dst, 16);
		k->sport = f->sport;
		k->dport = f->dport;
	}
	k->proto = f->proto;
	k->dir = 0;
	k->flags = 0;
	k->pad = 0;
	k->ifindex = f->ifindex;
}

/*
 * A SYN: stamped unless it repeats the one stamped of a handshake still
 * under way (same sequence number: a retransmission, or the same SYN at a
 * second hook). The same SYN after its handshake was counted is a new one
 * (a connection replayed, or a port and sequence number reused). True when
 * it began a handshake.
 */
static __always_inline bool hs_syn(const struct np_pkt *p)
{
	struct np_flow_hs init = { .syn_seq = p->tcp_seq }, *h;
	struct np_flow_key k;

	hs_key(&k, &p->key, false);
	h = bpf_map_lookup_elem(&np_flow_hs, &k);
	if (h && h->syn_seq == p->tcp_seq && !h->counted)
		return false;
	init.syn_ns = bpf_ktime_get_ns();
	bpf_map_update_elem(&np_flow_hs, &k, &init, BPF_ANY);
	return true;
}

/* A SYN-ACK: the first one back stamps the handshake of the reverse flow. */
static __always_inline void hs_synack(const struct np_pkt *p)
{
	struct np_flow_key k;
	struct np_flow_hs *h;

	hs_key(&k, &p->key, true);
	h = bpf_map_lookup_elem(&np_flow_hs, &k);
	if (h && !h->synack_ns)
		h->synack_ns = bpf_ktime_get_ns();
}

/* A device's first histogram entry, from global data: 152 bytes are too many for the stack. */
static struct np_flow_hs_hist np_hs_hist_zero;

/* One handshake more in the device's histogram. */
static __always_inline void hs_count(__u32 ifindex, __u64 rtt_ns)
{
	struct np_flow_hs_hist *hist;
	__u32 b = NP_HS_BUCKETS;

	for (__u32 i = 0; i < NP_HS_BUCKETS; i++)
		if (rtt_ns <= np_hs_bounds_us[i] * 1000ull) {
			b = i;
			break;
		}
	hist = np_map_get_or_insert(&np_flow_hs_hist, &ifindex, &np_hs_hist_zero);
	if (!hist)
		return;
	/* Per-CPU value: no other CPU writes this copy. */
	hist->count++;
	hist->sum_ns += rtt_ns;
	if (b <= NP_HS_BUCKETS)
		hist->bucket[b]++;
}

/* An ACK in a flow that sent a SYN: its handshake, once the SYN-ACK came. */
static __always_inline void hs_ack(struct np_flow_value *v, const struct np_pkt *p)
{
	struct np_flow_key k;
	struct np_flow_hs *h;
	__u64 now, syn, synack;

	hs_key(&k, &p->key, false);
	h = bpf_map_lookup_elem(&np_flow_hs, &k);
	if (!h || !h->synack_ns)
		return;
	now = bpf_ktime_get_ns();
	syn = h->syn_ns;
	synack = h->synack_ns;
	if (synack < syn || now < synack)
		return;
	v->hs_synack_us = (synack - syn + 500) / 1000;
	v->hs_ack_us = (now - synack + 500) / 1000;
	v->hs_state = NP_HS_DONE;
	/* Once per handshake, also where XDP and TC both saw it. */
	if (!h->counted) {
		h->counted = 1;
		hs_count(p->key.ifindex, now - syn);
	}
}

/* The first packet of a new flow: the hs_state its entry starts with. */
static __always_inline __u8 np_rtt_first(const struct np_pkt *p)
{
	if (__builtin_expect(!(p->tcp_flags & NP_TCP_SYN), 1))
		return NP_HS_NONE;
	if (p->tcp_flags & NP_TCP_ACK) {
		hs_synack(p);
		return NP_HS_NONE;
	}
	hs_syn(p);
	return NP_HS_SYN;
}

static __always_inline void rtt_packet_slow(struct np_flow_value *v, const struct np_pkt *p)
{
	__u32 f = p->tcp_flags;

	if ((f & (NP_TCP_SYN | NP_TCP_ACK)) == NP_TCP_SYN) {
		if (hs_syn(p)) {
			v->hs_synack_us = v->hs_ack_us = 0;
			v->hs_state = NP_HS_SYN;
		} else if (v->hs_state == NP_HS_NONE) {
			v->hs_state = NP_HS_SYN;
		}
	} else if (f & NP_TCP_SYN) {
		hs_synack(p);
	} else if (v->hs_state == NP_HS_SYN) {
		if (f & NP_TCP_RST)
			v->hs_state = NP_HS_NONE;	/* the client gave up */
		else if (f & NP_TCP_ACK)
			hs_ack(v, p);
	}
}

/*
 * A packet of a known flow. One branch for all but handshake packets: the
 * packet's SYN flag or'ed with the flow's NP_HS_SYN bit.
 */
static __always_inline void np_rtt_packet(struct np_flow_value *v, const struct np_pkt *p)
{
	if (__builtin_expect(!((p->tcp_flags & NP_TCP_SYN) | (v->hs_state & NP_HS_SYN)), 1))
		return;
	rtt_packet_slow(v, p);
}

#endif /* NETPROBE_RTT_BPF_H */
