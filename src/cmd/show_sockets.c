// SPDX-License-Identifier: GPL-2.0
/*
 * netprobe show sockets [state S] [comm C] [pid N] [netns NS] [port N]
 *
 * Active and recently closed TCP connections from the pinned np_conns LRU
 * (the socket probe), oldest first. Closed connections stay listed until
 * the table evicts them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/cmd.h"
#include "lib/maps.h"
#include "lib/out.h"
#include "lib/sockets.h"
#include "lib/state.h"

struct conn_row {
	__u64 cookie;
	struct np_conn conn;
};

/* The np_conns rows that pass f. */
struct conn_list {
	const struct np_sock_filter *f;
	struct conn_row *v;
	size_t n, cap;
};

/* np_map_walk callback: keeps one entry of np_conns if the filter wants it. */
static int conn_keep(const void *key, const void *value, void *arg)
{
	const __u64 *cookie = key;
	const struct np_conn *c = value;
	struct conn_list *l = arg;

	if (!np_sock_filter_match(l->f, c))
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct conn_row *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].cookie = *cookie;
	l->v[l->n++].conn = *c;
	return 0;
}

static int by_opened(const void *a, const void *b)
{
	const struct conn_row *x = a, *y = b;

	if (x->conn.opened_ns != y->conn.opened_ns)
		return x->conn.opened_ns < y->conn.opened_ns ? -1 : 1;
	return x->cookie < y->cookie ? -1 : x->cookie > y->cookie;
}

static __u64 mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

#define NOT_ATTACHED "the socket probe is not attached; run 'netprobe attach socket'"

static int open_conns(struct np_ctx *ctx)
{
	int fd;

	if (!np_pin_exists(ctx, "links/" NP_SOCKET_PROBE)) {
		np_err(ctx, NOT_ATTACHED);
		return -1;
	}
	fd = np_map_open(ctx, "np_conns");
	if (fd < 0)
		np_err(ctx, "cannot open %s/maps/np_conns: %s", ctx->pin_root, strerror(-fd));
	return fd;
}

/* show sockets totals: the TCP totals of every network namespace. */
static int show_totals(struct np_ctx *ctx, int argc, char **argv)
{
	struct np_tcp_netns *t;
	int n, err;

	if (argc > 1)
		return np_usage(ctx, "show sockets totals: unexpected '%s'", argv[1]);
	err = np_state_open(ctx, NP_ST_MAY_BE_EMPTY);
	if (err == NP_STATE_EMPTY)
		return np_err(ctx, NOT_ATTACHED);
	if (err)
		return err;
	if (!np_pin_exists(ctx, "maps/np_tcp_totals"))
		return np_err(ctx, NOT_ATTACHED);
	err = np_tcp_totals_list(ctx, &t, &n);
	if (err)
		return np_err(ctx, "cannot read the TCP totals: %s", strerror(-err));
	np_tcp_totals_print(ctx, NULL, t, n);
	free(t);
	return NP_EXIT_OK;
}

int cmd_show_sockets(struct np_ctx *ctx, int argc, char **argv)
{
	struct np_sock_filter f;
	struct conn_list l = { .f = &f };
	__u64 off, now;
	int fd, err;

	if (argc && np_is_help(argv[0])) {
		printf("Usage: netprobe show sockets %s\n"
		       "  state S: established, syn-sent, ..., closed, or open (not closed)\n",
		       NP_SOCK_FILTER_ARGS);
		return NP_EXIT_OK;
	}
	if (argc && !strcmp(argv[0], "totals"))
		return show_totals(ctx, argc, argv);
	err = np_sock_args(ctx, "show sockets", argc, argv, &f, NULL, NULL);
	if (err)
		return err;
	err = np_state_open(ctx, NP_ST_MAY_BE_EMPTY);
	if (err == NP_STATE_EMPTY)
		return np_err(ctx, NOT_ATTACHED);
	if (err)
		return err;
	fd = open_conns(ctx);
	if (fd < 0)
		return NP_EXIT_FAIL;
	err = np_map_walk(fd, sizeof(__u64), sizeof(struct np_conn), false, conn_keep, &l);
	close(fd);
	if (err) {
		free(l.v);
		return np_err(ctx, "cannot read np_conns: %s", strerror(-err));
	}
	if (l.n)
		np_sort(l.v, l.n, sizeof(*l.v), by_opened);
	off = np_mono_to_real_offset();
	now = mono_now();
	out_table_begin(ctx->out, NULL, np_sock_cols(false), NP_SC_MAX, NP_LAYOUT_TABLE);
	for (size_t i = 0; i < l.n && !out_broken(ctx->out); i++)
		np_sock_row(ctx->out, l.v[i].cookie, &l.v[i].conn, off, now, NULL, 0, 0);
	out_table_end(ctx->out);
	free(l.v);
	return NP_EXIT_OK;
}
