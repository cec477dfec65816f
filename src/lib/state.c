// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <bpf/bpf.h>

#include "state.h"
#include "../../bpf/netprobe.h"

#define BPF_FS_MAGIC	0xcafe4a11
#define LOCK_WAIT_MS	10000

int np_path(struct np_ctx *ctx, char *buf, size_t n, const char *fmt, ...)
{
	size_t len = snprintf(buf, n, "%s/", ctx->pin_root);
	va_list ap;

	if (len >= n)
		return -ENAMETOOLONG;
	va_start(ap, fmt);
	len += vsnprintf(buf + len, n - len, fmt, ap);
	va_end(ap);
	return len >= n ? -ENAMETOOLONG : 0;
}

static bool on_bpffs(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == BPF_FS_MAGIC;
}

/* The pin root if it exists, else its nearest existing ancestor. */
static void existing_ancestor(const char *path, char *buf, size_t n)
{
	struct stat st;

	snprintf(buf, n, "%s", path);
	while (stat(buf, &st)) {
		char *slash = strrchr(buf, '/');

		if (!slash || slash == buf) {
			snprintf(buf, n, "/");
			return;
		}
		*slash = '\0';
	}
}

/* Mounts bpffs on /sys/fs/bpf when the default pin root needs it, as bpftool does. */
static int ensure_bpffs(struct np_ctx *ctx, unsigned flags)
{
	char where[PATH_MAX];

	existing_ancestor(ctx->pin_root, where, sizeof(where));
	if (on_bpffs(where))
		return 0;
	if (!(flags & NP_ST_WRITE) || strncmp(ctx->pin_root, "/sys/fs/bpf/", 12) ||
	    strcmp(where, "/sys/fs/bpf") != 0) {
		if (!(flags & NP_ST_WRITE) && !strncmp(where, "/sys/fs", 7) &&
		    (flags & NP_ST_MAY_BE_EMPTY))
			return NP_STATE_EMPTY;
		if (!(flags & NP_ST_WRITE) && !strncmp(ctx->pin_root, "/sys/fs/bpf/", 12))
			return np_err(ctx, "nothing is attached: no bpffs is mounted on /sys/fs/bpf");
		return np_err(ctx, "pin root %s is not on a bpffs mount (mount -t bpf bpffs DIR)",
			      ctx->pin_root);
	}
	if (mount("bpffs", "/sys/fs/bpf", "bpf", 0, "mode=0700"))
		return np_err(ctx, "cannot mount bpffs on /sys/fs/bpf: %s", strerror(errno));
	np_info(ctx, "mounted bpffs on /sys/fs/bpf");
	return 0;
}

const char *np_dir_name(const char *name, char buf[NP_DIR_MAX])
{
	size_t i;

	for (i = 0; name[i] && i < NP_DIR_MAX - 1; i++)
		buf[i] = name[i] == '.' ? '%' : name[i];
	buf[i] = '\0';
	return buf;
}

static void dir_unescape(char *name)
{
	for (; *name; name++)
		if (*name == '%')
			*name = '.';
}

bool np_is_tmp_pin(const char *name)
{
	return !strncmp(name, NP_TMP_PREFIX, strlen(NP_TMP_PREFIX));
}

int np_mkdirs(struct np_ctx *ctx, const char *rel)
{
	char path[PATH_MAX];
	size_t root_len = strlen(ctx->pin_root);

	if (np_path(ctx, path, sizeof(path), "%s", rel))
		return -ENAMETOOLONG;
	for (char *p = path + 1; ; p++) {
		bool end = *p == '\0';

		if (*p != '/' && !end)
			continue;
		*p = '\0';
		/* Components above the pin root are created 0755, the rest 0700. */
		if (mkdir(path, (size_t)(p - path) >= root_len ? 0700 : 0755) && errno != EEXIST)
			return -errno;
		if (end)
			break;
		*p = '/';
	}
	return 0;
}

/* How long a change waits for another one: NETPROBE_LOCK_WAIT seconds, default 10. */
static int lock_wait_ms(void)
{
	const char *env = getenv("NETPROBE_LOCK_WAIT");
	char *end;
	double secs;

	if (!env || !*env)
		return LOCK_WAIT_MS;
	secs = strtod(env, &end);
	return *end || secs < 0 || secs > 3600 ? LOCK_WAIT_MS : (int)(secs * 1000);
}

/* True if fd is still the directory at path: gc or a person may remove it. */
static bool same_dir(int fd, const char *path)
{
	struct stat a, b;

	return !fstat(fd, &a) && !lstat(path, &b) && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino && a.st_nlink > 0;
}

/*
 * The lock is the pin root itself, which gc never removes. A pin root
 * removed by hand while we waited is made again and locked anew.
 */
static int take_lock(struct np_ctx *ctx)
{
	int waited = 0, fd, err, limit = lock_wait_ms();

	for (;;) {
		fd = open(ctx->pin_root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return np_err(ctx, "cannot open %s: %s", ctx->pin_root, strerror(errno));
		while (flock(fd, LOCK_EX | LOCK_NB)) {
			if (errno != EWOULDBLOCK || waited >= limit) {
				close(fd);
				return np_err(ctx, "%s is busy: another netprobe is changing it "
					      "(waited %.1f s); try again", ctx->pin_root,
					      waited / 1000.0);
			}
			if (waited == 0)
				np_debug(ctx, "waiting for the lock on %s", ctx->pin_root);
			usleep(10 * 1000);
			waited += 10;
		}
		if (same_dir(fd, ctx->pin_root))
			break;
		close(fd);
		err = np_mkdirs(ctx, "");
		if (err)
			return np_err(ctx, "cannot create %s: %s", ctx->pin_root, strerror(-err));
	}
	ctx->lock_fd = fd;
	return 0;
}

/* ---- trust: only root may own the pin root and what leads to it ---- */

#define TRUST_MAX_DEPTH 4

/* Says why in why[n]; returns -EPERM. */
static int __attribute__((format(printf, 3, 4))) refuse(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
	return -EPERM;
}

static bool others_write(const struct stat *st)
{
	return st->st_mode & (S_IWGRP | S_IWOTH);
}

/*
 * Every directory from / to the pin root's parent: root's, and writable by
 * nobody else unless sticky (as /tmp, or a bpffs mounted by hand: 1777).
 * A symlink on the way is resolved by realpath and its target checked.
 */
static int check_ancestors(struct np_ctx *ctx, char *why, size_t n)
{
	char where[PATH_MAX], real[PATH_MAX];
	struct stat st;

	snprintf(where, sizeof(where), "%s", ctx->pin_root);
	*strrchr(where, '/') = '\0';
	while (*where && stat(where, &st)) {
		char *slash = strrchr(where, '/');

		*slash = '\0';
	}
	if (!realpath(*where ? where : "/", real))
		return refuse(why, n, "cannot resolve %s: %s", where, strerror(errno));
	for (char *p = real + strlen(real); ; *p = '\0', p = strrchr(real, '/')) {
		const char *dir = p == real ? "/" : real;

		if (lstat(dir, &st))
			return refuse(why, n, "%s: %s", dir, strerror(errno));
		if (st.st_uid != 0)
			return refuse(why, n, "%s is owned by uid %u", dir, st.st_uid);
		if (others_write(&st) && !(st.st_mode & S_ISVTX))
			return refuse(why, n, "%s is writable by other users", dir);
		if (p == real)
			break;
	}
	return 0;
}

/* One entry below the pin root: root's, not writable by others, no symlink. */
static int check_entry(const struct stat *st, const char *path, char *why, size_t n)
{
	if (S_ISLNK(st->st_mode))
		return refuse(why, n, "%s is a symlink", path);
	if (st->st_uid != 0)
		return refuse(why, n, "%s is owned by uid %u", path, st->st_uid);
	if (others_write(st))
		return refuse(why, n, "%s is writable by group or others", path);
	return 0;
}

/* Walks the directory open as fd (path for messages), never following a link. */
static int check_tree(int fd, const char *path, int depth, char *why, size_t n)
{
	struct dirent *de;
	int err = 0;
	DIR *d = fdopendir(fd);

	if (!d) {
		close(fd);
		return refuse(why, n, "%s: %s", path, strerror(errno));
	}
	while (!err && (de = readdir(d))) {
		char sub[PATH_MAX];
		struct stat st;
		int cfd;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW)) {
			if (errno == ENOENT)
				continue;	/* removed by a writer meanwhile */
			err = refuse(why, n, "%s: %s", sub, strerror(errno));
			break;
		}
		err = check_entry(&st, sub, why, n);
		if (err || !S_ISDIR(st.st_mode))
			continue;
		if (depth >= TRUST_MAX_DEPTH) {
			err = refuse(why, n, "%s is nested too deep", sub);
			break;
		}
		cfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (cfd < 0 && errno == ENOENT)
			continue;
		err = cfd < 0 ? refuse(why, n, "%s: %s", sub, strerror(errno))
			      : check_tree(cfd, sub, depth + 1, why, n);
	}
	closedir(d);
	return err;
}

/*
 * Refuses a pin root that another user could have prepared or can change:
 * root deletes and pins through it, so a symlink or a foreign directory in
 * it would let that user aim root's unlink() anywhere.
 */
static int check_trust(struct np_ctx *ctx)
{
	char why[PATH_MAX + 64];
	struct stat st;
	int fd, err;

	err = check_ancestors(ctx, why, sizeof(why));
	if (!err && !lstat(ctx->pin_root, &st)) {
		err = check_entry(&st, ctx->pin_root, why, sizeof(why));
		if (!err && !S_ISDIR(st.st_mode))
			return np_err(ctx, "pin root %s is not a directory", ctx->pin_root);
		fd = err ? -1 : open(ctx->pin_root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (!err && fd < 0)
			return np_err(ctx, "cannot open %s: %s", ctx->pin_root, strerror(errno));
		err = err ?: check_tree(fd, ctx->pin_root, 1, why, sizeof(why));
	}
	if (err)
		return np_err(ctx, "refusing pin root %s: %s (only root may own the pin root, "
			      "what leads to it and what is in it)", ctx->pin_root, why);
	return 0;
}

/*
 * The features and what of the pins is theirs: the probes of each (a host
 * probe pins under links/<probe>/ and progs/<probe>/, a device probe pins its
 * hooks under <dev>/), the object that loads them, and the prefixes of the
 * names of its maps (np_meta, np_devices and np_layouts are everyone's).
 */
static const struct np_feature_pins {
	const char *name;		/* as errors name it */
	const char *object;		/* bpf/<object>.bpf.c */
	__u32 layout;
	bool host;			/* pins under a directory named as the probe */
	const char *probes[3];
	const char *hooks[4];		/* pin names of its device hooks */
	const char *maps[4];		/* prefixes of its map names */
} feature_pins[] = {
	[NP_FEAT_TRAFFIC] = { "tc/xdp", "traffic", NP_LAYOUT_TRAFFIC, false, { "tc", "xdp" },
			      { "tc_ingress", "tc_egress", "xdp" },
			      { "np_stats", "np_flow", "np_k8s_", "np_icmp" } },
	[NP_FEAT_VXLAN] = { "vxlan", "vxlan", NP_LAYOUT_VXLAN, false, { "vxlan" },
			    { "vxlan_ingress", "vxlan_egress" }, { "np_vxlan_" } },
	[NP_FEAT_DROPS] = { "drops", "drops", NP_LAYOUT_DROPS, true, { "drops" }, { NULL },
			    { "np_drop" } },
	[NP_FEAT_NETFILTER] = { "netfilter", "netfilter", NP_LAYOUT_NETFILTER, true,
				{ "netfilter" }, { NULL }, { "np_nf_" } },
	[NP_FEAT_SECURITY] = { "security", "security", NP_LAYOUT_SECURITY, false, { "security" },
			       { "security_ingress" }, { "np_security_", "np_alert", "np_sec_" } },
	[NP_FEAT_SOCKET] = { "socket", "socket", NP_LAYOUT_SOCKET, true, { "socket" }, { NULL },
			     { "np_conns", "np_tcp_totals", "np_events" } },
};
#define NP_FEATURES ((int)ARRAY_SIZE(feature_pins))
_Static_assert(ARRAY_SIZE(feature_pins) <= NP_FEAT_MAX, "raise NP_FEAT_MAX");

static int list_dir(const char *path, bool want_dirs, char ***names, int *n);

/* The feature whose map name is, or -1 (a map everyone shares, or not ours). */
static int map_feature(const char *name)
{
	for (int f = 0; f < NP_FEATURES; f++)
		for (int i = 0; i < (int)ARRAY_SIZE(feature_pins[f].maps) && feature_pins[f].maps[i];
		     i++)
			if (!strncmp(name, feature_pins[f].maps[i], strlen(feature_pins[f].maps[i])))
				return f;
	return -1;
}

static int feature_by(const char *probe_or_object)
{
	for (int f = 0; f < NP_FEATURES; f++) {
		if (!strcmp(probe_or_object, feature_pins[f].object))
			return f;
		for (int i = 0; i < (int)ARRAY_SIZE(feature_pins[f].probes) &&
				feature_pins[f].probes[i]; i++)
			if (!strcmp(probe_or_object, feature_pins[f].probes[i]))
				return f;
	}
	return -1;
}

/* What np_layouts says of each feature; 0 when it is not pinned. */
static void read_layouts(struct np_ctx *ctx, __u32 v[NP_FEAT_MAX])
{
	int fd = np_pin_open(ctx, "maps/np_layouts");

	memset(v, 0, NP_FEAT_MAX * sizeof(*v));
	if (fd < 0)
		return;
	for (__u32 f = 0; f < NP_FEAT_MAX; f++)
		if (bpf_map_lookup_elem(fd, &f, &v[f]))
			v[f] = 0;
	close(fd);
}

/*
 * Features whose pins have another layout than this netprobe's are set
 * aside: their maps are not opened and their probes not attached (the
 * load would reuse the old maps) until detaching them removes the pins.
 */
static void check_feature_layouts(struct np_ctx *ctx)
{
	__u32 v[NP_FEAT_MAX];

	read_layouts(ctx, v);
	for (int f = 0; f < NP_FEATURES; f++) {
		if (!v[f] || v[f] == feature_pins[f].layout)
			continue;
		ctx->stale_features |= 1u << f;
		np_warn(ctx, "the %s pins under %s have layout %u, this netprobe's is %u: %s maps "
			"are not used until %s is detached", feature_pins[f].name, ctx->pin_root, v[f],
			feature_pins[f].layout, feature_pins[f].name, feature_pins[f].name);
	}
}

int np_feature_check(struct np_ctx *ctx, const char *probe)
{
	int f = feature_by(probe);

	if (f < 0 || !(ctx->stale_features & (1u << f)))
		return 0;
	if (feature_pins[f].host)
		return np_err(ctx, "the %s pins under %s have another layout than this netprobe's: "
			      "run 'netprobe detach %s' first", feature_pins[f].name, ctx->pin_root,
			      probe);
	return np_err(ctx, "the %s pins under %s have another layout than this netprobe's: run "
		      "'netprobe detach DEV %s' on each device that has it (or 'detach all') first",
		      feature_pins[f].name, ctx->pin_root, probe);
}

/* Records the layout of the feature an object just loaded for, if none is. */
static int feature_layout_init(struct np_ctx *ctx, const char *object)
{
	int f = feature_by(object), fd;
	__u32 key = f, v = 0;

	if (f < 0)
		return 0;
	fd = np_pin_open(ctx, "maps/np_layouts");
	if (fd < 0)
		return np_err(ctx, "cannot open %s/maps/np_layouts: %s", ctx->pin_root,
			      strerror(-fd));
	if (bpf_map_lookup_elem(fd, &key, &v) || !v) {
		v = feature_pins[f].layout;
		if (bpf_map_update_elem(fd, &key, &v, BPF_ANY)) {
			close(fd);
			return np_err(ctx, "cannot write %s/maps/np_layouts: %s", ctx->pin_root,
				      strerror(errno));
		}
	}
	close(fd);
	return 0;
}

/* True while a hook or host probe directory of feature f is pinned. */
static bool feature_in_use(struct np_ctx *ctx, int f, char **dirs, int n)
{
	const struct np_feature_pins *fp = &feature_pins[f];
	char rel[PATH_MAX], d[NP_DIR_MAX];

	for (int i = 0; i < n; i++) {
		if (fp->host) {
			if (!strcmp(dirs[i], fp->probes[0]))
				return true;
			continue;
		}
		for (int h = 0; h < (int)ARRAY_SIZE(fp->hooks) && fp->hooks[h]; h++) {
			snprintf(rel, sizeof(rel), "progs/%s/%s", np_dir_name(dirs[i], d), fp->hooks[h]);
			if (np_pin_exists(ctx, rel))
				return true;
			snprintf(rel, sizeof(rel), "links/%s/%s", d, fp->hooks[h]);
			if (np_pin_exists(ctx, rel))
				return true;
		}
	}
	return false;
}

/* Unpins the maps of the stale features nothing uses any more. */
static void gc_stale_features(struct np_ctx *ctx, char **dirs, int n)
{
	char path[PATH_MAX], file[PATH_MAX + NAME_MAX], **names;
	int m, fd;

	for (int f = 0; f < NP_FEATURES; f++) {
		__u32 key = f, zero = 0;

		if (!(ctx->stale_features & (1u << f)) || feature_in_use(ctx, f, dirs, n))
			continue;
		np_path(ctx, path, sizeof(path), "maps");
		list_dir(path, false, &names, &m);
		for (int i = 0; i < m; i++) {
			if (map_feature(names[i]) != f)
				continue;
			snprintf(file, sizeof(file), "%s/%s", path, names[i]);
			unlink(file);
		}
		np_names_free(names, m);
		fd = np_pin_open(ctx, "maps/np_layouts");
		if (fd >= 0) {
			bpf_map_update_elem(fd, &key, &zero, BPF_ANY);
			close(fd);
		}
		ctx->stale_features &= ~(1u << f);
	}
}

/* Refuses pins written with another key/value layout. */
static int check_layout(struct np_ctx *ctx, unsigned flags)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), key = 0;
	struct np_meta meta = {};
	int fd, err = 0;
	bool ok_size;

	fd = np_map_open(ctx, "np_meta");
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return np_err(ctx, "cannot open %s/maps/np_meta: %s", ctx->pin_root,
			      strerror(-fd));
	ok_size = bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && info.value_size == sizeof(meta);
	if (ok_size && bpf_map_lookup_elem(fd, &key, &meta) == 0 &&
	    (meta.layout == NP_LAYOUT_VERSION || meta.layout == 0)) {
		if (!(flags & NP_ST_ANY_LAYOUT))
			check_feature_layouts(ctx);
		goto out;
	}
	ctx->foreign_layout = true;
	if (flags & NP_ST_ANY_LAYOUT)
		goto out;
	meta.version[sizeof(meta.version) - 1] = '\0';
	if (!ok_size)
		err = np_err(ctx, "%s/maps/np_meta is not netprobe's (value size %u, not %zu): "
			     "pins of another tool or version; run 'netprobe detach all' to remove "
			     "netprobe's pins", ctx->pin_root, info.value_size, sizeof(meta));
	else
		err = np_err(ctx, "pins under %s have layout %u (netprobe %s); this netprobe %s "
			     "uses layout %u: run 'netprobe detach all' to remove them",
			     ctx->pin_root, meta.layout, meta.version[0] ? meta.version : "unknown",
			     NP_VERSION, NP_LAYOUT_VERSION);
out:
	close(fd);
	return err;
}

/* Something is pinned: np_meta, or any link or program directory. */
static bool state_present(struct np_ctx *ctx)
{
	char **names;
	int n;

	if (np_pin_exists(ctx, "maps/np_meta"))
		return true;
	np_state_dirs(ctx, &names, &n);
	np_names_free(names, n);
	return n > 0;
}

int np_state_open(struct np_ctx *ctx, unsigned flags)
{
	struct stat st;
	bool exists;
	int err;

	if (geteuid() != 0)
		return np_err(ctx, "netprobe needs root (CAP_BPF, CAP_NET_ADMIN) to use %s",
			      ctx->pin_root);
	err = ensure_bpffs(ctx, flags);
	if (err)
		return err;	/* NP_STATE_EMPTY or an error */
	err = check_trust(ctx);
	if (err)
		return err;
	exists = !lstat(ctx->pin_root, &st);
	if (!exists && errno != ENOENT)
		return np_err(ctx, "%s: %s", ctx->pin_root, strerror(errno));
	if (!(flags & NP_ST_WRITE) && (!exists || !state_present(ctx))) {
		if (flags & NP_ST_MAY_BE_EMPTY)
			return NP_STATE_EMPTY;
		return np_err(ctx, "nothing is attached (no pins under %s); "
			      "try 'netprobe attach DEV'", ctx->pin_root);
	}
	if (flags & NP_ST_WRITE) {
		err = np_mkdirs(ctx, "");
		if (err)
			return np_err(ctx, "cannot create %s: %s", ctx->pin_root, strerror(-err));
		if (!on_bpffs(ctx->pin_root))
			return np_err(ctx, "pin root %s is not on a bpffs mount", ctx->pin_root);
		err = take_lock(ctx);
		/* What changed before we held the lock is checked again. */
		err = err ?: check_trust(ctx);
		err = err ?: np_mkdirs(ctx, "maps");
		err = err ?: np_mkdirs(ctx, "progs");
		err = err ?: np_mkdirs(ctx, "links");
		if (err) {
			np_state_close(ctx);
			return err < 0 ? np_err(ctx, "cannot create %s: %s", ctx->pin_root,
						strerror(-err)) : err;
		}
	}
	return check_layout(ctx, flags);
}

void np_state_close(struct np_ctx *ctx)
{
	if (ctx->lock_fd >= 0) {
		close(ctx->lock_fd);
		ctx->lock_fd = -1;
	}
}

int np_pin_open(struct np_ctx *ctx, const char *rel)
{
	char path[PATH_MAX];
	int fd;

	if (np_path(ctx, path, sizeof(path), "%s", rel))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

int np_map_open(struct np_ctx *ctx, const char *name)
{
	char rel[NAME_MAX + 8];
	int f = map_feature(name);

	/* A map of another layout: reading it as ours would misread it. */
	if (f >= 0 && (ctx->stale_features & (1u << f)))
		return -ESTALE;

	snprintf(rel, sizeof(rel), "maps/%s", name);
	return np_pin_open(ctx, rel);
}

bool np_pin_exists(struct np_ctx *ctx, const char *rel)
{
	char path[PATH_MAX];

	return !np_path(ctx, path, sizeof(path), "%s", rel) && !access(path, F_OK);
}

int np_pin_atomic(struct np_ctx *ctx, int fd, const char *rel)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	const char *slash = strrchr(rel, '/');
	int dirlen = slash ? (int)(slash - rel + 1) : 0;

	/* bpffs refuses names with a dot: mark the temporary one by prefix. */
	if (np_path(ctx, path, sizeof(path), "%s", rel) ||
	    np_path(ctx, tmp, sizeof(tmp), "%.*s" NP_TMP_PREFIX "%s", dirlen, rel, rel + dirlen))
		return -ENAMETOOLONG;
	unlink(tmp);
	if (bpf_obj_pin(fd, tmp))
		return -errno;
	if (rename(tmp, path)) {
		int err = -errno;

		unlink(tmp);
		return err;
	}
	return 0;
}

void np_open_opts(struct np_ctx *ctx, struct bpf_object_open_opts *opts, char *buf, size_t n)
{
	np_path(ctx, buf, n, "maps");
	opts->sz = sizeof(*opts);
	opts->pin_root_path = buf;
}

int np_meta_init(struct np_ctx *ctx, int meta_fd)
{
	struct np_meta meta = {};
	struct timespec ts;
	__u32 key = 0;

	if (bpf_map_lookup_elem(meta_fd, &key, &meta) == 0 && meta.layout)
		return 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	meta.layout = NP_LAYOUT_VERSION;
	meta.created_ns = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	snprintf(meta.version, sizeof(meta.version), "%s", NP_VERSION);
	if (bpf_map_update_elem(meta_fd, &key, &meta, BPF_ANY))
		return np_err(ctx, "cannot write %s/maps/np_meta: %s", ctx->pin_root,
			      strerror(errno));
	return 0;
}

int np_skel_loaded(struct np_ctx *ctx, int load_err, const struct bpf_map *meta,
		   const char *what)
{
	/* The verifier says EINVAL or EACCES; anything else is no verifier matter. */
	if (load_err == -EINVAL || load_err == -EACCES)
		return np_err(ctx, "cannot load the %s programs: %s (run with -vv for the "
			      "verifier log)", what, strerror(-load_err));
	if (load_err)
		return np_err(ctx, "cannot load the %s programs: %s", what, strerror(-load_err));
	return np_meta_init(ctx, bpf_map__fd(meta)) ?: feature_layout_init(ctx, what);
}

int np_unpin_hook(struct np_ctx *ctx, const char *dir, const char *name)
{
	char path[PATH_MAX];
	int fd, err = 0;

	char d[NP_DIR_MAX];

	if (np_path(ctx, path, sizeof(path), "links/%s/%s", np_dir_name(dir, d), name))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		/* Detach now: the hook must go even if another fd keeps the link. */
		bpf_link_detach(fd);
		close(fd);
	}
	if (unlink(path) && errno != ENOENT)
		err = -errno;
	if (np_path(ctx, path, sizeof(path), "progs/%s/%s", d, name))
		return -ENAMETOOLONG;
	if (unlink(path) && errno != ENOENT && !err)
		err = -errno;
	return err;
}

/* Names in path: directories or pins; pins being made (tmp-*) only if asked for. */
static int list_dir_tmp(const char *path, bool want_dirs, bool with_tmp, char ***names, int *n)
{
	struct dirent *de;
	char **v = NULL;
	DIR *d;

	*names = NULL;
	*n = 0;
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		char **nv;

		if (de->d_name[0] == '.' || (de->d_type == DT_DIR) != want_dirs)
			continue;
		/* A pin being made (or left by a crash): not state; gc removes it. */
		if (!want_dirs && !with_tmp && np_is_tmp_pin(de->d_name))
			continue;
		nv = realloc(v, (*n + 1) * sizeof(*v));
		if (!nv)
			break;
		v = nv;
		v[(*n)++] = strdup(de->d_name);
	}
	closedir(d);
	np_names_sort(v, *n);
	*names = v;
	return 0;
}

static int list_dir(const char *path, bool want_dirs, char ***names, int *n)
{
	return list_dir_tmp(path, want_dirs, false, names, n);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void np_names_sort(char **names, int n)
{
	np_sort(names, n, sizeof(*names), by_name);
}

void np_names_free(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int np_state_dirs(struct np_ctx *ctx, char ***names, int *n)
{
	char path[PATH_MAX], **more;
	int m, err;

	np_path(ctx, path, sizeof(path), "links");
	err = list_dir(path, true, names, n);
	np_path(ctx, path, sizeof(path), "progs");
	err = err ?: list_dir(path, true, &more, &m);
	for (int i = 0; i < m; i++) {
		bool seen = false;
		char **nv;

		for (int j = 0; j < *n; j++)
			seen |= !strcmp((*names)[j], more[i]);
		if (seen || !(nv = realloc(*names, (*n + 1) * sizeof(char *))))
			continue;
		*names = nv;
		(*names)[(*n)++] = more[i];
		more[i] = NULL;
	}
	np_names_free(more, m);
	for (int i = 0; i < *n; i++)
		dir_unescape((*names)[i]);
	np_names_sort(*names, *n);
	return err;
}

static int count_pins(struct np_ctx *ctx, const char *sub, const char *dir)
{
	char path[PATH_MAX], **names;
	int n;

	char d[NP_DIR_MAX];

	np_path(ctx, path, sizeof(path), "%s/%s", sub, np_dir_name(dir, d));
	list_dir(path, false, &names, &n);
	np_names_free(names, n);
	return n;
}

int np_link_pins(struct np_ctx *ctx, const char *dir, char ***names, int *n)
{
	char path[PATH_MAX], d[NP_DIR_MAX];

	np_path(ctx, path, sizeof(path), "links/%s", np_dir_name(dir, d));
	return list_dir(path, false, names, n);
}

/* Removes every non-directory pin of <sub>/<dir>, then the directory. */
static int remove_pins(struct np_ctx *ctx, const char *sub, const char *dir)
{
	char path[PATH_MAX], **names, d[NP_DIR_MAX];
	int n, err;

	np_path(ctx, path, sizeof(path), "%s%s%s", sub, dir ? "/" : "",
		dir ? np_dir_name(dir, d) : "");
	/* Writers only, under the lock: a tmp-* pin here was left by a crash. */
	err = list_dir_tmp(path, false, true, &names, &n);
	for (int i = 0; i < n; i++) {
		char file[PATH_MAX + NAME_MAX];

		snprintf(file, sizeof(file), "%s/%s", path, names[i]);
		if (unlink(file) && !err)
			err = -errno;
	}
	np_names_free(names, n);
	if (dir && rmdir(path) && errno != ENOENT && !err)
		err = -errno;
	return err;
}

int np_unpin_dir(struct np_ctx *ctx, const char *dir)
{
	char **names;
	int n, err;

	err = np_link_pins(ctx, dir, &names, &n);
	for (int i = 0; i < n; i++) {
		int e = np_unpin_hook(ctx, dir, names[i]);

		err = err ?: e;
	}
	np_names_free(names, n);
	err = err ?: remove_pins(ctx, "links", dir);
	err = err ?: remove_pins(ctx, "progs", dir);
	return err;
}

/* Names netprobe pins under maps/: its maps are all called np_*. */
static bool ours_in_maps(const char *name)
{
	return !strncmp(name, "np_", 3) ||
	       !strncmp(name, NP_TMP_PREFIX "np_", strlen(NP_TMP_PREFIX) + 3);
}

/*
 * Removes pins left half-made by a crash (tmp-*) in dir. Runs under the
 * lock, where no pin is being made.
 */
static void remove_stale_tmp(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d))) {
		char path[PATH_MAX + NAME_MAX];

		if (!np_is_tmp_pin(de->d_name) || de->d_type == DT_DIR)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
}

static void gc_tmp_pins(struct np_ctx *ctx, char **dirs, int n)
{
	char path[PATH_MAX], d[NP_DIR_MAX];

	np_path(ctx, path, sizeof(path), "maps");
	remove_stale_tmp(path);
	for (int i = 0; i < n; i++)
		for (const char *const *s = (const char *const[]){ "links", "progs", NULL }; *s; s++) {
			np_path(ctx, path, sizeof(path), "%s/%s", *s, np_dir_name(dirs[i], d));
			remove_stale_tmp(path);
		}
}

/* Removes netprobe's maps (np_*), never another tool's pins. */
static void remove_our_maps(struct np_ctx *ctx)
{
	char path[PATH_MAX], **names;
	int n;

	np_path(ctx, path, sizeof(path), "maps");
	list_dir(path, false, &names, &n);
	for (int i = 0; i < n; i++) {
		char file[PATH_MAX + NAME_MAX];

		if (!ours_in_maps(names[i]))
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, names[i]);
		unlink(file);
	}
	np_names_free(names, n);
}

/*
 * The pin root itself stays: it is the lock, and a waiter must never hold
 * the lock of a directory that gc removed.
 */
int np_state_gc(struct np_ctx *ctx)
{
	char **dirs, path[PATH_MAX];
	int n, err, pins = 0;

	err = np_state_dirs(ctx, &dirs, &n);
	if (err)
		return err;
	gc_tmp_pins(ctx, dirs, n);
	for (int i = 0; i < n; i++) {
		int m = count_pins(ctx, "links", dirs[i]) + count_pins(ctx, "progs", dirs[i]);

		pins += m;
		if (!m)
			np_unpin_dir(ctx, dirs[i]);
	}
	if (pins)
		gc_stale_features(ctx, dirs, n);
	np_names_free(dirs, n);
	if (pins)
		return 0;
	remove_our_maps(ctx);
	err = 0;
	for (const char *const *d = (const char *const[]){ "maps", "progs", "links", NULL }; *d; d++) {
		np_path(ctx, path, sizeof(path), "%s", *d);
		/* A foreign pin keeps maps/: not an error, and not ours to remove. */
		if (rmdir(path) && errno != ENOENT && errno != ENOTEMPTY)
			err = err ?: -errno;
	}
	return err;
}

int np_attach_object_links(struct np_ctx *ctx, struct bpf_object *obj, const char *dir)
{
	char rel[PATH_MAX], made[64][NAME_MAX], d[NP_DIR_MAX];
	const char *ddir = np_dir_name(dir, d);
	struct bpf_program *prog;
	int nmade = 0, err = 0;

	snprintf(rel, sizeof(rel), "links/%s", ddir);
	err = np_mkdirs(ctx, rel);
	snprintf(rel, sizeof(rel), "progs/%s", ddir);
	err = err ?: np_mkdirs(ctx, rel);
	if (err)
		return np_err(ctx, "cannot create %s/%s: %s", ctx->pin_root, rel, strerror(-err));
	bpf_object__for_each_program(prog, obj) {
		const char *name = bpf_program__name(prog);
		struct bpf_link *link;

		if (!bpf_program__autoload(prog))
			continue;
		snprintf(rel, sizeof(rel), "links/%s/%s", ddir, name);
		if (np_pin_exists(ctx, rel))
			continue;
		link = bpf_program__attach(prog);
		if (!link) {
			err = np_err(ctx, "cannot attach %s (%s): %s", name,
				     bpf_program__section_name(prog), strerror(errno));
			break;
		}
		err = np_pin_atomic(ctx, bpf_link__fd(link), rel);
		/* The pin keeps the link; closing our fd must not detach it. */
		bpf_link__disconnect(link);
		bpf_link__destroy(link);
		snprintf(rel, sizeof(rel), "progs/%s/%s", ddir, name);
		err = err ?: np_pin_atomic(ctx, bpf_program__fd(prog), rel);
		if (err) {
			/* Half a hook is no hook: the link goes too. */
			np_unpin_hook(ctx, dir, name);
			err = np_err(ctx, "cannot pin %s/%s: %s", ctx->pin_root, rel,
				     strerror(-err));
			break;
		}
		if (nmade < (int)ARRAY_SIZE(made))
			snprintf(made[nmade++], sizeof(made[0]), "%s", name);
	}
	if (err)
		for (int i = 0; i < nmade; i++)
			np_unpin_hook(ctx, dir, made[i]);
	return err;
}
