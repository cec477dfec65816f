// SPDX-License-Identifier: GPL-2.0
/*
 * The socket probe: host-wide TCP connection tracking from tp_btf
 * tracepoints (bpf/socket.bpf.c), pinned under links/socket/ and
 * progs/socket/. Its maps: np_conns, np_tcp_totals, np_events.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "lib/probe.h"
#include "lib/state.h"
#include "socket.skel.h"

#define PROBE_DIR "socket"

/* True when every program of the object already has its link pinned. */
static bool all_pinned(struct np_ctx *ctx, struct np_socket *skel)
{
	struct bpf_program *prog;
	char rel[PATH_MAX];

	bpf_object__for_each_program(prog, skel->obj) {
		snprintf(rel, sizeof(rel), "links/%s/%s", PROBE_DIR, bpf_program__name(prog));
		if (!np_pin_exists(ctx, rel))
			return false;
	}
	return true;
}

int np_attach_socket(struct np_ctx *ctx, const struct np_probe *self,
		     const struct np_attach_args *args)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	char maps[PATH_MAX];
	struct np_socket *skel;
	int err;

	(void)self;
	(void)args;
	np_open_opts(ctx, &opts, maps, sizeof(maps));
	skel = np_socket__open_opts(&opts);
	if (!skel)
		return np_err(ctx, "cannot open the socket programs: %s", strerror(errno));
	if (all_pinned(ctx, skel)) {
		np_socket__destroy(skel);
		return 0;
	}
	err = np_skel_loaded(ctx, np_socket__load(skel), skel->maps.np_meta, "socket");
	if (!err)
		err = np_attach_object_links(ctx, skel->obj, PROBE_DIR);
	np_socket__destroy(skel);
	return err;
}
