// SPDX-License-Identifier: GPL-2.0
/* TCP connections on the model: the record, filters and row of show and watch sockets. */
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
	/* The pod whose network namespace it is (plain text: when this node has pods). */
	[NP_SC_POD] = { "pod", NULL, 0, NP_K_STR },
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

/* state S: a state by name, or "open" for any state but closed. */
#define STATE_OPEN 0x100

static int state_parse(struct np_ctx *ctx, const char *what, const char *v,
		       struct np_filter_val *val)
{
	const char *words[ARRAY_SIZE(state_names) + 2];
	int n = 0, k;

	(void)what;
	for (size_t i = 1; i < ARRAY_SIZE(state_names); i++)
		words[n++] = state_names[i];
	words[n++] = "open";
	words[n] = NULL;
	k = np_kw(ctx, v, words, "state");
	if (k < 0)
		return NP_EXIT_USAGE;
	val->u = !strcmp(words[k], "open") ? STATE_OPEN : (unsigned)k + 1;
	return 0;
}

static bool state_match(const void *rec, const struct np_filter_val *val)
{
	const struct np_sock_rec *r = rec;

	if (val->u == STATE_OPEN)
		return r->conn.state != TCP_STATE_CLOSE;
	return r->conn.state == val->u;
}

#define R(m) NP_FIELD(struct np_sock_rec, m)

/* The filters of show and watch: one list, so that they mean the same. */
#define SOCK_FILTERS \
	{ "state", NP_M_CUSTOM, .meta = "S", .parse = state_parse, .match = state_match }, \
	{ "comm", NP_M_STR, R(conn.comm), .meta = "C" }, \
	{ "pid", NP_M_UINT, R(conn.pid), .min = 1, .max = 0xffffffffu }, \
	{ "netns", NP_M_NETNS, R(conn.netns), .meta = "NS" }, \
	{ "src", NP_M_CIDR, R(conn.saddr), .meta = "CIDR" }, \
	{ "dst", NP_M_CIDR, R(conn.daddr), .meta = "CIDR" }, \
	{ "port", NP_M_PORT, R(conn.sport), R(conn.dport), .meta = "N" }, \
	{ "sport", NP_M_UINT, R(conn.sport), .max = 65535 }, \
	{ "dport", NP_M_UINT, R(conn.dport), .max = 65535 }

static const struct np_filter_def show_filters[] = {
	SOCK_FILTERS,
	{ 0 },
};

static const struct np_filter_def watch_filters[] = {
	SOCK_FILTERS,
	{ "count", NP_M_OPT, .min = 1, .max = 1ull << 40 },
	{ 0 },
};

/* Numbers of the row, biggest first: the JSON key, or its stem. */
static const struct np_sort_def sock_sorts[] = {
	{ "bytes_sent", R(conn.bytes_sent) },
	{ "bytes_received", R(conn.bytes_received) },
	{ "retransmits", R(conn.retransmits) },
	{ "srtt", R(conn.srtt_us) },
	{ "duration", R(duration_ns) },
	{ "opened", R(conn.opened_ns) },
	{ 0 },
};

const struct np_table np_sockets_table = {
	.what = "show sockets",
	.rec_size = sizeof(struct np_sock_rec),
	.filters = show_filters,
	.sorts = sock_sorts,
	.top = true,
	.lead = "[totals]",
	.netns = R(conn.netns),
};

const struct np_table np_sockets_watch_table = {
	.what = "watch sockets",
	.rec_size = sizeof(struct np_sock_rec),
	.filters = watch_filters,
	.netns = R(conn.netns),
};

#undef R

void np_sock_rec_init(struct np_sock_rec *rec, __u64 cookie, const struct np_conn *c,
		      __u64 now)
{
	__u64 end = c->closed_ns ? c->closed_ns : now;

	memset(rec, 0, sizeof(*rec));
	rec->cookie = cookie;
	rec->conn = *c;
	if (c->opened_ns && end > c->opened_ns)
		rec->duration_ns = end - c->opened_ns;
}

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

/* netns, and netns_name where it has one (plain text: the number instead). */
static void row_netns(struct np_query *q, const struct np_sock_rec *rec)
{
	struct np_out *o = q->ctx->out;

	np_out_netns(o, NP_SC_NETNS, NP_SC_NETNS_NAME, rec->conn.netns,
		     np_query_names(q, rec)->netns);
	if (q->k8s)
		np_out_pod(o, NP_SC_POD, np_query_names(q, rec)->pod);
}

static void row_times(struct np_out *o, const struct np_sock_rec *rec, __u64 mono2real)
{
	const struct np_conn *c = &rec->conn;

	if (c->opened_ns) {
		out_u64(o, NP_SC_OPENED, c->opened_ns + mono2real);
		out_u64(o, NP_SC_DURATION, rec->duration_ns);
	} else {
		out_null(o, NP_SC_OPENED);
		out_null(o, NP_SC_DURATION);
	}
	if (c->closed_ns)
		out_u64(o, NP_SC_CLOSED, c->closed_ns + mono2real);
	else
		out_null(o, NP_SC_CLOSED);
}

static const char *event_name(__u16 type)
{
	switch (type) {
	case NP_EV_TCP_CONNECT:
		return "connect";
	case NP_EV_TCP_ACCEPT:
		return "accept";
	case NP_EV_TCP_CLOSE:
		return "close";
	default:
		return NULL;
	}
}

void np_sock_row(struct np_query *q, const struct np_sock_rec *rec, __u64 mono2real)
{
	const struct np_conn *c = &rec->conn;
	const char *dir = direction(c), *event = event_name(rec->event);
	struct np_out *o = q->ctx->out;
	char addr[INET6_ADDRSTRLEN];

	out_row_begin(o);
	if (event) {
		out_u64(o, NP_SC_TIME, rec->event_ns + mono2real);
		out_str(o, NP_SC_EVENT, event);
		out_str(o, NP_SC_FROM_STATE, np_tcp_state_name(rec->from_state));
	}
	row_owner(o, c);
	row_netns(q, rec);
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
	row_times(o, rec, mono2real);
	out_str(o, NP_SC_FAMILY, c->family == AF_INET6 ? "ipv6" : "ipv4");
	if (dir)
		out_str(o, NP_SC_DIRECTION, dir);
	else
		out_null(o, NP_SC_DIRECTION);
	out_u64(o, NP_SC_RST_SENT, c->resets_sent);
	out_u64(o, NP_SC_RST_RECV, c->resets_received);
	out_u64(o, NP_SC_COOKIE, rec->cookie);
	out_row_end(o);
}

void np_sock_fit_columns(struct np_query *q, struct np_col *cols)
{
	int w = 7, wns = cols[NP_SC_NETNS_NAME].width, wpod = 3;
	bool pods = false;

	for (size_t i = 0; i < np_query_rows(q); i++) {
		const struct np_sock_rec *r = np_query_row(q, i);
		const char *ns = np_query_names(q, r)->netns;
		char a[INET6_ADDRSTRLEN];
		int len;

		np_addr_str(r->conn.saddr, a, sizeof(a));
		len = strlen(a);
		np_addr_str(r->conn.daddr, a, sizeof(a));
		len = len > (int)strlen(a) ? len : (int)strlen(a);
		w = len > w ? len : w;
		len = ns ? (int)strlen(ns) : 10;	/* else the inode: 10 digits at most */
		wns = len > wns ? len : wns;
		if (q->k8s && np_query_names(q, r)->pod) {
			const struct np_k8s_pod *p = np_query_names(q, r)->pod;

			pods = true;
			len = strlen(p->namespace) + 1 + strlen(p->name);
			wpod = len > wpod ? len : wpod;
		}
	}
	if (pods) {
		cols[NP_SC_POD].header = "POD";
		cols[NP_SC_POD].width = -wpod;
	}
	cols[NP_SC_SRC].width = -w;
	cols[NP_SC_DST].width = -w;
	cols[NP_SC_NETNS_NAME].width = wns;
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

#define T(m) NP_FIELD(struct np_tcp_netns, m)

static const struct np_filter_def totals_filters[] = {
	{ "netns", NP_M_NETNS, T(netns), .meta = "NS" },
	{ 0 },
};

const struct np_table np_tcp_totals_table = {
	.what = "show sockets totals",
	.rec_size = sizeof(struct np_tcp_netns),
	.filters = totals_filters,
	.netns = T(netns),
};

#undef T

static void totals_row(struct np_query *q, const void *rec, void *arg)
{
	const struct np_tcp_netns *t = rec;
	const char *name = np_query_names(q, rec)->netns;
	struct np_out *o = q->ctx->out;
	char num[16];

	(void)arg;
	out_row_begin(o);
	out_u64(o, T_NETNS, t->netns);
	if (name) {
		out_str(o, T_NETNS_NAME, name);
	} else if (out_format(o) == NP_FMT_PLAIN) {
		snprintf(num, sizeof(num), "%u", t->netns);
		out_str(o, T_NETNS_NAME, num);
	}
	out_u64(o, T_OPENED, t->tot.active_opens);
	out_u64(o, T_ACCEPTED, t->tot.passive_opens);
	out_u64(o, T_CLOSED, t->tot.closed);
	out_u64(o, T_RETRANS, t->tot.retrans_segs);
	out_u64(o, T_RST_SENT, t->tot.resets_sent);
	out_u64(o, T_RST_RECV, t->tot.resets_received);
	out_u64(o, T_LOST, t->tot.events_lost);
	out_row_end(o);
}

void np_tcp_totals_show(struct np_query *q, const char *key, const struct np_tcp_netns *t,
			int n)
{
	struct np_out *o = q->ctx->out;

	out_table_begin(o, key, totals_cols, ARRAY_SIZE(totals_cols), NP_LAYOUT_TABLE);
	np_query_start(q, totals_row, NULL);
	for (int i = 0; i < n; i++)
		if (np_query_add(q, &t[i]))
			break;	/* the output is gone */
	np_query_end(q);
	out_table_end(o);
}

void np_tcp_totals_print(struct np_ctx *ctx, const char *key, const struct np_tcp_netns *t,
			 int n)
{
	struct np_query q;

	np_query_parse(&q, ctx, &np_tcp_totals_table, 0, NULL);
	np_tcp_totals_show(&q, key, t, n);
	np_query_free(&q);
}
