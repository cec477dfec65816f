// SPDX-License-Identifier: GPL-2.0
/* The drops probe: skb:kfree_skb as tp_btf, host-wide (bpf/drops.bpf.c). */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "lib/drop_reason.h"
#include "lib/probe.h"
#include "lib/state.h"
#include "drops.skel.h"

#define DROPS_LINK "links/drops/kfree_skb"

/* Reads from BTF whether kfree_skb passes a reason; reports kernels without it. */
static int kfree_skb_reason_arg(struct np_ctx *ctx, bool *has_reason)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int r;

	if (!btf)
		return np_err(ctx, "cannot read the kernel's BTF (/sys/kernel/btf/vmlinux): %s; "
			      "attach drops needs it", strerror(errno));
	r = np_kfree_skb_has_reason(btf);
	btf__free(btf);
	if (r < 0)
		return np_err(ctx, "this kernel has no skb:kfree_skb tracepoint in its BTF");
	*has_reason = r;
	if (!r)
		np_warn(ctx, "kfree_skb passes no drop reason on this kernel: reasons show "
			"as 'unavailable'");
	return 0;
}

int np_attach_drops(struct np_ctx *ctx, const struct np_probe *self,
		    const struct np_attach_args *args)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	char maps[PATH_MAX];
	struct np_drops *skel;
	bool has_reason = true;
	int err;

	(void)self;
	(void)args;
	if (np_pin_exists(ctx, DROPS_LINK))
		return 0;	/* attached: the report says "unchanged" */
	err = kfree_skb_reason_arg(ctx, &has_reason);
	if (err)
		return err;
	np_open_opts(ctx, &opts, maps, sizeof(maps));
	skel = np_drops__open_opts(&opts);
	if (!skel)
		return np_err(ctx, "cannot open the drops program: %s", strerror(errno));
	skel->rodata->has_reason = has_reason;
	err = np_skel_loaded(ctx, np_drops__load(skel), skel->maps.np_meta, "drops");
	err = err ?: np_attach_object_links(ctx, skel->obj, "drops");
	np_drops__destroy(skel);
	return err;
}
