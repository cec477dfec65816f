// SPDX-License-Identifier: GPL-2.0
/*
 * Port scans and SYN floods, detected at TC ingress (issue 7).
 *
 * Port scan: a "probe" is a TCP segment without ACK and without RST (a SYN,
 * or a NULL/FIN/Xmas probe): every segment of an established connection
 * carries ACK, so ordinary traffic to a service sends one probe per
 * connection, to the same (dst, port). Per source, a window opens at its
 * first probe; probes to distinct (dst, port) pairs are counted in that
 * window with the np_sec_seen LRU (one entry per (src, dst, port) holding
 * the window and episode it was last counted in), so the count is exact as
 * long as the LRU does not evict an entry inside the window. A source with
 * scan_ports or more distinct pairs in a window is "hot". An episode is a
 * run of windows in which every window but the last was hot: it raises one
 * alert, and ends when a window passes without reaching the threshold.
 *
 * SYN flood: per target (dst, port), SYNs in a 1 s window against
 * handshakes completed in it. A handshake is completed when the client's
 * first ACK arrives (ACK, no SYN/RST/payload, seq = the SYN's seq + 1),
 * matched through the np_sec_pending LRU of SYNs seen. A target is hot
 * when SYNs >= syn_rate and completed*100 < SYNs*syn_complete_pct.
 *
 * Memory is bounded by the LRU sizes below. Counters in map values are
 * updated without locks: two CPUs racing on one source at a window
 * boundary may lose a count, never create a second alert (the alert is
 * inserted with BPF_NOEXIST under a key both CPUs derive alike).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "common.bpf.h"
#include "parse.bpf.h"

#define TC_ACT_UNSPEC	(-1)

#define TCP_FIN		0x01
#define TCP_SYN		0x02
#define TCP_RST		0x04
#define TCP_ACK		0x10

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct np_sec_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_security_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct np_alert_key);
	__type(value, struct np_alert);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_alerts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_alert_events SEC(".maps");

/* Alerts raised per kind since the maps were created (a Prometheus counter). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NP_ALERT_KIND_MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_alerts_total SEC(".maps");

/* Per source: the current window and episode of a possible scan. */
struct scan_state {
	__u64 win_start;
	__u64 run_start;	/* episode id: first probe of the run */
	__u64 win_ports;	/* distinct (dst, port) in this window */
	__u64 run_ports;	/* distinct (dst, port) in the run */
	__u64 run_hosts;	/* distinct dst in the run */
	__u64 run_probes;
	__u64 peak;
	__u8 first_dst[16];
	__u32 hot;		/* this window reached the threshold */
	__u32 alerted;		/* the run's alert exists */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u8[16]);
	__type(value, struct scan_state);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_sec_scan SEC(".maps");

/* (src, dst, port) probed; port 0 / proto 0 marks "dst seen" for hosts. */
struct seen_key {
	__u8 src[16];
	__u8 dst[16];
	__u16 port;
	__u8 proto;
	__u8 pad;
};

struct seen_val {
	__u64 win;	/* win_start of the window it was counted in */
	__u64 run;	/* run_start of the episode it was counted in */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 32768);
	__type(key, struct seen_key);
	__type(value, struct seen_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_sec_seen SEC(".maps");

/* Per target (dst, port): SYNs and completed handshakes. */
struct flood_key {
	__u8 dst[16];
	__u16 port;
	__u16 pad;
};

struct flood_state {
	__u64 win_start;
	__u64 run_start;
	__u64 win_syns;
	__u64 win_done;
	__u64 run_syns;
	__u64 run_done;
	__u64 peak;
	__u64 src_bits[NP_SEC_SOURCE_BITS / 64];
	__u8 first_src[16];
	__u32 hot;
	__u32 alerted;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct flood_key);
	__type(value, struct flood_state);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_sec_flood SEC(".maps");

/* SYNs waiting for the client's first ACK. */
struct hs_key {
	__u8 src[16];
	__u8 dst[16];
	__u16 sport;
	__u16 dport;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct hs_key);
	__type(value, __u32);	/* the SYN's sequence number */
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_sec_pending SEC(".maps");

/*
 * Scratch space for an alert: too big for the 512-byte stack with the rest.
 * It is the whole ring buffer record, so the header needs no second copy.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct np_alert_event);
} alert_scratch SEC(".maps");

struct pkt {
	__u8 src[16];
	__u8 dst[16];
	__u16 sport;
	__u16 dport;
	__u32 seq;
	__u32 payload;
	__u32 ifindex;
	__u8 flags;
};

/*
 * Fills p from a TCP segment with its whole 20-byte header (bpf/parse.bpf.h:
 * VLAN tags, IPv4 options, IPv6 extension headers); -1 if not one. Later
 * fragments carry no TCP header.
 */
static __always_inline int parse(struct __sk_buff *skb, struct pkt *p)
{
	struct np_cur c = NP_CUR_SKB(skb);
	struct np_pkt np = {};

	if (np_parse_frame(&c, 0, false, &np) || !np.ip || np.key.proto != IPPROTO_TCP ||
	    !np.tcp_doff)
		return -1;
	__builtin_memcpy(p->src, np.key.src, 16);
	__builtin_memcpy(p->dst, np.key.dst, 16);
	p->sport = np.key.sport;
	p->dport = np.key.dport;
	p->seq = np.tcp_seq;
	p->flags = np.tcp_flags;
	p->payload = np.l4_len > np.tcp_doff ? np.l4_len - np.tcp_doff : 0;
	p->ifindex = skb->ifindex;
	return 0;
}

static __always_inline void config_get(struct np_sec_config *c)
{
	__u32 key = 0;
	struct np_sec_config *v = bpf_map_lookup_elem(&np_security_config, &key);

	if (v && v->set) {
		*c = *v;
		return;
	}
	c->scan_ports = NP_SEC_DEF_SCAN_PORTS;
	c->scan_window_ns = NP_SEC_DEF_SCAN_WINDOW_NS;
	c->syn_rate = NP_SEC_DEF_SYN_RATE;
	c->syn_complete_pct = NP_SEC_DEF_SYN_COMPLETE;
}

enum roll { ROLL_SAME, ROLL_NEXT, ROLL_NEW_RUN };

/*
 * Moves a window forward to now. The run goes on only into the window
 * right after a hot one; a colder or later window starts a new run at now.
 */
static __always_inline enum roll roll(__u64 *win_start, __u32 *hot, __u64 now, __u64 w)
{
	/* Another CPU may have opened the window a moment "after" now. */
	if (now < *win_start || now - *win_start < w)
		return ROLL_SAME;
	if (now - *win_start < 2 * w && *hot) {
		*win_start += w;
		*hot = 0;
		return ROLL_NEXT;
	}
	*win_start = now;
	*hot = 0;
	return ROLL_NEW_RUN;
}

/*
 * Raises an alert once: only the CPU whose insert creates the key reports
 * it. ev comes from scratch(), its alert filled in.
 */
static __always_inline void alert_raise(const struct np_alert_key *key,
					struct np_alert_event *ev)
{
	__u32 kind = key->kind;
	__u64 *total;

	if (bpf_map_update_elem(&np_alerts, key, &ev->alert, BPF_NOEXIST))
		return;
	total = bpf_map_lookup_elem(&np_alerts_total, &kind);
	if (total)
		(*total)++;
	ev->hdr.type = NP_EV_ALERT_RAISED;
	ev->hdr.size = sizeof(*ev);
	ev->hdr.ts_ns = ev->alert.last_ns;
	bpf_ringbuf_output(&np_alert_events, ev, sizeof(*ev), 0);
}

/* A zeroed alert event (netns stays 0: the alert names its interface). */
static __always_inline struct np_alert_event *scratch(void)
{
	__u32 zero = 0;
	struct np_alert_event *ev = bpf_map_lookup_elem(&alert_scratch, &zero);

	if (ev)
		__builtin_memset(ev, 0, sizeof(*ev));
	return ev;
}

/*
 * Marks (src, dst, port, proto) as seen in this window and run; says
 * whether it is new to either. A new entry is new to both.
 */
static __always_inline void seen_mark(const struct pkt *p, __u16 port, __u8 proto,
				      __u64 win, __u64 run, bool *new_win, bool *new_run)
{
	struct seen_key k = { .port = port, .proto = proto };
	struct seen_val *v, init = { .win = win, .run = run };

	__builtin_memcpy(k.src, p->src, 16);
	__builtin_memcpy(k.dst, p->dst, 16);
	v = bpf_map_lookup_elem(&np_sec_seen, &k);
	if (!v) {
		/* Two CPUs inserting at once: only one counts it. */
		*new_win = *new_run = !bpf_map_update_elem(&np_sec_seen, &k, &init, BPF_NOEXIST);
		return;
	}
	*new_win = v->win != win;
	*new_run = v->run != run;
	v->win = win;
	v->run = run;
}

/* What an alert says of the run so far. */
static __always_inline void scan_fill(struct np_alert *a, const struct scan_state *st,
				      const struct np_sec_config *cfg, __u64 now)
{
	a->last_ns = now;
	if (st->hot)
		a->active_until_ns = st->win_start + 2 * cfg->scan_window_ns;
	a->ports = st->run_ports;
	a->hosts = st->run_hosts;
	a->syns = st->run_probes;
	a->peak = st->peak;
	a->window_ns = cfg->scan_window_ns;
}

static __always_inline void scan_alert(const struct pkt *p, struct scan_state *st,
				       const struct np_sec_config *cfg, __u64 now)
{
	struct np_alert_key key = { .kind = NP_ALERT_PORT_SCAN, .start_ns = st->run_start };
	struct np_alert_event *ev;
	struct np_alert *a;

	__builtin_memcpy(key.addr, p->src, 16);
	if (st->alerted) {
		/* Gone when flushed or evicted: the run is not raised again. */
		a = bpf_map_lookup_elem(&np_alerts, &key);
		if (a)
			scan_fill(a, st, cfg, now);
		return;
	}
	st->alerted = 1;
	ev = scratch();
	if (!ev)
		return;
	a = &ev->alert;
	__builtin_memcpy(a->src, p->src, 16);
	__builtin_memcpy(a->dst, st->first_dst, 16);
	a->kind = NP_ALERT_PORT_SCAN;
	a->first_ns = st->run_start;
	a->ifindex = p->ifindex;
	scan_fill(a, st, cfg, now);
	alert_raise(&key, ev);
}

static __always_inline struct scan_state *scan_state_get(const struct pkt *p, __u64 now)
{
	struct scan_state *st = bpf_map_lookup_elem(&np_sec_scan, p->src), init = {};

	if (st)
		return st;
	init.win_start = init.run_start = now;
	__builtin_memcpy(init.first_dst, p->dst, 16);
	return np_map_get_or_insert(&np_sec_scan, p->src, &init);
}

static __always_inline void scan_probe(const struct pkt *p, const struct np_sec_config *cfg,
				       __u64 now)
{
	struct scan_state *st;
	bool new_win, new_run;

	if (!cfg->scan_ports || !cfg->scan_window_ns)
		return;
	st = scan_state_get(p, now);
	if (!st)
		return;
	switch (roll(&st->win_start, &st->hot, now, cfg->scan_window_ns)) {
	case ROLL_NEW_RUN:
		st->run_start = now;
		st->run_ports = st->run_hosts = st->run_probes = st->peak = 0;
		st->alerted = 0;
		__builtin_memcpy(st->first_dst, p->dst, 16);
		/* fall through */
	case ROLL_NEXT:
		st->win_ports = 0;
		break;
	case ROLL_SAME:
		break;
	}
	seen_mark(p, p->dport, IPPROTO_TCP, st->win_start, st->run_start, &new_win, &new_run);
	st->win_ports += new_win;
	st->run_ports += new_run;
	seen_mark(p, 0, 0, st->win_start, st->run_start, &new_win, &new_run);
	st->run_hosts += new_run;
	st->run_probes++;
	if (st->win_ports > st->peak)
		st->peak = st->win_ports;
	if (st->win_ports >= cfg->scan_ports)
		st->hot = 1;
	if (st->hot || st->alerted)
		scan_alert(p, st, cfg, now);
}

static __always_inline void source_bit(__u64 *bits, const __u8 *src)
{
	__u32 w[4], h;

	__builtin_memcpy(w, src, 16);
	/* Fibonacci hashing: spreads sequential and spoofed addresses alike. */
	h = (w[0] ^ w[1] ^ w[2] ^ w[3]) * 0x9e3779b1u;
	h >>= 32 - 9;	/* log2(NP_SEC_SOURCE_BITS) */
	bits[(h / 64) & (NP_SEC_SOURCE_BITS / 64 - 1)] |= 1ull << (h % 64);
}

static __always_inline bool flood_hot(const struct flood_state *st,
				      const struct np_sec_config *cfg)
{
	return st->win_syns >= cfg->syn_rate &&
	       st->win_done * 100 < st->win_syns * cfg->syn_complete_pct;
}

static __always_inline void flood_fill(struct np_alert *a, const struct flood_state *st,
				       __u64 now)
{
	a->last_ns = now;
	if (st->hot)
		a->active_until_ns = st->win_start + 2 * NP_SEC_FLOOD_WINDOW_NS;
	a->syns = st->run_syns;
	a->completed = st->run_done;
	a->peak = st->peak;
	__builtin_memcpy(a->src_bits, st->src_bits, sizeof(a->src_bits));
}

static __always_inline void flood_alert(const struct flood_key *fk, struct flood_state *st,
					__u32 ifindex, __u64 now)
{
	struct np_alert_key key = { .kind = NP_ALERT_SYN_FLOOD, .port = fk->port,
				    .start_ns = st->run_start };
	struct np_alert_event *ev;
	struct np_alert *a;

	__builtin_memcpy(key.addr, fk->dst, 16);
	if (st->alerted) {
		a = bpf_map_lookup_elem(&np_alerts, &key);
		if (a)
			flood_fill(a, st, now);
		return;
	}
	st->alerted = 1;
	ev = scratch();
	if (!ev)
		return;
	a = &ev->alert;
	__builtin_memcpy(a->src, st->first_src, 16);
	__builtin_memcpy(a->dst, fk->dst, 16);
	a->kind = NP_ALERT_SYN_FLOOD;
	a->dport = fk->port;
	a->first_ns = st->run_start;
	a->ports = a->hosts = 1;
	a->window_ns = NP_SEC_FLOOD_WINDOW_NS;
	a->ifindex = ifindex;
	flood_fill(a, st, now);
	alert_raise(&key, ev);
}

static __always_inline struct flood_state *flood_state_get(const struct flood_key *fk,
							   const struct pkt *p, __u64 now)
{
	struct flood_state *st = bpf_map_lookup_elem(&np_sec_flood, fk);
	struct flood_state init = {};

	if (st)
		return st;
	init.win_start = init.run_start = now;
	__builtin_memcpy(init.first_src, p->src, 16);
	return np_map_get_or_insert(&np_sec_flood, fk, &init);
}

static __always_inline void flood_syn(const struct pkt *p, const struct np_sec_config *cfg,
				      __u64 now)
{
	struct flood_key fk = { .port = p->dport };
	struct hs_key hk = { .sport = p->sport, .dport = p->dport };
	struct flood_state *st;

	if (!cfg->syn_rate)
		return;
	__builtin_memcpy(hk.src, p->src, 16);
	__builtin_memcpy(hk.dst, p->dst, 16);
	bpf_map_update_elem(&np_sec_pending, &hk, &p->seq, BPF_ANY);
	__builtin_memcpy(fk.dst, p->dst, 16);
	st = flood_state_get(&fk, p, now);
	if (!st)
		return;
	switch (roll(&st->win_start, &st->hot, now, NP_SEC_FLOOD_WINDOW_NS)) {
	case ROLL_NEW_RUN:
		st->run_start = now;
		st->run_syns = st->run_done = st->peak = 0;
		__builtin_memset(st->src_bits, 0, sizeof(st->src_bits));
		__builtin_memcpy(st->first_src, p->src, 16);
		st->alerted = 0;
		/* fall through */
	case ROLL_NEXT:
		st->win_syns = st->win_done = 0;
		break;
	case ROLL_SAME:
		break;
	}
	st->win_syns++;
	st->run_syns++;
	if (st->win_syns > st->peak)
		st->peak = st->win_syns;
	source_bit(st->src_bits, p->src);
	if (flood_hot(st, cfg))
		st->hot = 1;
	if (st->hot || st->alerted)
		flood_alert(&fk, st, p->ifindex, now);
}

/* The client's first ACK of a handshake whose SYN was seen. */
static __always_inline void flood_ack(const struct pkt *p, __u64 now)
{
	struct flood_key fk = { .port = p->dport };
	struct hs_key hk = { .sport = p->sport, .dport = p->dport };
	struct flood_state *st;
	__u32 *isn;

	__builtin_memcpy(hk.src, p->src, 16);
	__builtin_memcpy(hk.dst, p->dst, 16);
	isn = bpf_map_lookup_elem(&np_sec_pending, &hk);
	if (!isn || *isn + 1 != p->seq)
		return;
	bpf_map_delete_elem(&np_sec_pending, &hk);
	__builtin_memcpy(fk.dst, p->dst, 16);
	st = bpf_map_lookup_elem(&np_sec_flood, &fk);
	if (!st)
		return;
	st->win_done++;
	st->run_done++;
	if (st->alerted)
		flood_alert(&fk, st, p->ifindex, now);
}

SEC("tc")
int np_security_ingress(struct __sk_buff *skb)
{
	struct np_sec_config cfg;
	struct pkt p = {};
	__u64 now;

	if (parse(skb, &p))
		return TC_ACT_UNSPEC;
	if (!(p.flags & (TCP_ACK | TCP_RST))) {
		now = bpf_ktime_get_ns();
		config_get(&cfg);
		scan_probe(&p, &cfg, now);
		if (p.flags & TCP_SYN && !(p.flags & TCP_FIN))
			flood_syn(&p, &cfg, now);
	} else if ((p.flags & (TCP_ACK | TCP_SYN | TCP_RST)) == TCP_ACK && !p.payload) {
		flood_ack(&p, bpf_ktime_get_ns());
	}
	/* TCX runs the next program (TCX_NEXT); clsact the next filter. */
	return TC_ACT_UNSPEC;
}
