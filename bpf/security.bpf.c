// SPDX-License-Identifier: GPL-2.0
/*
 * Port scans, SYN floods and failed connections, detected at TC ingress
 * (issues 7 and 15).
 *
 * Scans: a "probe" is a packet that no established connection sends, so
 * that ordinary traffic sends one per connection, to the same (dst, port).
 * Each kind of probe is a scan kind of its own (enum np_alert_kind):
 *   port-scan  TCP with SYN and without ACK and RST (and any other flags
 *              without SYN, ACK and RST not named below)
 *   fin-scan   TCP flags exactly FIN; null-scan: none; xmas-scan: FIN+PSH+URG
 *   ack-scan   TCP flags exactly ACK, no payload and no TCP options: nmap's
 *              ACK probes carry none, Linux's own ACKs carry timestamps
 *              (Windows' do not by default: theirs take this path)
 *   udp-scan   UDP; a datagram to the (src, dst, port) of the one before it
 *              on the same CPU is passed over at the cost of one per-CPU
 *              array read and a compare (a flow's next datagrams), and
 *              counted with that source's next datagram to another port
 * Per (source, kind), a window opens at its first probe; probes to
 * distinct (dst, port) pairs are counted in that window with the
 * np_sec_seen LRU (one entry per (src, dst, port, kind) holding the window
 * and episode it was last counted in), so the count is exact as long as the
 * LRU does not evict an entry inside the window. A source with scan_ports
 * or more distinct pairs in a window is "hot". An episode is a run of
 * windows in which every window but the last was hot: it raises one alert,
 * and ends when a window passes without reaching the threshold.
 *
 * SYN flood: per target (dst, port), SYNs in a 1 s window against
 * handshakes completed in it. A handshake is completed when the client's
 * first ACK arrives (ACK, no SYN/RST/payload, seq = the SYN's seq + 1),
 * matched through the np_sec_pending LRU of SYNs seen. A target is hot
 * when SYNs >= syn_rate and completed*100 < SYNs*syn_complete_pct.
 *
 * Failed connections: per source, its connection attempts (SYNs, a
 * retransmission being the same attempt) and those completed within
 * fail_timeout, in the scan window. An attempt not completed by then has
 * failed: refused (RST) or not answered. The source's time is cut into
 * ticks of fail_timeout; attempts of the current and the previous tick may
 * still complete, older ones are decided. The source is hot when its
 * decided failures in the window reach fail_conns and are fail_pct percent
 * of its decided attempts. A source in a port-scan episode, or SYNs to a
 * target in a SYN-flood episode, raise no failed-conn alert: one attack,
 * one alert.
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
#define TCP_PSH		0x08
#define TCP_ACK		0x10
#define TCP_URG		0x20

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

/* Per (source, scan kind): the current window and episode of a possible scan. */
struct scan_key {
	__u8 src[16];
	__u32 kind;		/* enum np_alert_kind */
};

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
	__type(key, struct scan_key);
	__type(value, struct scan_state);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_sec_scan SEC(".maps");

/* (src, dst, port) probed by a kind; port 0 / proto 0 marks "dst seen" for hosts. */
struct seen_key {
	__u8 src[16];
	__u8 dst[16];
	__u16 port;
	__u8 proto;
	__u8 kind;
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

struct hs_val {
	__u32 seq;	/* the SYN's sequence number */
	__u32 pad;
	__u64 ts;	/* when the attempt's first SYN came */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct hs_key);
	__type(value, struct hs_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_sec_pending SEC(".maps");

/* Per source: its connection attempts, for failed-conn. */
struct fail_state {
	__u64 win_start;
	__u64 run_start;
	__u64 tick;		/* start of the current tick, fail_timeout long */
	__u64 att[2];		/* attempts of this tick and of the one before */
	__u64 done[2];		/* of those, completed within fail_timeout */
	__u64 win_att;		/* decided attempts (older ticks) of this window */
	__u64 win_done;		/* of those, completed */
	__u64 run_att;		/* every attempt of the episode */
	__u64 run_done;
	__u64 peak;		/* most decided failures in one window */
	__u8 first_dst[16];
	__u32 hot;
	__u32 alerted;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u8[16]);
	__type(value, struct fail_state);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_sec_fail SEC(".maps");

/*
 * A new state's first value, built here: the programs' stack is too small
 * for it beside the rest.
 */
union init_val {
	struct scan_state scan;
	struct flood_state flood;
	struct fail_state fail;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, union init_val);
} init_scratch SEC(".maps");

/*
 * The last UDP (src, dst, dport) this CPU counted: the next datagrams of a
 * flow skip the maps. Private to each loaded program.
 */
struct udp_last {
	__u64 k[5];
	__u64 hits;	/* datagrams passed over since, not yet counted */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct udp_last);
} udp_last SEC(".maps");

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
	__u8 doff;	/* TCP header length in bytes */
	__u8 proto;	/* IPPROTO_TCP or IPPROTO_UDP */
};

/*
 * Where udp_repeat() leaves another source's repeats when that source's
 * (src, dst, port) leaves this CPU's slot: sec_probe() counts them first.
 */
struct udp_due {
	struct pkt p;
	__u64 hits;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct udp_due);
} udp_due SEC(".maps");

/*
 * Fills p from a TCP segment with its whole 20-byte header, or from a UDP
 * datagram's ports (bpf/parse.bpf.h: VLAN tags, IPv4 options, IPv6
 * extension headers); -1 if neither. Later fragments carry no L4 header.
 */
static __always_inline int parse(struct __sk_buff *skb, struct pkt *p)
{
	struct np_cur c = NP_CUR_SKB(skb);
	struct np_pkt np = {};

	if (np_parse_frame(&c, 0, false, &np) || !np.ip)
		return -1;
	if (np.key.proto == IPPROTO_TCP) {
		if (!np.tcp_doff)
			return -1;
	} else if (np.key.proto != IPPROTO_UDP || !np.l4_ok || np.fragment) {
		return -1;
	}
	__builtin_memcpy(p->src, np.key.src, 16);
	__builtin_memcpy(p->dst, np.key.dst, 16);
	p->sport = np.key.sport;
	p->dport = np.key.dport;
	p->proto = np.key.proto;
	p->seq = np.tcp_seq;
	p->flags = np.tcp_flags;
	p->doff = np.tcp_doff;
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
	c->fail_conns = NP_SEC_DEF_FAIL_CONNS;
	c->fail_pct = NP_SEC_DEF_FAIL_PCT;
	c->fail_timeout_ns = NP_SEC_DEF_FAIL_TIMEOUT_NS;
}

/* A zeroed union init_val, or NULL. */
static __always_inline union init_val *init_zero(void)
{
	__u32 zero = 0;
	union init_val *v = bpf_map_lookup_elem(&init_scratch, &zero);

	if (v)
		__builtin_memset(v, 0, sizeof(*v));
	return v;
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

/* A new alert of p's source: source, first target, kind, start and device set. */
static __always_inline struct np_alert_event *source_alert(const struct pkt *p, __u32 kind,
							   const __u8 *first_dst, __u64 start)
{
	struct np_alert_event *ev = scratch();

	if (!ev)
		return NULL;
	__builtin_memcpy(ev->alert.src, p->src, 16);
	__builtin_memcpy(ev->alert.dst, first_dst, 16);
	ev->alert.kind = kind;
	ev->alert.first_ns = start;
	ev->alert.ifindex = p->ifindex;
	return ev;
}

/*
 * Marks (src, dst, port, proto) as seen by kind in this window and run;
 * says whether it is new to either. A new entry is new to both.
 */
static __always_inline void seen_mark(const struct pkt *p, __u16 port, __u8 proto, __u8 kind,
				      __u64 win, __u64 run, bool *new_win, bool *new_run)
{
	struct seen_key k = { .port = port, .proto = proto, .kind = kind };
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

static __always_inline void scan_alert(const struct pkt *p, __u32 kind, struct scan_state *st,
				       const struct np_sec_config *cfg, __u64 now)
{
	struct np_alert_key key = { .kind = kind, .start_ns = st->run_start };
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
	ev = source_alert(p, kind, st->first_dst, st->run_start);
	if (!ev)
		return;
	scan_fill(&ev->alert, st, cfg, now);
	alert_raise(&key, ev);
}

static __always_inline struct scan_state *scan_state_get(const struct pkt *p, __u32 kind,
							 __u64 now)
{
	struct scan_key k = { .kind = kind };
	struct scan_state *st;
	union init_val *init;

	__builtin_memcpy(k.src, p->src, 16);
	st = bpf_map_lookup_elem(&np_sec_scan, &k);
	if (st)
		return st;
	init = init_zero();
	if (!init)
		return NULL;
	init->scan.win_start = init->scan.run_start = now;
	__builtin_memcpy(init->scan.first_dst, p->dst, 16);
	return np_map_get_or_insert(&np_sec_scan, &k, &init->scan);
}

/* Counts a probe of kind; says whether its source is in an episode of it. */
static __always_inline bool scan_probe(const struct pkt *p, __u32 kind, __u64 extra,
				  const struct np_sec_config *cfg, __u64 now)
{
	struct scan_state *st;
	bool new_win, new_run;

	if (!cfg->scan_ports || !cfg->scan_window_ns)
		return false;
	st = scan_state_get(p, kind, now);
	if (!st)
		return false;
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
	seen_mark(p, p->dport, p->proto, kind, st->win_start, st->run_start, &new_win, &new_run);
	st->win_ports += new_win;
	st->run_ports += new_run;
	seen_mark(p, 0, 0, kind, st->win_start, st->run_start, &new_win, &new_run);
	st->run_hosts += new_run;
	st->run_probes += 1 + extra;
	if (st->win_ports > st->peak)
		st->peak = st->win_ports;
	if (st->win_ports >= cfg->scan_ports)
		st->hot = 1;
	if (st->hot || st->alerted)
		scan_alert(p, kind, st, cfg, now);
	return st->hot || st->alerted;
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
	union init_val *init;

	if (st)
		return st;
	init = init_zero();
	if (!init)
		return NULL;
	init->flood.win_start = init->flood.run_start = now;
	__builtin_memcpy(init->flood.first_src, p->src, 16);
	return np_map_get_or_insert(&np_sec_flood, fk, &init->flood);
}

/* Counts a SYN to its target; says whether the target is in a flood episode. */
static __always_inline bool flood_syn(const struct pkt *p, const struct np_sec_config *cfg,
				      __u64 now)
{
	struct flood_key fk = { .port = p->dport };
	struct flood_state *st;

	__builtin_memcpy(fk.dst, p->dst, 16);
	st = flood_state_get(&fk, p, now);
	if (!st)
		return false;
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
	return st->hot || st->alerted;
}

/*
 * Moves a source's failure window and ticks forward to now. Attempts of
 * ticks before the previous one are at least fail_timeout old: decided.
 */
static __always_inline void fail_advance(struct fail_state *st, const struct pkt *p,
					 const struct np_sec_config *cfg, __u64 now)
{
	__u64 t = cfg->fail_timeout_ns;

	switch (roll(&st->win_start, &st->hot, now, cfg->scan_window_ns)) {
	case ROLL_NEW_RUN:
		/* A fresh start: attempts of an earlier run are not carried in. */
		st->run_start = st->tick = now;
		st->run_att = st->run_done = st->peak = 0;
		st->att[0] = st->att[1] = st->done[0] = st->done[1] = 0;
		st->alerted = 0;
		__builtin_memcpy(st->first_dst, p->dst, 16);
		/* fall through */
	case ROLL_NEXT:
		st->win_att = st->win_done = 0;
		break;
	case ROLL_SAME:
		break;
	}
	if (now < st->tick + t)
		return;
	if (now < st->tick + 2 * t) {
		st->win_att += st->att[1];
		st->win_done += st->done[1];
		st->att[1] = st->att[0];
		st->done[1] = st->done[0];
		st->tick += t;
	} else {
		st->win_att += st->att[0] + st->att[1];
		st->win_done += st->done[0] + st->done[1];
		st->att[1] = st->done[1] = 0;
		st->tick = now;
	}
	st->att[0] = st->done[0] = 0;
}

static __always_inline void fail_fill(struct np_alert *a, const struct fail_state *st,
				      const struct np_sec_config *cfg, __u64 now)
{
	a->last_ns = now;
	if (st->hot)
		a->active_until_ns = st->win_start + 2 * cfg->scan_window_ns;
	a->syns = st->run_att;
	a->completed = st->run_done;
	a->peak = st->peak;
	a->window_ns = cfg->scan_window_ns;
}

/* Decides the source's window; raises or updates its alert. */
static __always_inline void fail_check(const struct pkt *p, struct fail_state *st,
				       const struct np_sec_config *cfg, __u64 now, bool other)
{
	struct np_alert_key key = { .kind = NP_ALERT_FAILED_CONN, .start_ns = st->run_start };
	__u64 failed = st->win_att > st->win_done ? st->win_att - st->win_done : 0;
	struct np_alert_event *ev;
	struct np_alert *a;

	if (failed > st->peak)
		st->peak = failed;
	if (failed >= cfg->fail_conns && failed * 100 >= st->win_att * cfg->fail_pct)
		st->hot = 1;
	if (!st->hot && !st->alerted)
		return;
	__builtin_memcpy(key.addr, p->src, 16);
	if (st->alerted) {
		a = bpf_map_lookup_elem(&np_alerts, &key);
		if (a)
			fail_fill(a, st, cfg, now);
		return;
	}
	/* Already reported as a port scan or a SYN flood. */
	if (other)
		return;
	st->alerted = 1;
	ev = source_alert(p, NP_ALERT_FAILED_CONN, st->first_dst, st->run_start);
	if (!ev)
		return;
	fail_fill(&ev->alert, st, cfg, now);
	alert_raise(&key, ev);
}

/* A new connection attempt of p's source. */
static __always_inline void fail_attempt(const struct pkt *p, const struct np_sec_config *cfg,
					 __u64 now, bool other)
{
	struct fail_state *st = bpf_map_lookup_elem(&np_sec_fail, p->src);
	union init_val *init;

	if (!st) {
		init = init_zero();
		if (!init)
			return;
		init->fail.win_start = init->fail.run_start = init->fail.tick = now;
		__builtin_memcpy(init->fail.first_dst, p->dst, 16);
		st = np_map_get_or_insert(&np_sec_fail, p->src, &init->fail);
		if (!st)
			return;
	}
	fail_advance(st, p, cfg, now);
	st->att[0]++;
	st->run_att++;
	fail_check(p, st, cfg, now, other);
}

/* An attempt that came at syn_ts completed now. */
static __always_inline void fail_done(const struct pkt *p, const struct np_sec_config *cfg,
				      __u64 syn_ts, __u64 now)
{
	__u64 t = cfg->fail_timeout_ns;
	struct fail_state *st;

	if (now - syn_ts > t)
		return;		/* too late: it failed */
	st = bpf_map_lookup_elem(&np_sec_fail, p->src);
	if (!st)
		return;
	fail_advance(st, p, cfg, now);
	if (syn_ts < st->run_start)
		return;		/* an attempt of an earlier episode */
	if (syn_ts >= st->tick)
		st->done[0]++;
	else if (syn_ts + t >= st->tick)
		st->done[1]++;
	else
		return;
	st->run_done++;
	fail_check(p, st, cfg, now, false);
}

/* A SYN: a pending handshake, a flood's SYN, a connection attempt. */
static __always_inline void syn_seen(const struct pkt *p, const struct np_sec_config *cfg,
				     __u64 now, bool scanning)
{
	struct hs_key hk = { .sport = p->sport, .dport = p->dport };
	struct hs_val *v, nv = { .seq = p->seq, .ts = now };
	bool fail = cfg->fail_conns && cfg->fail_timeout_ns && cfg->scan_window_ns;
	bool retrans = false, flooding = false;

	if (!cfg->syn_rate && !fail)
		return;
	__builtin_memcpy(hk.src, p->src, 16);
	__builtin_memcpy(hk.dst, p->dst, 16);
	v = bpf_map_lookup_elem(&np_sec_pending, &hk);
	/* A retransmitted SYN is the same attempt: it keeps its time. */
	if (v && v->seq == p->seq)
		retrans = true;
	else
		bpf_map_update_elem(&np_sec_pending, &hk, &nv, BPF_ANY);
	if (cfg->syn_rate)
		flooding = flood_syn(p, cfg, now);
	if (fail && !retrans)
		fail_attempt(p, cfg, now, scanning || flooding);
}

/* The client's first ACK of a handshake whose SYN was seen. */
static __always_inline void flood_ack(const struct pkt *p)
{
	struct flood_key fk = { .port = p->dport };
	struct hs_key hk = { .sport = p->sport, .dport = p->dport };
	struct np_sec_config cfg;
	struct flood_state *st;
	struct hs_val *v;
	__u64 now, syn_ts;

	__builtin_memcpy(hk.src, p->src, 16);
	__builtin_memcpy(hk.dst, p->dst, 16);
	v = bpf_map_lookup_elem(&np_sec_pending, &hk);
	if (!v || v->seq + 1 != p->seq)
		return;
	syn_ts = v->ts;
	bpf_map_delete_elem(&np_sec_pending, &hk);
	now = bpf_ktime_get_ns();
	config_get(&cfg);
	if (cfg.fail_conns && cfg.fail_timeout_ns && cfg.scan_window_ns)
		fail_done(p, &cfg, syn_ts, now);
	__builtin_memcpy(fk.dst, p->dst, 16);
	st = bpf_map_lookup_elem(&np_sec_flood, &fk);
	if (!st)
		return;
	st->win_done++;
	st->run_done++;
	if (st->alerted)
		flood_alert(&fk, st, p->ifindex, now);
}

/* The scan kind of a TCP segment without ACK and RST. */
static __always_inline __u32 probe_kind(__u8 flags)
{
	if (flags & TCP_SYN)
		return NP_ALERT_PORT_SCAN;
	switch (flags) {
	case 0:
		return NP_ALERT_NULL_SCAN;
	case TCP_FIN:
		return NP_ALERT_FIN_SCAN;
	case TCP_FIN | TCP_PSH | TCP_URG:
		return NP_ALERT_XMAS_SCAN;
	}
	return NP_ALERT_PORT_SCAN;
}

/*
 * A UDP datagram to the (src, dst, port) this CPU counted last: true, and
 * it is counted later. Else *hits is what to count with it: the datagrams
 * passed over before, when they came from the same source; from another
 * source, they go to udp_due, and sec_probe() counts them for it at once:
 * none is lost.
 */
static __always_inline bool udp_repeat(const struct pkt *p, __u64 *hits)
{
	__u32 zero = 0;
	struct udp_last *l = bpf_map_lookup_elem(&udp_last, &zero);
	__u64 k[5];

	if (!l)
		return true;
	__builtin_memcpy(k, p->src, 16);
	__builtin_memcpy(&k[2], p->dst, 16);
	k[4] = p->dport | 1ull << 32;	/* never the zeroed entry's */
	if (l->k[0] == k[0] && l->k[1] == k[1] && l->k[2] == k[2] && l->k[3] == k[3] &&
	    l->k[4] == k[4]) {
		l->hits++;
		return true;
	}
	if (l->k[0] == k[0] && l->k[1] == k[1]) {
		*hits = l->hits;
	} else if (l->hits) {
		struct udp_due *d = bpf_map_lookup_elem(&udp_due, &zero);

		if (d) {
			__builtin_memcpy(d->p.src, l->k, 16);
			__builtin_memcpy(d->p.dst, &l->k[2], 16);
			d->p.dport = (__u16)l->k[4];
			d->p.proto = IPPROTO_UDP;
			d->p.ifindex = p->ifindex;
			d->hits = l->hits;
		}
	}
	__builtin_memcpy(l->k, k, sizeof(k));
	l->hits = 0;
	return false;
}

/*
 * The three paths out of the program are global functions: the verifier
 * checks each once, not once per parser path that reaches it, and each has
 * a stack frame of its own.
 */

/* A probe of kind at now, and extra ones of it passed over before. */
__noinline int sec_probe(const struct pkt *p, __u32 kind, __u64 extra, __u64 now)
{
	struct np_sec_config cfg;
	bool scanning;

	struct udp_due *due;
	__u32 zero = 0;

	if (!p)
		return 0;
	config_get(&cfg);
	/* Another source's UDP repeats, passed over on this CPU: counted first. */
	due = bpf_map_lookup_elem(&udp_due, &zero);
	if (due && due->hits) {
		__u64 h = due->hits;

		due->hits = 0;
		scan_probe(&due->p, NP_ALERT_UDP_SCAN, h - 1, &cfg, now);
	}
	scanning = scan_probe(p, kind, extra, &cfg, now);
	return scanning;
}

/* A SYN at now; scanning: its source is in a port-scan episode. */
__noinline int sec_syn(const struct pkt *p, __u64 now, int scanning)
{
	struct np_sec_config cfg;

	if (!p)
		return 0;
	config_get(&cfg);
	syn_seen(p, &cfg, now, scanning);
	return 0;
}

/* A pure ACK: maybe the client's first of a handshake. */
__noinline int sec_ack(const struct pkt *p)
{
	if (!p)
		return 0;
	flood_ack(p);
	return 0;
}

SEC("tc")
int np_security_ingress(struct __sk_buff *skb)
{
	struct pkt p = {};
	__u64 now, extra = 0;
	int scanning;
	__u32 kind;

	if (parse(skb, &p))
		return TC_ACT_UNSPEC;
	if (p.proto == IPPROTO_UDP) {
		if (udp_repeat(&p, &extra))
			return TC_ACT_UNSPEC;
		kind = NP_ALERT_UDP_SCAN;
	} else if (!(p.flags & (TCP_ACK | TCP_RST))) {
		kind = probe_kind(p.flags);
	} else if ((p.flags & (TCP_ACK | TCP_SYN | TCP_RST)) == TCP_ACK && !p.payload) {
		sec_ack(&p);
		/* nmap's ACK probes carry no TCP options; Linux's ACKs timestamps. */
		if (p.flags != TCP_ACK || p.doff != 20)
			return TC_ACT_UNSPEC;
		kind = NP_ALERT_ACK_SCAN;
	} else {
		/* TCX runs the next program (TCX_NEXT); clsact the next filter. */
		return TC_ACT_UNSPEC;
	}
	now = bpf_ktime_get_ns();
	scanning = sec_probe(&p, kind, extra, now);
	if (kind == NP_ALERT_PORT_SCAN && p.flags & TCP_SYN && !(p.flags & TCP_FIN))
		sec_syn(&p, now, scanning);
	return TC_ACT_UNSPEC;
}
