// SPDX-License-Identifier: GPL-2.0
/*
 * TCP connections from tracepoints (tp_btf: no tracefs, no kprobes).
 *
 * inet_sock_set_state drives the connection table: CLOSE -> SYN_SENT is
 * connect() (in the caller's context, so the pid is right), LISTEN ->
 * SYN_RECV is a child socket made for an incoming connection (in softirq,
 * where the current task is whoever was interrupted). Accepted connections
 * get their process from the first task that sends or receives on them
 * (sock_send_length / sock_recv_length run in the syscall's context); until
 * then, and forever for kernel threads, the pid stays 0 ("-").
 *
 * Byte counts, RTT and retransmissions are the kernel's own tcp_sock fields,
 * read with CO-RE and copied at every event of the connection.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>
#include "common.bpf.h"

#define AF_INET		2
#define AF_INET6	10
#define PF_KTHREAD	0x00200000

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NP_CONN_MAX);
	__type(key, __u64);
	__type(value, struct np_conn);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_conns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, NP_TCP_NETNS_MAX);
	__type(key, __u32);
	__type(value, struct np_tcp_totals);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_tcp_totals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, NP_EVENTS_BYTES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} np_events_beat SEC(".maps");

static __always_inline bool reader_present(__u64 now)
{
	__u32 zero = 0;
	__u64 *beat = bpf_map_lookup_elem(&np_events_beat, &zero);

	return beat && *beat && now - *beat < NP_WATCH_BEAT_NS;
}

static __always_inline __u32 sk_netns(const struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

static __always_inline struct np_tcp_totals *totals(__u32 netns)
{
	static const struct np_tcp_totals zero;

	return np_map_get_or_insert(&np_tcp_totals, &netns, &zero);
}

static __always_inline bool is_tcp(const struct sock *sk)
{
	return BPF_CORE_READ(sk, sk_protocol) == IPPROTO_TCP &&
	       BPF_CORE_READ(sk, sk_type) == 1 /* SOCK_STREAM */;
}

/* Addresses and ports: the source port is only known once connect() hashed
 * the socket, after the SYN_SENT transition, so this runs at every event. */
static __always_inline void conn_tuple(struct np_conn *c, const struct sock *sk)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	__u16 sport = BPF_CORE_READ(sk, __sk_common.skc_num);

	c->family = family;
	/* CLOSE gives the port back before the tracepoint: keep the one we saw. */
	if (sport)
		c->sport = sport;
	c->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == AF_INET6) {
		BPF_CORE_READ_INTO(&c->saddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&c->daddr, sk, __sk_common.skc_v6_daddr);
		return;
	}
	__builtin_memset(c->saddr, 0, 16);
	__builtin_memset(c->daddr, 0, 16);
	c->saddr[10] = c->saddr[11] = 0xff;
	c->daddr[10] = c->daddr[11] = 0xff;
	BPF_CORE_READ_INTO((__u32 *)&c->saddr[12], sk, __sk_common.skc_rcv_saddr);
	BPF_CORE_READ_INTO((__u32 *)&c->daddr[12], sk, __sk_common.skc_daddr);
}

/*
 * Payload bytes. bytes_acked counts every acknowledged sequence number, so
 * it holds the SYN of an active open and our FIN once acknowledged;
 * bytes_received holds the peer's FIN once received (tcp_fin sets
 * SOCK_DONE). Called with sk_state still the old state at a state change.
 */
static __always_inline void conn_bytes(struct np_conn *c, const struct tcp_sock *tp)
{
	const struct sock *sk = &tp->inet_conn.icsk_inet.sk;
	__u64 acked = tp->bytes_acked;
	__u64 received = tp->bytes_received;
	__u8 state = sk->__sk_common.skc_state;

	if ((c->flags & NP_CONN_ACTIVE) && acked)
		acked--;
	if ((state == TCP_FIN_WAIT1 || state == TCP_FIN_WAIT2 || state == TCP_CLOSING ||
	     state == TCP_LAST_ACK) && acked && tp->snd_una == tp->write_seq)
		acked--;
	if ((sk->__sk_common.skc_flags & (1ul << SOCK_DONE)) && received)
		received--;
	c->bytes_sent = acked;
	c->bytes_received = received;
}

/* Runs at every send and receive too: direct loads through the typed
 * tcp_sock pointer, no probe reads. */
static __always_inline void conn_counters(struct np_conn *c, const struct sock *sk)
{
	const struct tcp_sock *tp = bpf_skc_to_tcp_sock((void *)sk);

	if (!tp)
		return;
	conn_bytes(c, tp);
	c->srtt_us = tp->srtt_us >> 3;
	c->retransmits = tp->total_retrans;
}

static __always_inline void conn_set_task(struct np_conn *c)
{
	c->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(c->comm, sizeof(c->comm));
}

/* Adds the retransmissions the kernel counted since the last look. */
static __always_inline void conn_account_retrans(struct np_conn *c)
{
	__u32 delta = c->retransmits - c->retrans_counted;
	struct np_tcp_totals *t;

	if (!delta)
		return;
	c->retrans_counted = c->retransmits;
	t = totals(c->netns);
	if (t)
		t->retrans_segs += delta;
}

static __always_inline struct np_conn *conn_new(__u64 cookie, const struct sock *sk,
						__u8 flags, __u64 opened)
{
	struct np_conn c = {};

	c.flags = flags;
	c.netns = sk_netns(sk);
	c.opened_ns = opened;
	c.state = BPF_CORE_READ(sk, __sk_common.skc_state);
	conn_tuple(&c, sk);
	conn_counters(&c, sk);
	/* What the kernel counted before we knew the socket is not ours. */
	c.retrans_counted = c.retransmits;
	bpf_map_update_elem(&np_conns, &cookie, &c, BPF_ANY);
	return bpf_map_lookup_elem(&np_conns, &cookie);
}

static __always_inline void emit(__u16 type, __u64 cookie, int oldstate, const struct np_conn *c)
{
	__u64 now = bpf_ktime_get_ns();
	struct np_sock_event *e;

	if (!reader_present(now))
		return;
	e = bpf_ringbuf_reserve(&np_events, sizeof(*e), 0);
	if (!e) {
		struct np_tcp_totals *t = totals(c->netns);

		if (t)
			t->events_lost++;
		return;
	}
	e->hdr.type = type;
	e->hdr.size = sizeof(*e);
	e->hdr.netns = c->netns;
	e->hdr.ts_ns = now;
	e->cookie = cookie;
	e->oldstate = oldstate;
	__builtin_memset(e->pad, 0, sizeof(e->pad));
	__builtin_memcpy(&e->conn, c, sizeof(*c));
	bpf_ringbuf_submit(e, 0);
}

/* A state change of a connection: the table entry, made if need be. */
static __always_inline struct np_conn *conn_on_state(__u64 cookie, const struct sock *sk,
						     int oldstate, int newstate, __u64 now)
{
	struct np_conn *c;

	if (oldstate == TCP_CLOSE && newstate == TCP_SYN_SENT) {
		c = conn_new(cookie, sk, NP_CONN_ACTIVE, now);
		if (c)
			conn_set_task(c);
		return c;
	}
	if (oldstate == TCP_LISTEN && newstate == TCP_SYN_RECV)
		return conn_new(cookie, sk, NP_CONN_PASSIVE, now);
	c = bpf_map_lookup_elem(&np_conns, &cookie);
	if (!c)
		c = conn_new(cookie, sk, NP_CONN_MIDLIFE, 0);
	return c;
}

static __always_inline void count_state(__u32 netns, int oldstate, int newstate)
{
	struct np_tcp_totals *t = totals(netns);

	if (!t)
		return;
	if (oldstate == TCP_CLOSE && newstate == TCP_SYN_SENT)
		t->active_opens++;
	else if (oldstate == TCP_LISTEN && newstate == TCP_SYN_RECV)
		t->passive_opens++;
	else if (newstate == TCP_CLOSE)
		t->closed++;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(np_sock_state, const struct sock *sk, const int oldstate, const int newstate)
{
	__u64 cookie, now = bpf_ktime_get_ns();
	struct np_conn *c;

	if (!is_tcp(sk))
		return 0;
	/* Listening sockets are not connections. */
	if (newstate == TCP_LISTEN || (oldstate == TCP_LISTEN && newstate == TCP_CLOSE) ||
	    oldstate == newstate)
		return 0;
	cookie = bpf_get_socket_cookie((void *)sk);
	c = conn_on_state(cookie, sk, oldstate, newstate, now);
	count_state(sk_netns(sk), oldstate, newstate);
	if (!c)
		return 0;
	c->state = newstate;
	conn_tuple(c, sk);
	conn_counters(c, sk);
	if (oldstate == TCP_SYN_RECV && newstate == TCP_ESTABLISHED)
		/* The child now carries the SYN-ACK retransmissions of its
		 * request, already counted by np_tcp_synack. */
		c->retrans_counted = c->retransmits;
	conn_account_retrans(c);
	if (newstate == TCP_CLOSE) {
		c->closed_ns = now;
		emit(NP_EV_TCP_CLOSE, cookie, oldstate, c);
	} else if (newstate == TCP_ESTABLISHED && oldstate == TCP_SYN_SENT) {
		emit(NP_EV_TCP_CONNECT, cookie, oldstate, c);
	} else if (newstate == TCP_ESTABLISHED && oldstate == TCP_SYN_RECV) {
		emit(NP_EV_TCP_ACCEPT, cookie, oldstate, c);
	}
	return 0;
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(np_tcp_retransmit, const struct sock *sk, const struct sk_buff *skb, int err)
{
	__u64 cookie = bpf_get_socket_cookie((void *)sk);
	struct np_conn *c = bpf_map_lookup_elem(&np_conns, &cookie);

	if (!c)
		c = conn_new(cookie, sk, NP_CONN_MIDLIFE, 0);
	if (!c)
		return 0;
	/* total_retrans moves together with the RetransSegs MIB, before
	 * this tracepoint fires; a failed attempt moved neither. */
	conn_counters(c, sk);
	conn_account_retrans(c);
	return 0;
}

SEC("tp_btf/tcp_retransmit_synack")
int BPF_PROG(np_tcp_synack, const struct sock *sk, const struct request_sock *req)
{
	struct np_tcp_totals *t = totals(sk_netns(sk));

	/* Fires only for SYN-ACKs that went out, as RetransSegs counts them. */
	if (t)
		t->retrans_segs++;
	return 0;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(np_tcp_send_reset, const struct sock *sk, const struct sk_buff *skb)
{
	struct np_tcp_totals *t;
	struct np_conn *c;
	__u64 cookie;
	__u32 netns;

	if (!sk) {
		/* No socket (a closed port): the namespace of the device the
		 * offending segment came in on. */
		if (!skb)
			return 0;
		netns = BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
		t = totals(netns);
		if (t)
			t->resets_sent++;
		return 0;
	}
	t = totals(sk_netns(sk));
	if (t)
		t->resets_sent++;
	/* sk may be a time-wait or request socket: only sock_common is read,
	 * and the cookie of a time-wait socket is the connection's. */
	cookie = bpf_get_socket_cookie((void *)sk);
	c = bpf_map_lookup_elem(&np_conns, &cookie);
	if (c) {
		c->resets_sent++;
		conn_tuple(c, sk);
	}
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(np_tcp_receive_reset, struct sock *sk)
{
	struct np_tcp_totals *t = totals(sk_netns(sk));
	__u64 cookie = bpf_get_socket_cookie(sk);
	struct np_conn *c;

	if (t)
		t->resets_received++;
	c = bpf_map_lookup_elem(&np_conns, &cookie);
	if (c) {
		c->resets_received++;
		/* A refused connect: the last moment its local port is known. */
		conn_tuple(c, sk);
	}
	return 0;
}

static __always_inline bool in_kthread(void)
{
	struct task_struct *task = bpf_get_current_task_btf();

	return task->flags & PF_KTHREAD;
}

/* Send or receive by a process: refresh the counters and, for an accepted
 * connection, learn its owner. */
/*
 * Send or receive by a process: learn the owner of an accepted connection
 * and refresh the counters of open ones. This runs for every send and
 * receive of the host, so it reads sk directly (a trusted tp_btf pointer).
 * A failed call still tells who uses the socket.
 */
static __always_inline void on_io(struct sock *sk)
{
	struct np_conn *c;
	__u64 cookie;
	__u8 state;

	if (!sk || sk->sk_protocol != IPPROTO_TCP || sk->sk_type != 1 /* SOCK_STREAM */)
		return;
	state = sk->__sk_common.skc_state;
	if (state == TCP_LISTEN || state == TCP_CLOSE)
		return;
	cookie = bpf_get_socket_cookie(sk);
	c = bpf_map_lookup_elem(&np_conns, &cookie);
	if (!c) {
		c = conn_new(cookie, sk, NP_CONN_MIDLIFE, 0);
		if (!c)
			return;
	}
	if (!c->pid && !in_kthread()) {
		conn_set_task(c);
		c->flags |= NP_CONN_PID_IO;
	}
	if (!c->sport)
		conn_tuple(c, sk);
	conn_counters(c, sk);
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(np_sock_send, struct sock *sk)
{
	on_io(sk);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(np_sock_recv, struct sock *sk)
{
	on_io(sk);
	return 0;
}
