// SPDX-License-Identifier: GPL-2.0
/*
 * netprobe watch sockets [state S] [comm C] [pid N] [netns NS] [src CIDR]
 *                        [dst CIDR] [port N] [sport N] [dport N] [count N]
 *
 * Live TCP connect / accept / close events from the socket probe's np_events
 * ring buffer: connect and accept when a connection becomes established,
 * close when it reaches CLOSE (with its final counters). Each event is a
 * record of the same table as show sockets (lib/sockets.h), filtered by
 * the same query; count N ends the stream.
 */
#include <stdio.h>
#include <string.h>

#include "lib/cmd.h"
#include "lib/model.h"
#include "lib/sockets.h"
#include "lib/watch.h"

const char *np_watch_sockets_synopsis(void)
{
	static char buf[256];

	return buf[0] ? buf : np_table_synopsis(&np_sockets_watch_table, buf, sizeof(buf));
}

static bool emit_sock_event(struct np_ctx *ctx, const struct np_event_hdr *hdr, size_t size,
			    __u64 mono2real, void *arg)
{
	const struct np_sock_event *e = (const struct np_sock_event *)hdr;
	struct np_query *q = arg;
	struct np_sock_rec rec;

	(void)ctx;
	if (size < sizeof(*e) || (hdr->type != NP_EV_TCP_CONNECT &&
				  hdr->type != NP_EV_TCP_ACCEPT && hdr->type != NP_EV_TCP_CLOSE))
		return false;
	np_sock_rec_init(&rec, e->cookie, &e->conn, hdr->ts_ns);
	rec.event = hdr->type;
	rec.from_state = e->oldstate;
	rec.event_ns = hdr->ts_ns;
	if (!np_query_match(q, &rec))
		return false;
	np_sock_row(q, &rec, mono2real);
	return true;
}

int cmd_watch_sockets(struct np_ctx *ctx, int argc, char **argv)
{
	struct np_query q;
	__u64 count = 0;
	struct np_watch_src src = {
		.what = "watch sockets",
		.map = "np_events",
		.beat_map = "np_events_beat",
		.probe = NP_SOCKET_PROBE,
		.cols = np_sock_cols(true),
		.ncols = NP_SC_MAX,
		.emit = emit_sock_event,
		.arg = &q,
	};
	int err;

	if (argc && np_is_help(argv[0]))
		return np_cmd_help_self(ctx, "Prints connect, accept and close events as they "
					"happen; with -j one\nJSON object per line (JSON Lines). "
					"The filters are those of show sockets.\n");
	err = np_query_parse(&q, ctx, &np_sockets_watch_table, argc, argv);
	if (!err)
		np_query_k8s(&q, ctx->host_root, NP_K8S_PODS);
	if (!err) {
		np_query_has(&q, "count", &count);
		err = np_watch_run(ctx, &src, count);
	}
	np_query_free(&q);
	return err;
}
