// SPDX-License-Identifier: GPL-2.0
/*
 * netprobe watch SOURCE ...: the loop behind every watch command. It reads
 * a pinned ring buffer (records start with struct np_event_hdr) and hands
 * each record to its source to print; src/cmd/watch_<source>.c describe
 * the sources and commands.c lists them under `watch`.
 *
 * A ring buffer has one consumer position: two watchers of the same buffer
 * share its records instead of both seeing all of them.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lib/maps.h"
#include "lib/state.h"
#include "lib/watch.h"

/* Well inside NP_WATCH_BEAT_NS, so producers never think we left. */
#define POLL_MS 200

static volatile sig_atomic_t stop;

struct watch_state {
	struct np_ctx *ctx;
	const struct np_watch_src *src;
	int beat_fd;
	__u64 start_ns;
	__u64 mono2real;
	__u64 count;
	__u64 printed;
};

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Tells the producers a reader is there (now != 0) or gone (0). */
static void beat(int fd, __u64 now)
{
	__u32 key = 0;

	if (fd >= 0)
		bpf_map_update_elem(fd, &key, &now, BPF_ANY);
}

/* A pipe whose reader closed polls as an error even before we write. */
static bool reader_gone(void)
{
	struct pollfd p = { .fd = STDOUT_FILENO };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP));
}

static int on_record(void *arg, void *data, size_t size)
{
	struct watch_state *w = arg;
	const struct np_event_hdr *hdr = data;

	if (size < sizeof(*hdr) || hdr->size > size)
		return 0;
	/* What the buffer held before we started is history, not live. */
	if (hdr->ts_ns < w->start_ns)
		return 0;
	if (!w->src->emit(w->ctx, hdr, size, w->mono2real, w->src->arg))
		return 0;
	w->printed++;
	/* Negative ends ring_buffer__poll; what is left stays in the buffer. */
	if (stop || out_broken(w->ctx->out) || (w->count && w->printed >= w->count))
		return -ECANCELED;
	return 0;
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	/* No SA_RESTART: the poll must return to notice the signal. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static int not_attached(struct np_ctx *ctx, const struct np_watch_src *src)
{
	return np_err(ctx, "%s: the %s probe is not attached; run 'netprobe attach %s%s'",
		      src->what, src->probe, src->per_device ? "DEV " : "", src->probe);
}

static int open_ring(struct np_ctx *ctx, const struct np_watch_src *src)
{
	char rel[64];
	int fd;

	if (src->per_device)
		snprintf(rel, sizeof(rel), "maps/%s", src->map);
	else
		snprintf(rel, sizeof(rel), "links/%s", src->probe);
	if (!np_pin_exists(ctx, rel))
		return -not_attached(ctx, src);
	fd = np_map_open(ctx, src->map);
	if (fd < 0)
		return -np_err(ctx, "%s: cannot open %s/maps/%s: %s", src->what, ctx->pin_root,
			       src->map, strerror(-fd));
	return fd;
}

static int watch_loop(struct np_ctx *ctx, struct ring_buffer *rb, struct watch_state *w)
{
	while (!stop) {
		int n;

		beat(w->beat_fd, mono_ns());
		n = ring_buffer__poll(rb, POLL_MS);

		if (n == -ECANCELED)
			break;
		if (n < 0 && n != -EINTR)
			return np_err(ctx, "%s: reading the ring buffer: %s", w->src->what,
				      strerror(-n));
		if (out_broken(ctx->out) || reader_gone())
			break;
	}
	return NP_EXIT_OK;
}

int np_watch_run(struct np_ctx *ctx, const struct np_watch_src *src, __u64 count)
{
	struct watch_state w = { .ctx = ctx, .src = src, .count = count, .beat_fd = -1 };
	struct ring_buffer *rb;
	int fd, err;

	if (out_format(ctx->out) == NP_FMT_PROM)
		return np_usage(ctx, "%s has no Prometheus form", src->what);
	err = np_state_open(ctx, NP_ST_MAY_BE_EMPTY);
	if (err == NP_STATE_EMPTY)
		return not_attached(ctx, src);
	if (err)
		return err;
	fd = open_ring(ctx, src);
	if (fd < 0)
		return -fd;
	rb = ring_buffer__new(fd, on_record, &w, NULL);
	if (!rb) {
		err = errno;
		close(fd);
		return np_err(ctx, "%s: cannot map the ring buffer: %s", src->what, strerror(err));
	}
	if (src->beat_map)
		w.beat_fd = np_map_open(ctx, src->beat_map);
	stop = 0;
	catch_signals();
	w.start_ns = mono_ns();
	w.mono2real = np_mono_to_real_offset();
	out_table_begin(ctx->out, NULL, src->cols, src->ncols, NP_LAYOUT_STREAM);
	fflush(stdout);
	err = watch_loop(ctx, rb, &w);
	beat(w.beat_fd, 0);
	out_table_end(ctx->out);
	ring_buffer__free(rb);
	if (w.beat_fd >= 0)
		close(w.beat_fd);
	close(fd);
	return err;
}
