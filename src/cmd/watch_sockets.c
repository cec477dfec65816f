// SPDX-License-Identifier: GPL-2.0
/*
 * netprobe watch sockets [state S] [comm C] [pid N] [netns NS] [port N]
 *                        [count N]
 *
 * Live TCP connect / accept / close events from the socket probe's np_events
 * ring buffer: connect and accept when a connection becomes established,
 * close when it reaches CLOSE (with its final counters).
 */
#include <stdio.h>
#include <string.h>

#include "lib/cmd.h"
#include "lib/sockets.h"
#include "lib/watch.h"

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

static bool emit_sock_event(struct np_ctx *ctx, const struct np_event_hdr *hdr, size_t size,
			    __u64 mono2real, void *arg)
{
	const struct np_sock_event *e = (const struct np_sock_event *)hdr;
	const struct np_sock_filter *f = arg;
	const char *name = event_name(hdr->type);

	if (!name || size < sizeof(*e) || !np_sock_filter_match(f, &e->conn))
		return false;
	np_sock_row(ctx->out, e->cookie, &e->conn, mono2real, hdr->ts_ns, name, e->oldstate,
		    hdr->ts_ns);
	return true;
}

int cmd_watch_sockets(struct np_ctx *ctx, int argc, char **argv)
{
	static const char *const extra[] = { "count", NULL };
	struct np_sock_filter f;
	__u64 count = 0;
	struct np_watch_src src = {
		.what = "watch sockets",
		.map = "np_events",
		.beat_map = "np_events_beat",
		.probe = NP_SOCKET_PROBE,
		.cols = np_sock_cols(true),
		.ncols = NP_SC_MAX,
		.emit = emit_sock_event,
		.arg = &f,
	};
	int err;

	if (argc && np_is_help(argv[0]))
		return np_cmd_help_self(ctx, "Events print as they happen; with -j, one JSON object "
					"per line (JSON Lines).\n");
	err = np_sock_args(ctx, "watch sockets", argc, argv, &f, extra, &count);
	if (err)
		return err;
	return np_watch_run(ctx, &src, count);
}
