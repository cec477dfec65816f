/* SPDX-License-Identifier: GPL-2.0 */
/* What every netprobe command gets: the invocation context and exit codes. */
#ifndef NP_NP_H
#define NP_NP_H

#include <stdbool.h>
#include <stdlib.h>
#include <linux/types.h>

#define NP_VERSION		"0.1.0"
#define NP_DEFAULT_PIN_ROOT	"/sys/fs/bpf/netprobe"

enum np_exit {
	NP_EXIT_OK = 0,
	NP_EXIT_FAIL = 1,	/* runtime error */
	NP_EXIT_USAGE = 2,	/* bad command line */
};

struct np_out;
struct np_cmd;

/* One per invocation; passed to every command handler instead of globals. */
struct np_ctx {
	struct np_out *out;
	const char *pin_root;
	const char *host_root;	/* --host-root: where the host's / is (NULL: env or /) */
	const char *kubeconfig;	/* --kubeconfig: the API server's (NULL: env or in-cluster) */
	int verbose;
	bool quiet;
	bool numeric;		/* -n: exact numbers, no human units */
	int lock_fd;		/* held flock on the pin root, or -1 */
	bool foreign_layout;	/* pins of another layout (detach all only) */
	unsigned stale_features;	/* 1 << enum np_feature: pins of another layout */
	const struct np_cmd *cmd;	/* the command running, for its help */
	const char *cmd_level;		/* its table level, e.g. "netprobe show" */
};

/* Errors go through the output layer: JSON object on stdout under --json. */
int np_err(struct np_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A usage error: same as np_err, but returns NP_EXIT_USAGE. */
int np_usage(struct np_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Informational notes for people; on stderr, silenced by -q. */
void np_info(struct np_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void np_warn(struct np_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void np_debug(struct np_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* qsort() that accepts an empty (possibly NULL) array: qsort(NULL, 0) is UB. */
static inline void np_sort(void *base, size_t n, size_t size,
			   int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

#endif /* NP_NP_H */
