// SPDX-License-Identifier: GPL-2.0
/* TCP connection rows and filters shared by show and watch sockets. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "cmd.h"
#include "maps.h"
#include "inet.h"
#include "netns.h"
#include "sockets.h"
#include "state.h"

static const char *const state_names[] = {
	[0] = "unknown",	[1] = "established", [2] = "syn-sent",   [3] = "syn-recv",
	[4] = "fin-wait-1",	[5] = "fin-wait-2",  [6] = "time-wait",  [7] = "closed",
	[8] = "close-wait",	[9] = "last-ack",    [10] = "listen",    [11] = "closing",
	[12] = "new-syn-recv",	[13] = "bound-inactive",
};

#define TCP_STATE_CLOSE 7

const char *np_tcp_state_name(unsigned int state)
{
	return state < ARRAY_SIZE(state_names) ? state_names[state] : "unknown";
}

static const struct np_col all_cols[NP_SC_MAX] = {
	[NP_SC_TIME] = { "time", "TIME", -19, NP_K_TIME },
	[NP_SC_EVENT] = { "event", "EVENT", -7, NP_K_STR },
	[NP_SC_PID] = { "pid", "PID", 7, NP_K_U64 },
	[NP_SC_COMM] = { "comm", "COMM", -15, NP_K_STR },
	[NP_SC_NETNS] = { "netns", NULL, 0, NP_K_U64 },
	[NP_SC_NETNS_NAME] = { "netns_name", "NETNS", 12, NP_K_STR },
	[NP_SC_STATE] = { "state", "STATE", -11, NP_K_STR },
	[NP_SC_SRC] = { "src", "SRC", -15, NP_K_STR },
	[NP_SC_SPORT] = { "sport", "SPORT", 5, NP_K_U64 },
	[NP_SC_DST] = { "dst", "DST", -15, NP_K_STR },
	[NP_SC_DPORT] = { "dport", "DPORT", 5, NP_K_U64 },
	[NP_SC_SENT] = { "bytes_sent", "SENT", 9, NP_K_BYTES },
	[NP_SC_RECV] = { "bytes_received", "RECEIVED", 9, NP_K_BYTES },
	[NP_SC_SRTT] = { "srtt_us", "SRTT(us)", 8, NP_K_U64 },
	[NP_SC_RETRANS] = { "retransmits", "RETRANS", 7, NP_K_COUNT },
	[NP_SC_DURATION] = { "duration_ns", "DURATION", -8, NP_K_DURATION },
	[NP_SC_OPENED] = { "opened", NULL, 0, NP_K_TIME },
	[NP_SC_CLOSED] = { "closed", NULL, 0, NP_K_TIME },
	[NP_SC_FAMILY] = { "family", NULL, 0, NP_K_STR },
	[NP_SC_DIRECTION] = { "direction", NULL, 0, NP_K_STR },
	[NP_SC_PID_SOURCE] = { "pid_source", NULL, 0, NP_K_STR },
	[NP_SC_RST_SENT] = { "resets_sent", NULL, 0, NP_K_COUNT },
	[NP_SC_RST_RECV] = { "resets_received", NULL, 0, NP_K_COUNT },
	[NP_SC_FROM_STATE] = { "from_state", NULL, 0, NP_K_STR },
	[NP_SC_COOKIE] = { "cookie", NULL, 0, NP_K_U64 },
};

const struct np_col *np_sock_cols(bool events)
{
	static struct np_col show[NP_SC_MAX];

	if (events)
		return all_cols;
	if (!show[NP_SC_PID].key) {
		memcpy(show, all_cols, sizeof(show));
		show[NP_SC_TIME].header = NULL;
		show[NP_SC_EVENT].header = NULL;
	}
	return show;
}

void np_sock_filter_init(struct np_sock_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->state = -1;
}

static int parse_state(struct np_ctx *ctx, const char *v, int *state)
{
	const char *words[ARRAY_SIZE(state_names) + 2];
	int n = 0, k;

	for (size_t i = 1; i < ARRAY_SIZE(state_names); i++)
		words[n++] = state_names[i];
	words[n++] = "open";
	words[n] = NULL;
	k = np_kw(ctx, v, words, "state");
	if (k < 0)
		return NP_EXIT_USAGE;
	*state = !strcmp(words[k], "open") ? NP_SOCK_STATE_OPEN : k + 1;
	return 0;
}

static int filter_value(struct np_ctx *ctx, int k, const char *v, struct np_sock_filter *f)
{
	switch (k) {
	case 0:
		return parse_state(ctx, v, &f->state);
	case 1:
		f->comm = v;
		return 0;
	case 2:
		f->has_pid = true;
		return np_arg_u64(ctx, "pid", v, 1, 0xffffffffu, &f->pid);
	case 3: {
		__u32 ns;
		int err = np_arg_netns(ctx, "netns", v, &ns);

		f->has_netns = true;
		f->netns = ns;
		return err;
	}
	default:
		f->has_port = true;
		return np_arg_u64(ctx, "port", v, 1, 65535, &f->port);
	}
}

int np_sock_args(struct np_ctx *ctx, const char *what, int argc, char **argv,
		 struct np_sock_filter *f, const char *const *extra, __u64 *extra_val)
{
	const char *words[16] = { "state", "comm", "pid", "netns", "port" };
	int nfilter = 5, n = nfilter;
	__u64 seen = 0;

	np_sock_filter_init(f);
	for (int j = 0; extra && extra[j] && n < (int)ARRAY_SIZE(words) - 1; j++)
		words[n++] = extra[j];
	words[n] = NULL;
	for (int i = 0; i < argc; i++) {
		const char *v;
		int k = np_kw_once(ctx, argv[i], words, what, &seen), err;

		if (k < 0)
			return NP_EXIT_USAGE;
		if ((err = np_arg_next(ctx, what, argc, argv, &i, &v)))
			return err;
		if (k < nfilter)
			err = filter_value(ctx, k, v, f);
		else
			err = np_arg_u64(ctx, words[k], v, 1, 1ull << 40, &extra_val[k - nfilter]);
		if (err)
			return err;
	}
	return 0;
}

bool np_sock_filter_match(const struct np_sock_filter *f, const struct np_conn *c)
{
	char comm[NP_COMM_LEN + 1];

	if (f->state == NP_SOCK_STATE_OPEN && c->state == TCP_STATE_CLOSE)
		return false;
	if (f->state >= 0 && f->state != NP_SOCK_STATE_OPEN && f->state != c->state)
		return false;
	if (f->has_pid && f->pid != c->pid)
		return false;
	if (f->has_netns && f->netns != c->netns)
		return false;
	if (f->has_port && f->port != c->sport && f->port != c->dport)
		return false;
	if (f->comm) {
		memcpy(comm, c->comm, NP_COMM_LEN);
		comm[NP_COMM_LEN] = '\0';
		if (strcmp(f->comm, comm))
			return false;
	}
	return true;
}

/* IPv4 (stored v4-mapped) as a.b.c.d, everything else as IPv6. */
static const char *direction(const struct np_conn *c)
{
	if (c->flags & NP_CONN_ACTIVE)
		return "outgoing";
	if (c->flags & NP_CONN_PASSIVE)
		return "incoming";
	return NULL;
}

static void row_owner(struct np_out *o, const struct np_conn *c)
{
	char comm[NP_COMM_LEN + 1];

	if (!c->pid) {
		out_null(o, NP_SC_PID);
		out_null(o, NP_SC_COMM);
		out_null(o, NP_SC_PID_SOURCE);
		return;
	}
	memcpy(comm, c->comm, NP_COMM_LEN);
	comm[NP_COMM_LEN] = '\0';
	out_u64(o, NP_SC_PID, c->pid);
	out_str(o, NP_SC_COMM, comm);
	out_str(o, NP_SC_PID_SOURCE, c->flags & NP_CONN_PID_IO ? "io" : "connect");
}

static void row_times(struct np_out *o, const struct np_conn *c, __u64 mono2real,
		      __u64 mono_now)
{
	__u64 end = c->closed_ns ? c->closed_ns : mono_now;

	if (c->opened_ns) {
		out_u64(o, NP_SC_OPENED, c->opened_ns + mono2real);
		out_u64(o, NP_SC_DURATION, end > c->opened_ns ? end - c->opened_ns : 0);
	} else {
		out_null(o, NP_SC_OPENED);
		out_null(o, NP_SC_DURATION);
	}
	if (c->closed_ns)
		out_u64(o, NP_SC_CLOSED, c->closed_ns + mono2real);
	else
		out_null(o, NP_SC_CLOSED);
}

void np_sock_row(struct np_out *o, __u64 cookie, const struct np_conn *c, __u64 mono2real,
		 __u64 mono_now, const char *event, int from_state, __u64 event_ns)
{
	const char *dir = direction(c);
	char addr[INET6_ADDRSTRLEN];

	out_row_begin(o);
	if (event) {
		out_u64(o, NP_SC_TIME, event_ns + mono2real);
		out_str(o, NP_SC_EVENT, event);
		out_str(o, NP_SC_FROM_STATE, np_tcp_state_name(from_state));
	}
	row_owner(o, c);
	np_out_netns(o, NP_SC_NETNS, NP_SC_NETNS_NAME, c->netns);
	out_str(o, NP_SC_STATE, np_tcp_state_name(c->state));
	np_addr_str(c->saddr, addr, sizeof(addr));
	out_str(o, NP_SC_SRC, addr);
	out_u64(o, NP_SC_SPORT, c->sport);
	np_addr_str(c->daddr, addr, sizeof(addr));
	out_str(o, NP_SC_DST, addr);
	out_u64(o, NP_SC_DPORT, c->dport);
	out_u64(o, NP_SC_SENT, c->bytes_sent);
	out_u64(o, NP_SC_RECV, c->bytes_received);
	out_u64(o, NP_SC_SRTT, c->srtt_us);
	out_u64(o, NP_SC_RETRANS, c->retransmits);
	row_times(o, c, mono2real, mono_now);
	out_str(o, NP_SC_FAMILY, c->family == AF_INET6 ? "ipv6" : "ipv4");
	if (dir)
		out_str(o, NP_SC_DIRECTION, dir);
	else
		out_null(o, NP_SC_DIRECTION);
	out_u64(o, NP_SC_RST_SENT, c->resets_sent);
	out_u64(o, NP_SC_RST_RECV, c->resets_received);
	out_u64(o, NP_SC_COOKIE, cookie);
	out_row_end(o);
}

static int by_netns(const void *a, const void *b)
{
	const struct np_tcp_netns *x = a, *y = b;

	return x->netns < y->netns ? -1 : x->netns > y->netns;
}

int np_tcp_totals_list(struct np_ctx *ctx, struct np_tcp_netns **out, int *n)
{
	struct np_tcp_netns *v = NULL;
	__u32 key, next, *prev = NULL;
	int fd, cnt = 0;

	*out = NULL;
	*n = 0;
	if (!np_pin_exists(ctx, "links/" NP_SOCKET_PROBE))
		return 0;
	fd = np_map_open(ctx, "np_tcp_totals");
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct np_tcp_netns *nv = realloc(v, (cnt + 1) * sizeof(*v));

		if (!nv)
			break;
		v = nv;
		v[cnt].netns = next;
		/* An entry evicted between the two calls is skipped. */
		if (!np_percpu_sum(fd, &next, (__u64 *)&v[cnt].tot,
				   sizeof(v[cnt].tot) / sizeof(__u64)))
			cnt++;
		key = next;
		prev = &key;
	}
	close(fd);
	if (cnt)
		np_sort(v, cnt, sizeof(*v), by_netns);
	*out = v;
	*n = cnt;
	return 0;
}

enum { T_NETNS, T_NETNS_NAME, T_OPENED, T_ACCEPTED, T_CLOSED, T_RETRANS, T_RST_SENT, T_RST_RECV, T_LOST };

static const struct np_col totals_cols[] = {
	[T_NETNS] = { "netns", NULL, 0, NP_K_U64 },
	[T_NETNS_NAME] = { "netns_name", "NETNS", 12, NP_K_STR },
	[T_OPENED] = { "connections_opened", "OPENED", 10, NP_K_COUNT },
	[T_ACCEPTED] = { "connections_accepted", "ACCEPTED", 10, NP_K_COUNT },
	[T_CLOSED] = { "connections_closed", "CLOSED", 10, NP_K_COUNT },
	[T_RETRANS] = { "retransmits", "RETRANS", 10, NP_K_COUNT },
	[T_RST_SENT] = { "resets_sent", "RST SENT", 10, NP_K_COUNT },
	[T_RST_RECV] = { "resets_received", "RST RECV", 10, NP_K_COUNT },
	[T_LOST] = { "events_lost", NULL, 0, NP_K_COUNT },
};

void np_tcp_totals_print(struct np_ctx *ctx, const char *key, const struct np_tcp_netns *t,
			 int n)
{
	struct np_out *o = ctx->out;

	out_table_begin(o, key, totals_cols, ARRAY_SIZE(totals_cols), NP_LAYOUT_TABLE);
	for (int i = 0; i < n && !out_broken(o); i++) {
		out_row_begin(o);
		np_out_netns(o, T_NETNS, T_NETNS_NAME, t[i].netns);
		out_u64(o, T_OPENED, t[i].tot.active_opens);
		out_u64(o, T_ACCEPTED, t[i].tot.passive_opens);
		out_u64(o, T_CLOSED, t[i].tot.closed);
		out_u64(o, T_RETRANS, t[i].tot.retrans_segs);
		out_u64(o, T_RST_SENT, t[i].tot.resets_sent);
		out_u64(o, T_RST_RECV, t[i].tot.resets_received);
		out_u64(o, T_LOST, t[i].tot.events_lost);
		out_row_end(o);
	}
	out_table_end(o);
}
