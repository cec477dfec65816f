// SPDX-License-Identifier: GPL-2.0
/* netprobe dump [maps|progs|links]: the raw pinned state, like bpftool. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lib/cmd.h"
#include "lib/link.h"
#include "lib/out.h"
#include "lib/state.h"

enum { E_MAP, E_KEY, E_VALUE };

static const struct np_col entry_cols[] = {
	[E_MAP] = { "map", "MAP", -14, NP_K_STR },
	[E_KEY] = { "key", "KEY", -40, NP_K_STR },
	[E_VALUE] = { "value", "VALUE", -1, NP_K_STR },
};

enum { P_PIN, P_ID, P_TYPE, P_NAME, P_EXTRA };

static const struct np_col pin_cols[] = {
	[P_PIN] = { "pin", "PIN", -36, NP_K_STR },
	[P_ID] = { "id", "ID", 6, NP_K_U64 },
	[P_TYPE] = { "type", "TYPE", -14, NP_K_STR },
	[P_NAME] = { "name", "NAME", -16, NP_K_STR },
	[P_EXTRA] = { "info", "INFO", -1, NP_K_STR },
};

static void hex(char *buf, size_t n, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t j = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < len && j + 4 < n; i++)
		j += snprintf(buf + j, n - j, "%s%02x", i ? " " : "", p[i]);
}

static bool is_percpu(__u32 type)
{
	return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

/* Entries of one map, key and value as hex; per-CPU values joined by " | ". */
static void dump_entries(struct np_ctx *ctx, const char *name, int fd,
			 const struct bpf_map_info *info)
{
	int ncpu = is_percpu(info->type) ? libbpf_num_possible_cpus() : 1;
	size_t vsz = is_percpu(info->type) ? ((info->value_size + 7) & ~7u) : info->value_size;
	size_t textlen = (vsz * ncpu) * 3 + ncpu * 3 + 1;
	void *key = calloc(1, info->key_size), *next = calloc(1, info->key_size);
	void *val = calloc(ncpu, vsz);
	char *ktext = malloc(info->key_size * 3 + 1), *vtext = malloc(textlen);
	bool first = true;

	if (info->type == BPF_MAP_TYPE_RINGBUF || !key || !next || !val || !ktext || !vtext)
		goto out;
	while (!bpf_map_get_next_key(fd, first ? NULL : key, next) && !out_broken(ctx->out)) {
		first = false;
		memcpy(key, next, info->key_size);
		if (bpf_map_lookup_elem(fd, key, val))
			continue;
		hex(ktext, info->key_size * 3 + 1, key, info->key_size);
		vtext[0] = '\0';
		for (int c = 0; c < ncpu; c++) {
			size_t len = strlen(vtext);

			if (c)
				len += snprintf(vtext + len, textlen - len, " | ");
			hex(vtext + len, textlen - len, (char *)val + c * vsz, info->value_size);
		}
		out_row_begin(ctx->out);
		out_str(ctx->out, E_MAP, name);
		out_str(ctx->out, E_KEY, ktext);
		out_str(ctx->out, E_VALUE, vtext);
		out_row_end(ctx->out);
	}
out:
	free(key);
	free(next);
	free(val);
	free(ktext);
	free(vtext);
}

/* Pins of one kind, recursing one level (progs/<dev>/<hook>). */
static void walk(struct np_ctx *ctx, const char *rel, int depth,
		 void (*fn)(struct np_ctx *, const char *rel, int fd, void *arg), void *arg)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	np_path(ctx, path, sizeof(path), "%s", rel);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		char sub[PATH_MAX];
		int fd;

		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", rel, de->d_name);
		if (de->d_type == DT_DIR) {
			if (depth)
				walk(ctx, sub, depth - 1, fn, arg);
			continue;
		}
		fd = np_pin_open(ctx, sub);
		if (fd < 0)
			continue;
		fn(ctx, sub, fd, arg);
		close(fd);
	}
	if (d)
		closedir(d);
}

static void map_row(struct np_ctx *ctx, const char *rel, int fd, void *arg)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char extra[128];

	(void)arg;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return;
	snprintf(extra, sizeof(extra), "key %uB value %uB max_entries %u", info.key_size,
		 info.value_size, info.max_entries);
	out_row_begin(ctx->out);
	out_str(ctx->out, P_PIN, rel);
	out_u64(ctx->out, P_ID, info.id);
	out_str(ctx->out, P_TYPE, libbpf_bpf_map_type_str(info.type) ?: "unknown");
	out_str(ctx->out, P_NAME, info.name);
	out_str(ctx->out, P_EXTRA, extra);
	out_row_end(ctx->out);
}

static void map_entries(struct np_ctx *ctx, const char *rel, int fd, void *arg)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	(void)arg;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		dump_entries(ctx, strrchr(rel, '/') + 1, fd, &info);
}

static void prog_row(struct np_ctx *ctx, const char *rel, int fd, void *arg)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	char extra[128];

	(void)arg;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return;
	snprintf(extra, sizeof(extra), "run_cnt %llu run_time_ns %llu",
		 (unsigned long long)info.run_cnt, (unsigned long long)info.run_time_ns);
	out_row_begin(ctx->out);
	out_str(ctx->out, P_PIN, rel);
	out_u64(ctx->out, P_ID, info.id);
	out_str(ctx->out, P_TYPE, libbpf_bpf_prog_type_str(info.type) ?: "unknown");
	out_str(ctx->out, P_NAME, info.name);
	out_str(ctx->out, P_EXTRA, extra);
	out_row_end(ctx->out);
}

static void link_row(struct np_ctx *ctx, const char *rel, int fd, void *arg)
{
	struct np_link_info info;
	char extra[64];

	(void)arg;
	if (np_link_info(fd, &info))
		return;
	snprintf(extra, sizeof(extra), "prog_id %u", info.prog_id);
	out_row_begin(ctx->out);
	out_str(ctx->out, P_PIN, rel);
	out_u64(ctx->out, P_ID, info.id);
	out_str(ctx->out, P_TYPE, np_link_type_name(info.type));
	out_str(ctx->out, P_EXTRA, extra);
	out_row_end(ctx->out);
}

int cmd_dump(struct np_ctx *ctx, int argc, char **argv)
{
	static const char *const words[] = { "maps", "progs", "links", NULL };
	bool want[3] = { true, true, true };
	int err;

	if (argc > 1)
		return np_usage(ctx, "dump: unexpected '%s'", argv[1]);
	if (argc == 1) {
		int k;

		if (np_is_help(argv[0]))
			return np_cmd_help_self(ctx, NULL);
		k = np_kw(ctx, argv[0], words, "dump");
		if (k < 0)
			return NP_EXIT_USAGE;
		for (int i = 0; i < 3; i++)
			want[i] = i == k;
	}
	err = np_state_open(ctx, NP_ST_ANY_LAYOUT);
	if (err)
		return err;
	out_object_begin(ctx->out);
	if (want[0]) {
		out_table_begin(ctx->out, "maps", pin_cols, ARRAY_SIZE(pin_cols), NP_LAYOUT_TABLE);
		walk(ctx, "maps", 0, map_row, NULL);
		out_table_end(ctx->out);
		out_table_begin(ctx->out, "entries", entry_cols, ARRAY_SIZE(entry_cols),
				NP_LAYOUT_TABLE);
		walk(ctx, "maps", 0, map_entries, NULL);
		out_table_end(ctx->out);
	}
	if (want[1]) {
		out_table_begin(ctx->out, "progs", pin_cols, ARRAY_SIZE(pin_cols), NP_LAYOUT_TABLE);
		walk(ctx, "progs", 1, prog_row, NULL);
		out_table_end(ctx->out);
	}
	if (want[2]) {
		out_table_begin(ctx->out, "links", pin_cols, ARRAY_SIZE(pin_cols), NP_LAYOUT_TABLE);
		walk(ctx, "links", 1, link_row, NULL);
		out_table_end(ctx->out);
	}
	out_object_end(ctx->out);
	return NP_EXIT_OK;
}
