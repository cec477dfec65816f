/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TCP connections as `show sockets` and `watch sockets` print them: one
 * set of columns, one filter grammar, one row writer for both.
 */
#ifndef NP_SOCKETS_H
#define NP_SOCKETS_H

#include <stdbool.h>
#include "np.h"
#include "out.h"
#include "../../bpf/netprobe.h"

/* The probe that feeds np_conns, np_tcp_totals and np_events. */
#define NP_SOCKET_PROBE "socket"

enum np_sock_col {
	NP_SC_TIME, NP_SC_EVENT, NP_SC_PID, NP_SC_COMM, NP_SC_NETNS, NP_SC_NETNS_NAME, NP_SC_STATE,
	NP_SC_SRC, NP_SC_SPORT, NP_SC_DST, NP_SC_DPORT, NP_SC_SENT, NP_SC_RECV,
	NP_SC_SRTT, NP_SC_RETRANS, NP_SC_DURATION, NP_SC_OPENED, NP_SC_CLOSED,
	NP_SC_FAMILY, NP_SC_DIRECTION, NP_SC_PID_SOURCE, NP_SC_RST_SENT, NP_SC_RST_RECV,
	NP_SC_FROM_STATE, NP_SC_COOKIE, NP_SC_MAX,
};

/* Columns with the time and event columns shown (watch) or hidden (show). */
const struct np_col *np_sock_cols(bool events);

/* Filter keywords shared by show and watch; unset fields match anything. */
struct np_sock_filter {
	int state;		/* TCP state, -1 any, NP_SOCK_STATE_OPEN any but closed */
	const char *comm;
	__u64 pid;
	__u64 netns;
	__u64 port;
	bool has_pid, has_netns, has_port;
};

#define NP_SOCK_STATE_OPEN 100
#define NP_SOCK_FILTER_ARGS "[state S] [comm C] [pid N] [netns NS] [port N]"

void np_sock_filter_init(struct np_sock_filter *f);
/*
 * Parses argv: the filter keywords, and the caller's own keywords extra[]
 * (NULL-terminated, or NULL), each taking a number >= 1 into extra_val[].
 * Returns 0 or NP_EXIT_USAGE after reporting.
 */
int np_sock_args(struct np_ctx *ctx, const char *what, int argc, char **argv,
		 struct np_sock_filter *f, const char *const *extra, __u64 *extra_val);
bool np_sock_filter_match(const struct np_sock_filter *f, const struct np_conn *c);

/* "established", "syn-sent", ... as ss(8) spells them; "closed" for CLOSE. */
const char *np_tcp_state_name(unsigned int state);

/*
 * Emits one connection as a row (out_row_begin..out_row_end). mono2real
 * converts bpf_ktime_get_ns stamps; mono_now ends the duration of open
 * connections. event is NULL for show, the event name for watch.
 */
void np_sock_row(struct np_out *o, __u64 cookie, const struct np_conn *c, __u64 mono2real,
		 __u64 mono_now, const char *event, int from_state, __u64 event_ns);

/* The socket probe's TCP totals of one network namespace. */
struct np_tcp_netns {
	__u32 netns;
	struct np_tcp_totals tot;
};

/*
 * Every namespace's totals, summed over CPUs and sorted by namespace, or
 * none when the socket probe is not attached. Free *out.
 */
int np_tcp_totals_list(struct np_ctx *ctx, struct np_tcp_netns **out, int *n);
/*
 * The totals as a list of per-namespace objects (plain table, JSON array);
 * key names the list inside an open object, NULL at top level.
 */
void np_tcp_totals_print(struct np_ctx *ctx, const char *key, const struct np_tcp_netns *t,
			 int n);

#endif /* NP_SOCKETS_H */
