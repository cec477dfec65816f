// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "device.h"
#include "hooks_report.h"
#include "link.h"
#include "netns.h"
#include "out.h"
#include "state.h"

static int list_progs(struct np_ctx *ctx, const char *dir, char ***names, int *n)
{
	char path[PATH_MAX], dn[NP_DIR_MAX];
	struct dirent *de;
	DIR *d;

	*names = NULL;
	*n = 0;
	np_path(ctx, path, sizeof(path), "progs/%s", np_dir_name(dir, dn));
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char **nv;

		if (de->d_name[0] == '.' || np_is_tmp_pin(de->d_name))
			continue;
		nv = realloc(*names, (*n + 1) * sizeof(char *));
		if (!nv)
			break;
		*names = nv;
		(*names)[(*n)++] = strdup(de->d_name);
	}
	closedir(d);
	np_names_sort(*names, *n);
	return 0;
}

static __u32 pinned_prog_id(struct np_ctx *ctx, const char *dir, const char *name)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	char rel[PATH_MAX], d[NP_DIR_MAX];
	int fd;

	snprintf(rel, sizeof(rel), "progs/%s/%s", np_dir_name(dir, d), name);
	fd = np_pin_open(ctx, rel);
	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.id = 0;
	close(fd);
	return info.id;
}

void np_hooks_snapshot(struct np_ctx *ctx, const char *dir, struct np_hooks_snapshot *s)
{
	list_progs(ctx, dir, &s->names, &s->n);
	s->prog_ids = calloc(s->n ? s->n : 1, sizeof(*s->prog_ids));
	for (int i = 0; i < s->n && s->prog_ids; i++)
		s->prog_ids[i] = pinned_prog_id(ctx, dir, s->names[i]);
}

void np_hooks_snapshot_free(struct np_hooks_snapshot *s)
{
	np_names_free(s->names, s->n);
	free(s->prog_ids);
	s->names = NULL;
	s->prog_ids = NULL;
	s->n = 0;
}

void np_hooks_target(struct np_out *o, int target_col, int if_col, int probe_col,
		     const char *dir, const char *hook)
{
	out_str(o, target_col, dir);
	out_str(o, np_dev_hook_by_name(hook) ? if_col : probe_col, dir);
}

void np_hook_view(struct np_ctx *ctx, const char *dir, const char *name, struct np_hook_view *v)
{
	const struct np_dev_hook *hook = np_dev_hook_by_name(name);
	struct bpf_prog_info pinfo = {};
	struct np_link_info linfo;
	struct np_device rec;
	__u32 len = sizeof(pinfo);
	char rel[PATH_MAX], d[NP_DIR_MAX];
	bool is_dev = hook && np_dev_record_get(ctx, dir, &rec) == 0;
	bool link_ok = false;
	int fd;

	memset(v, 0, sizeof(*v));
	snprintf(rel, sizeof(rel), "progs/%s/%s", np_dir_name(dir, d), name);
	fd = np_pin_open(ctx, rel);
	if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &pinfo, &len)) {
		v->prog_id = pinfo.id;
		v->run_cnt = pinfo.run_cnt;
		v->run_time_ns = pinfo.run_time_ns;
	}
	if (fd >= 0)
		close(fd);
	snprintf(rel, sizeof(rel), "links/%s/%s", d, name);
	fd = np_pin_open(ctx, rel);
	if (fd >= 0 && !np_link_info(fd, &linfo)) {
		v->link_id = linfo.id;
		v->link_type = np_link_type_name(linfo.type);
		link_ok = true;
	}
	if (fd >= 0)
		close(fd);
	if (is_dev) {
		enum np_hook_state st = np_dev_hook_state(ctx, dir, &rec, hook, v->now);

		v->state = np_hook_state_name(st);
		v->mode = np_dev_hook_mode(hook, &rec);
		if (rec.clsact & hook->bit)
			v->link_type = "cls_bpf";
	} else {
		/* A host probe's link, or a device pin without its record. */
		v->state = link_ok && !hook ? "ok" : "defunct";
	}
	if (!v->link_type)
		v->link_type = "-";
	if (!v->mode)
		v->mode = v->link_type;
}

enum { C_TARGET, C_IF, C_PROBE, C_HOOK, C_MODE, C_PROG, C_LINK, C_STATE };

static const struct np_col cols[] = {
	[C_TARGET] = { NULL, "TARGET", -12, NP_K_STR },
	[C_IF] = { "interface", NULL, 0, NP_K_STR },
	[C_PROBE] = { "probe", NULL, 0, NP_K_STR },
	[C_HOOK] = { "hook", "HOOK", -28, NP_K_STR },
	[C_MODE] = { "mode", "MODE", -14, NP_K_STR },
	[C_PROG] = { "prog_id", "PROG", 6, NP_K_U64 },
	[C_LINK] = { "link_id", "LINK", 6, NP_K_U64 },
	[C_STATE] = { "state", "STATE", -10, NP_K_STR },
};

void np_hooks_report(struct np_ctx *ctx, const char *dir, const struct np_hooks_snapshot *before)
{
	char **names;
	int n;

	list_progs(ctx, dir, &names, &n);
	out_table_begin(ctx->out, NULL, cols, ARRAY_SIZE(cols), NP_LAYOUT_TABLE);
	for (int i = 0; i < n; i++) {
		struct np_hook_view v;
		bool existed = false;

		np_hook_view(ctx, dir, names[i], &v);
		for (int j = 0; j < before->n; j++)
			existed |= !strcmp(before->names[j], names[i]) && before->prog_ids &&
				   before->prog_ids[j] == v.prog_id;
		out_row_begin(ctx->out);
		np_hooks_target(ctx->out, C_TARGET, C_IF, C_PROBE, dir, names[i]);
		out_str(ctx->out, C_HOOK, names[i]);
		out_str(ctx->out, C_MODE, v.mode);
		out_u64(ctx->out, C_PROG, v.prog_id);
		if (v.link_id)
			out_u64(ctx->out, C_LINK, v.link_id);
		out_str(ctx->out, C_STATE, existed ? "unchanged" : "attached");
		out_row_end(ctx->out);
	}
	out_table_end(ctx->out);
	np_names_free(names, n);
}
