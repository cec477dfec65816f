// SPDX-License-Identifier: GPL-2.0
/*
 * netprobe show sockets [state S] [comm C] [pid N] [netns NS] [src CIDR]
 *                       [dst CIDR] [port N] [sport N] [dport N]
 *                       [sort bytes_sent|bytes_received|retransmits|srtt|duration|opened]
 *                       [top N]
 * netprobe show sockets totals [netns NS]
 *
 * Active and recently closed TCP connections from the pinned np_conns LRU
 * (the socket probe) through the model (lib/model.h): oldest first, or
 * biggest first by the sort key; `top N` alone keeps the N newest. Closed
 * connections stay listed until the table evicts them. The table holds at
 * most 65536 connections, so the rows are always kept for ordering.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/cmd.h"
#include "lib/maps.h"
#include "lib/model.h"
#include "lib/out.h"
#include "lib/sockets.h"
#include "lib/state.h"

const char *np_show_sockets_synopsis(void)
{
	static char buf[320];

	return buf[0] ? buf : np_table_synopsis(&np_sockets_table, buf, sizeof(buf));
}

#define HELP_DETAIL \
	"  state S   established, syn-sent, syn-recv, fin-wait-1, fin-wait-2, time-wait,\n" \
	"            closed, close-wait, last-ack, listen, closing, or open (not closed)\n" \
	"  src, dst  the local and the remote end; port N: either port\n" \
	"  sort      biggest first; without sort the oldest connection comes first,\n" \
	"            top N alone keeps the N newest (sort opened)\n" \
	"  totals [netns NS]: TCP totals per network namespace\n"

struct show {
	struct np_ctx *ctx;
	struct np_query q;
	__u64 now;		/* bpf_ktime_get_ns time: the end of open connections */
};

static __u64 mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* np_map_walk callback: one entry of np_conns into the query. */
static int on_conn(const void *key, const void *value, void *arg)
{
	struct show *s = arg;
	struct np_sock_rec rec;

	np_sock_rec_init(&rec, *(const __u64 *)key, value, s->now);
	return np_query_add(&s->q, &rec);
}

#define NOT_ATTACHED "the socket probe is not attached; run 'netprobe attach socket'"

/* The state, with the socket probe in it: 0, or an exit code reported. */
static int open_probe(struct np_ctx *ctx, const char *map)
{
	char pin[64];
	int err = np_state_open(ctx, NP_ST_MAY_BE_EMPTY);

	if (err == NP_STATE_EMPTY)
		return np_err(ctx, NOT_ATTACHED);
	if (err)
		return err;
	snprintf(pin, sizeof(pin), "maps/%s", map);
	if (!np_pin_exists(ctx, "links/" NP_SOCKET_PROBE) || !np_pin_exists(ctx, pin))
		return np_err(ctx, NOT_ATTACHED);
	return 0;
}

/* show sockets totals [netns NS]: the TCP totals of each network namespace. */
static int show_totals(struct np_ctx *ctx, int argc, char **argv)
{
	struct np_tcp_netns *t;
	struct np_query q;
	int n, err;

	if (argc && np_is_help(argv[0]))
		return np_cmd_help_self(ctx, HELP_DETAIL);
	err = np_query_parse(&q, ctx, &np_tcp_totals_table, argc, argv);
	if (!err)
		err = open_probe(ctx, "np_tcp_totals");
	if (!err && (err = np_tcp_totals_list(ctx, &t, &n)))
		err = np_err(ctx, "cannot read the TCP totals: %s", strerror(-err));
	if (!err) {
		np_tcp_totals_show(&q, NULL, t, n);
		free(t);
	}
	np_query_free(&q);
	return err;
}

static void print_rows(struct show *s, bool oldest_first)
{
	struct np_out *o = s->ctx->out;
	size_t n = np_query_rows(&s->q);
	__u64 off = np_mono_to_real_offset();
	struct np_col cols[NP_SC_MAX];

	memcpy(cols, np_sock_cols(false), sizeof(cols));
	np_sock_fit_columns(&s->q, cols);
	out_table_begin(o, NULL, cols, NP_SC_MAX, NP_LAYOUT_TABLE);
	for (size_t i = 0; i < n && !out_broken(o); i++)
		np_sock_row(&s->q, np_query_row(&s->q, oldest_first ? n - 1 - i : i), off);
	out_table_end(o);
}

int cmd_show_sockets(struct np_ctx *ctx, int argc, char **argv)
{
	struct show s = { .ctx = ctx };
	bool oldest_first;
	int fd, err;

	if (argc && np_is_help(argv[0]))
		return np_cmd_help_self(ctx, HELP_DETAIL);
	if (argc && !strcmp(argv[0], "totals"))
		return show_totals(ctx, argc - 1, argv + 1);
	/* Usage errors first: a bad keyword is that, attached or not. */
	err = np_query_parse(&s.q, ctx, &np_sockets_table, argc, argv);
	if (err || (err = open_probe(ctx, "np_conns")))
		goto out;
	/* The POD a connection's network namespace belongs to. */
	np_query_k8s(&s.q, ctx->host_root, NP_K8S_PODS);
	/* Oldest first is newest first (sort opened) read backwards. */
	oldest_first = !s.q.sort && !s.q.top;
	np_query_default_sort(&s.q, "opened");
	np_query_start(&s.q, NULL, &s);
	fd = np_map_open(ctx, "np_conns");
	if (fd < 0) {
		err = np_err(ctx, "cannot open %s/maps/np_conns: %s", ctx->pin_root, strerror(-fd));
		goto out;
	}
	s.now = mono_now();
	err = np_map_walk(fd, sizeof(__u64), sizeof(struct np_conn), false, on_conn, &s);
	close(fd);
	if (err) {
		err = np_err(ctx, "cannot read np_conns: %s", strerror(-err));
		goto out;
	}
	np_query_end(&s.q);
	print_rows(&s, oldest_first);
out:
	np_query_free(&s.q);
	return err;
}
