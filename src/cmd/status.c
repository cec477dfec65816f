// SPDX-License-Identifier: GPL-2.0
/* netprobe status: what is attached where, with ids, modes and run stats. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "lib/cmd.h"
#include "lib/flowtable.h"
#include "lib/hooks_report.h"
#include "lib/out.h"
#include "lib/state.h"
#include "../bpf/netprobe.h"

enum { A_TARGET, A_IF, A_PROBE, A_HOOK, A_TYPE, A_MODE, A_PROG, A_LINK, A_STATE, A_NOW, A_RUNS, A_RUNTIME, A_AVG };

static const struct np_col att_cols[] = {
	[A_TARGET] = { NULL, "TARGET", -12, NP_K_STR },
	[A_IF] = { "interface", NULL, 0, NP_K_STR },
	[A_PROBE] = { "probe", NULL, 0, NP_K_STR },
	[A_HOOK] = { "hook", "HOOK", -28, NP_K_STR },
	[A_TYPE] = { "link_type", "LINK TYPE", -14, NP_K_STR },
	[A_MODE] = { "mode", "MODE", -14, NP_K_STR },
	[A_PROG] = { "prog_id", "PROG", 6, NP_K_U64 },
	[A_LINK] = { "link_id", "LINK", 6, NP_K_U64 },
	[A_STATE] = { "state", "STATE", -9, NP_K_STR },
	[A_NOW] = { "current_name", NULL, 0, NP_K_STR },
	[A_RUNS] = { "run_cnt", "RUNS", 10, NP_K_COUNT },
	[A_RUNTIME] = { "run_time_ns", NULL, 0, NP_K_U64 },
	[A_AVG] = { "ns_per_run", "NS/RUN", 8, NP_K_RATE },
};

enum { M_NAME, M_TYPE, M_ID, M_KEY, M_VALUE, M_MAX };

static const struct np_col map_cols[] = {
	[M_NAME] = { "name", "MAP", -16, NP_K_STR },
	[M_TYPE] = { "type", "TYPE", -16, NP_K_STR },
	[M_ID] = { "id", "ID", 6, NP_K_U64 },
	[M_KEY] = { "key_size", "KEY", 5, NP_K_U64 },
	[M_VALUE] = { "value_size", "VALUE", 6, NP_K_U64 },
	[M_MAX] = { "max_entries", "MAX ENTRIES", 12, NP_K_U64 },
};

static bool bpf_stats_enabled(void)
{
	FILE *f = fopen("/proc/sys/kernel/bpf_stats_enabled", "r");
	int v = 0;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v == 1;
}

static void print_attachments(struct np_ctx *ctx)
{
	char **dirs;
	int n;

	out_table_begin(ctx->out, "attachments", att_cols, ARRAY_SIZE(att_cols),
			NP_LAYOUT_TABLE);
	np_state_dirs(ctx, &dirs, &n);
	for (int i = 0; i < n; i++) {
		struct np_hooks_snapshot hooks;

		np_hooks_snapshot(ctx, dirs[i], &hooks);
		for (int j = 0; j < hooks.n; j++) {
			struct np_hook_view v;

			np_hook_view(ctx, dirs[i], hooks.names[j], &v);
			out_row_begin(ctx->out);
			np_hooks_target(ctx->out, A_TARGET, A_IF, A_PROBE, dirs[i], hooks.names[j]);
			out_str(ctx->out, A_HOOK, hooks.names[j]);
			out_str(ctx->out, A_TYPE, v.link_type);
			out_str(ctx->out, A_MODE, v.mode);
			out_u64(ctx->out, A_PROG, v.prog_id);
			if (v.link_id)
				out_u64(ctx->out, A_LINK, v.link_id);
			out_str(ctx->out, A_STATE, v.state);
			if (v.now[0] && strcmp(v.now, dirs[i]))
				out_str(ctx->out, A_NOW, v.now);
			out_u64(ctx->out, A_RUNS, v.run_cnt);
			out_u64(ctx->out, A_RUNTIME, v.run_time_ns);
			if (v.run_cnt)
				out_double(ctx->out, A_AVG, (double)v.run_time_ns / v.run_cnt);
			out_row_end(ctx->out);
		}
		np_hooks_snapshot_free(&hooks);
	}
	np_names_free(dirs, n);
	out_table_end(ctx->out);
}

static const char *map_type_name(__u32 type)
{
	switch (type) {
	case BPF_MAP_TYPE_HASH: return "hash";
	case BPF_MAP_TYPE_ARRAY: return "array";
	case BPF_MAP_TYPE_PERCPU_HASH: return "percpu_hash";
	case BPF_MAP_TYPE_PERCPU_ARRAY: return "percpu_array";
	case BPF_MAP_TYPE_LRU_HASH: return "lru_hash";
	case BPF_MAP_TYPE_LRU_PERCPU_HASH: return "lru_percpu_hash";
	case BPF_MAP_TYPE_RINGBUF: return "ringbuf";
	default: return "other";
	}
}

static void print_maps(struct np_ctx *ctx)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	out_table_begin(ctx->out, "maps", map_cols, ARRAY_SIZE(map_cols), NP_LAYOUT_TABLE);
	np_path(ctx, path, sizeof(path), "maps");
	d = opendir(path);
	while (d && (de = readdir(d))) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		int fd;

		if (de->d_name[0] == '.')
			continue;
		fd = np_map_open(ctx, de->d_name);
		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len)) {
			out_row_begin(ctx->out);
			out_str(ctx->out, M_NAME, de->d_name);
			out_str(ctx->out, M_TYPE, map_type_name(info.type));
			out_u64(ctx->out, M_ID, info.id);
			out_u64(ctx->out, M_KEY, info.key_size);
			out_u64(ctx->out, M_VALUE, info.value_size);
			out_u64(ctx->out, M_MAX, info.max_entries);
			out_row_end(ctx->out);
		}
		close(fd);
	}
	if (d)
		closedir(d);
	out_table_end(ctx->out);
}

static void print_meta(struct np_ctx *ctx)
{
	struct np_meta meta = {};
	__u32 key = 0;
	int fd = np_map_open(ctx, "np_meta");

	if (fd >= 0 && !bpf_map_lookup_elem(fd, &key, &meta)) {
		char when[64];

		meta.version[sizeof(meta.version) - 1] = '\0';
		out_kv_u64(ctx->out, "layout", "layout:", meta.layout);
		out_kv_str(ctx->out, "pinned_by", "pinned by:", meta.version);
		if (out_format(ctx->out) == NP_FMT_JSON)
			fmt_rfc3339(when, sizeof(when), meta.created_ns);
		else
			fmt_localtime(when, sizeof(when), meta.created_ns);
		out_kv_str(ctx->out, "created", "created:", when);
	}
	if (fd >= 0)
		close(fd);
}

/* Flow table size, use and losses; entries are counted by reading the table. */
static void print_flow_table(struct np_ctx *ctx)
{
	struct np_flow_summary sum;
	__u64 entries;
	int fd = np_map_open(ctx, "np_flows");

	if (fd < 0)
		return;
	if (np_flow_table_count(fd, &entries) || np_flow_summary_read(ctx, entries, &sum)) {
		close(fd);
		return;
	}
	close(fd);
	out_kv_u64(ctx->out, "flows_max_entries", "flow table size:", sum.max_entries);
	out_kv_u64(ctx->out, "flows_entries", "flow entries:", sum.entries);
	out_kv_u64(ctx->out, "flows_inserts", "flow inserts:", sum.kernel.inserts);
	out_kv_u64(ctx->out, "flows_evictions", "flow evictions:", sum.evictions);
	out_kv_u64(ctx->out, "flows_insert_failures", "flow insert fails:",
		   sum.kernel.insert_failures);
	out_kv_u64(ctx->out, "flows_flushed", "flows flushed:", sum.deleted);
	out_kv_u64(ctx->out, "flows_truncated", "truncated packets:", sum.kernel.truncated);
	out_kv_u64(ctx->out, "flows_fragments", "later fragments:", sum.kernel.fragments);
	out_kv_u64(ctx->out, "flows_non_ip", "non-IP frames:", sum.kernel.non_ip);
}

int cmd_status(struct np_ctx *ctx, int argc, char **argv)
{
	int ret;

	if (argc && np_is_help(argv[0]))
		return np_cmd_help_self(ctx, NULL);
	if (argc)
		return np_usage(ctx, "status: unexpected '%s'", argv[0]);
	ret = np_state_open(ctx, NP_ST_MAY_BE_EMPTY);
	if (ret && ret != NP_STATE_EMPTY)
		return ret;
	out_object_begin(ctx->out);
	out_kv_str(ctx->out, "version", "netprobe:", NP_VERSION);
	out_kv_str(ctx->out, "pin_root", "pin root:", ctx->pin_root);
	out_kv_bool(ctx->out, "attached", "attached:", ret == 0);
	out_kv_bool(ctx->out, "bpf_stats_enabled", "bpf stats:", bpf_stats_enabled());
	if (ret == 0) {
		print_meta(ctx);
		print_flow_table(ctx);
		print_attachments(ctx);
		print_maps(ctx);
	}
	out_object_end(ctx->out);
	return NP_EXIT_OK;
}
