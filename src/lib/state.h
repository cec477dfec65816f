/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pinned state under the pin root (default /sys/fs/bpf/netprobe):
 *
 *   maps/np_meta            layout version, creation time, writer version
 *   maps/np_layouts         layout version of each feature's maps (enum np_feature)
 *   maps/np_devices         what attach did per device (modes, qdisc)
 *   maps/<name>             every other map, shared by all attachments
 *   progs/<dev>/<hook>      programs, per device and hook
 *   links/<dev>/<hook>      links, per device and hook (xdp, tc_ingress, ...)
 *   links/<probe>/<prog>    host-wide probes (socket, drops, netfilter)
 *
 * Directories are 0700. Changes hold an exclusive flock on the root
 * directory; pins are made under a temporary name and renamed into place,
 * so a crash leaves either the old or the new pin, never half of one.
 */
#ifndef NP_STATE_H
#define NP_STATE_H

#include <stddef.h>
#include <bpf/libbpf.h>
#include "np.h"

enum np_state_flags {
	NP_ST_WRITE = 1 << 0,		/* create/mount as needed and take the lock */
	NP_ST_ANY_LAYOUT = 1 << 1,	/* do not refuse pins of another layout */
	NP_ST_MAY_BE_EMPTY = 1 << 2,	/* a missing pin root is not an error */
};

/* np_state_open() with NP_ST_MAY_BE_EMPTY when nothing is pinned. */
#define NP_STATE_EMPTY 100

/* Returns 0, NP_STATE_EMPTY, or an exit code after reporting the error. */
int np_state_open(struct np_ctx *ctx, unsigned flags);
void np_state_close(struct np_ctx *ctx);
/* 0, or an error (reported) if probe's feature has pins of another layout. */
int np_feature_check(struct np_ctx *ctx, const char *probe);

/* "<pin root>/<fmt...>" into buf; returns -ENAMETOOLONG if it did not fit. */
int np_path(struct np_ctx *ctx, char *buf, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* mkdir -p of a directory below the pin root, mode 0700. */
int np_mkdirs(struct np_ctx *ctx, const char *rel);
/*
 * A device or probe name as a directory name below links/ and progs/:
 * bpffs refuses names with a dot, so '.' becomes '%', which no interface
 * name can hold (the kernel expands it as a template). Functions of this
 * header take plain names and escape them themselves.
 */
#define NP_DIR_MAX 64
const char *np_dir_name(const char *name, char buf[NP_DIR_MAX]);

/* Prefix of a pin being made; bpffs names cannot hold a dot. */
#define NP_TMP_PREFIX "tmp-"
bool np_is_tmp_pin(const char *name);
/* Pins fd at rel (below the pin root) through a temporary name + rename. */
int np_pin_atomic(struct np_ctx *ctx, int fd, const char *rel);
/* Opens the pinned map maps/<name>; returns fd or -errno. */
int np_map_open(struct np_ctx *ctx, const char *name);
/* Opens any pin below the pin root; returns fd or -errno. */
int np_pin_open(struct np_ctx *ctx, const char *rel);
/* True if rel exists below the pin root. */
bool np_pin_exists(struct np_ctx *ctx, const char *rel);

/* Object open options that make libbpf reuse/pin maps under maps/. */
void np_open_opts(struct np_ctx *ctx, struct bpf_object_open_opts *opts, char *buf, size_t n);
/* Fills np_meta after a load created it. */
int np_meta_init(struct np_ctx *ctx, int meta_fd);
/*
 * After <skel>__load(): reports a failed load (load_err) or fills np_meta
 * (meta: the skeleton's np_meta map). The caller destroys the skeleton
 * when this returns an error.
 */
int np_skel_loaded(struct np_ctx *ctx, int load_err, const struct bpf_map *meta,
		   const char *what);

/*
 * Removes links/<dir>/<name> (detaching the link first, so the hook is
 * gone even while something else holds it open) and progs/<dir>/<name>.
 */
int np_unpin_hook(struct np_ctx *ctx, const char *dir, const char *name);
/* Removes every pin of links/<dir> and progs/<dir>, and the directories. */
int np_unpin_dir(struct np_ctx *ctx, const char *dir);
/* Devices and probes with pins: subdirectories of links/ and progs/; free
 * with np_names_free. */
int np_state_dirs(struct np_ctx *ctx, char ***names, int *n);
/* Names of the pins in links/<dir>. */
int np_link_pins(struct np_ctx *ctx, const char *dir, char ***names, int *n);
void np_names_free(char **names, int n);
void np_names_sort(char **names, int n);
/* When no link or program pin is left, removes the maps and the pin root. */
int np_state_gc(struct np_ctx *ctx);

/*
 * Attaches every program of obj with libbpf's default attach (tracepoints,
 * tp_btf, raw_tp) and pins each link as links/<dir>/<prog name> (and the
 * program as progs/<dir>/<prog name>). On
 * failure, removes what this call pinned. Already pinned links are kept.
 */
int np_attach_object_links(struct np_ctx *ctx, struct bpf_object *obj, const char *dir);

#endif /* NP_STATE_H */
