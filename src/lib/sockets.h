/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TCP connections as `show sockets` and `watch sockets` print them, on the
 * model (model.h): one record, one filter list, one row writer for both.
 */
#ifndef NP_SOCKETS_H
#define NP_SOCKETS_H

#include <stdbool.h>
#include "model.h"
#include "np.h"
#include "out.h"
#include "../../bpf/netprobe.h"

/* The probe that feeds np_conns, np_tcp_totals and np_events. */
#define NP_SOCKET_PROBE "socket"

enum np_sock_col {
	NP_SC_TIME, NP_SC_EVENT, NP_SC_PID, NP_SC_COMM, NP_SC_NETNS, NP_SC_NETNS_NAME, NP_SC_POD,
	NP_SC_STATE,
	NP_SC_SRC, NP_SC_SPORT, NP_SC_DST, NP_SC_DPORT, NP_SC_SENT, NP_SC_RECV,
	NP_SC_SRTT, NP_SC_RETRANS, NP_SC_DURATION, NP_SC_OPENED, NP_SC_CLOSED,
	NP_SC_FAMILY, NP_SC_DIRECTION, NP_SC_PID_SOURCE, NP_SC_RST_SENT, NP_SC_RST_RECV,
	NP_SC_FROM_STATE, NP_SC_COOKIE, NP_SC_MAX,
};

/* Columns with the time and event columns shown (watch) or hidden (show). */
const struct np_col *np_sock_cols(bool events);

/*
 * A connection as the model sees it: an np_conns entry (show) or the one
 * an event carries (watch), and what sorting needs. Zeroed before it is
 * filled (the model compares whole records to break ties).
 */
struct np_sock_rec {
	__u64 cookie;
	struct np_conn conn;
	__u64 duration_ns;	/* closed (or now) - opened; 0 while opened is unknown */
	__u64 event_ns;		/* watch: when the event happened; show: 0 */
	__u16 event;		/* watch: NP_EV_TCP_*; show: 0 */
	__u8 from_state;	/* watch: the state before the event */
};

/* show sockets: the filters, sort keys and top N; "[totals]" leads. */
extern const struct np_table np_sockets_table;
/* watch sockets: the same filters, and count N. */
extern const struct np_table np_sockets_watch_table;

/* rec from a connection; now (bpf_ktime_get_ns time) ends open ones' duration. */
void np_sock_rec_init(struct np_sock_rec *rec, __u64 cookie, const struct np_conn *c,
		      __u64 now);

/* "established", "syn-sent", ... as ss(8) spells them; "closed" for CLOSE. */
const char *np_tcp_state_name(unsigned int state);

/*
 * Emits one connection of q as a row (out_row_begin..out_row_end), with
 * the time and event fields when rec->event is set. mono2real converts
 * bpf_ktime_get_ns stamps.
 */
void np_sock_row(struct np_query *q, const struct np_sock_rec *rec, __u64 mono2real);

/* Plain text: SRC, DST and NETNS as wide as the widest of q's kept rows. */
void np_sock_fit_columns(struct np_query *q, struct np_col *cols);

/* The socket probe's TCP totals of one network namespace. */
struct np_tcp_netns {
	__u32 netns;
	struct np_tcp_totals tot;
};

/* show sockets totals: filters netns NS. */
extern const struct np_table np_tcp_totals_table;

/*
 * Every namespace's totals, summed over CPUs and sorted by namespace, or
 * none when the socket probe is not attached. Free *out.
 */
int np_tcp_totals_list(struct np_ctx *ctx, struct np_tcp_netns **out, int *n);
/*
 * The totals that pass q (a query on np_tcp_totals_table) as a list of
 * per-namespace objects (plain table, JSON array); key names the list
 * inside an open object, NULL at top level.
 */
void np_tcp_totals_show(struct np_query *q, const char *key, const struct np_tcp_netns *t,
			int n);
/* np_tcp_totals_show of every namespace. */
void np_tcp_totals_print(struct np_ctx *ctx, const char *key, const struct np_tcp_netns *t,
			 int n);

#endif /* NP_SOCKETS_H */
