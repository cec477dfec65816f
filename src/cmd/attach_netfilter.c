// SPDX-License-Identifier: GPL-2.0
/*
 * The netfilter probe: one BPF netfilter link (kernel 6.4+) per IPv4/IPv6
 * inet hook of the caller's network namespace (bpf/netfilter.bpf.c).
 *
 * Netfilter hooks belong to a network namespace and a link attaches in the
 * namespace of the process that creates it, so the pins carry the
 * namespace inode: links/netfilter/<family>_<hook>_<netns>. Attaching from
 * several namespaces (nsenter --net=...) gives each its own links.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>

#include "lib/link.h"
#include "lib/netfilter.h"
#include "lib/netns.h"
#include "lib/probe.h"
#include "lib/state.h"
#include "netfilter.skel.h"

/* First in each hook (NF_IP_PRI_FIRST itself is refused): every packet the hook sees. */
#define NF_PRIORITY	(INT_MIN + 1)

#define NO_NF_LINKS	"this kernel has no BPF netfilter links (6.4+)"

static bool kernel_has_nf_links(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool has = btf && btf__find_by_name_kind(btf, "bpf_nf_ctx", BTF_KIND_STRUCT) > 0;

	btf__free(btf);
	return has;
}

static bool all_pinned(struct np_ctx *ctx, __u32 netns)
{
	char name[NP_NF_PIN_MAX], rel[PATH_MAX];

	for (int f = 0; f < NP_NF_NFAMILIES; f++)
		for (int h = 0; h < NP_NF_NHOOKS; h++) {
			np_nf_pin_name(name, sizeof(name), f, h, netns);
			snprintf(rel, sizeof(rel), "links/netfilter/%s", name);
			if (!np_pin_exists(ctx, rel))
				return false;
		}
	return true;
}

static int nf_open_load(struct np_ctx *ctx, struct np_netfilter **out)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	struct np_netfilter *skel;
	char maps[PATH_MAX];
	int err;

	np_open_opts(ctx, &opts, maps, sizeof(maps));
	skel = np_netfilter__open_opts(&opts);
	if (!skel)
		return np_err(ctx, "cannot open the netfilter program: %s", strerror(errno));
	/* libbpf 1.1 does not know SEC("netfilter"); newer ones set the same. */
	bpf_program__set_type(skel->progs.nf_count, NP_BPF_PROG_TYPE_NETFILTER);
	bpf_program__set_expected_attach_type(skel->progs.nf_count, NP_BPF_NETFILTER);
	err = np_skel_loaded(ctx, np_netfilter__load(skel), skel->maps.np_meta, "netfilter");
	if (err) {
		np_netfilter__destroy(skel);
		return err;
	}
	*out = skel;
	return 0;
}

/* Creates and pins the link of one family/hook; returns 0 or -errno. */
static int nf_link_one(struct np_ctx *ctx, int prog_fd, int f, int h, const char *name)
{
	struct { __u32 pf; __u32 hooknum; __s32 priority; __u32 flags; } nf = {
		.pf = np_nf_families[f].pf, .hooknum = h, .priority = NF_PRIORITY,
	};
	char rel[PATH_MAX];
	int fd, err;

	fd = np_link_create(prog_fd, 0, NP_BPF_NETFILTER, 0, &nf, sizeof(nf));
	if (fd < 0)
		return fd;
	snprintf(rel, sizeof(rel), "links/netfilter/%s", name);
	err = np_pin_atomic(ctx, fd, rel);
	close(fd);	/* the pin holds the link now */
	snprintf(rel, sizeof(rel), "progs/netfilter/%s", name);
	err = err ?: np_pin_atomic(ctx, prog_fd, rel);
	if (err)
		np_unpin_hook(ctx, "netfilter", name);
	return err;
}

/* Links every hook not pinned yet; on failure removes what this call made. */
static int nf_link_all(struct np_ctx *ctx, int prog_fd, __u32 netns)
{
	char made[NP_NF_NFAMILIES * NP_NF_NHOOKS][NP_NF_PIN_MAX], rel[PATH_MAX];
	int nmade = 0, err = 0;

	for (int f = 0; f < NP_NF_NFAMILIES && !err; f++)
		for (int h = 0; h < NP_NF_NHOOKS && !err; h++) {
			char *name = made[nmade];

			np_nf_pin_name(name, NP_NF_PIN_MAX, f, h, netns);
			snprintf(rel, sizeof(rel), "links/netfilter/%s", name);
			if (np_pin_exists(ctx, rel))
				continue;
			err = nf_link_one(ctx, prog_fd, f, h, name);
			if (!err)
				nmade++;
			else if (!nmade && (err == -EINVAL || err == -EOPNOTSUPP))
				err = np_err(ctx, NO_NF_LINKS " (%s)", strerror(-err));
			else
				err = np_err(ctx, "cannot link the netfilter %s %s hook: %s",
					     np_nf_families[f].name, np_nf_hooks[h], strerror(-err));
		}
	for (int i = 0; err && i < nmade; i++)
		np_unpin_hook(ctx, "netfilter", made[i]);
	return err;
}

int np_attach_netfilter(struct np_ctx *ctx, const struct np_probe *self,
			const struct np_attach_args *args)
{
	struct np_netfilter *skel;
	__u32 netns = np_netns_self();
	int err;

	(void)self;
	(void)args;
	if (!kernel_has_nf_links())
		return np_err(ctx, NO_NF_LINKS);
	if (!netns)
		return np_err(ctx, "cannot read /proc/self/ns/net: %s", strerror(errno));
	if (all_pinned(ctx, netns))
		return 0;	/* the report says "unchanged" */
	err = np_mkdirs(ctx, "links/netfilter") ?: np_mkdirs(ctx, "progs/netfilter");
	if (err)
		return np_err(ctx, "cannot create %s/links/netfilter: %s", ctx->pin_root,
			      strerror(-err));
	err = nf_open_load(ctx, &skel);
	if (err)
		return err;
	err = nf_link_all(ctx, bpf_program__fd(skel->progs.nf_count), netns);
	np_netfilter__destroy(skel);
	return err;
}
