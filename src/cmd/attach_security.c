// SPDX-License-Identifier: GPL-2.0
/*
 * The security probe: port scan and SYN flood detection at TC ingress
 * (bpf/security.bpf.c), pinned as links/<dev>/security_ingress, its one hook
 * in src/cmd/probes.c. The maps it shares (thresholds, alerts, tracking
 * state) are pinned by name, so every device with the probe feeds one set
 * of alerts.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <bpf/bpf.h>

#include "lib/probe.h"
#include "lib/security.h"
#include "lib/state.h"
#include "security.skel.h"

static int security_open_load(struct np_ctx *ctx, struct np_security **out)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	char maps[PATH_MAX];
	struct np_security *skel;
	int err;

	np_open_opts(ctx, &opts, maps, sizeof(maps));
	skel = np_security__open_opts(&opts);
	if (!skel)
		return np_err(ctx, "cannot open the security programs: %s", strerror(errno));
	err = np_skel_loaded(ctx, np_security__load(skel), skel->maps.np_meta, "security");
	if (err) {
		np_security__destroy(skel);
		return err;
	}
	*out = skel;
	return 0;
}

/* A fresh config map holds zeros: write the defaults so they show as set. */
static int config_init(struct np_ctx *ctx, int fd)
{
	struct np_sec_config cfg;
	__u32 key = 0;

	if (!bpf_map_lookup_elem(fd, &key, &cfg) && cfg.set)
		return 0;
	np_sec_config_defaults(&cfg);
	if (bpf_map_update_elem(fd, &key, &cfg, BPF_ANY))
		return np_err(ctx, "cannot write the security thresholds: %s", strerror(errno));
	return 0;
}

int np_attach_security(struct np_ctx *ctx, const struct np_probe *self,
		       const struct np_attach_args *args)
{
	const struct np_dev_hook *hook = &self->hooks[0];
	struct np_security *skel;
	struct np_dev_result res;
	int err;

	if (np_dev_hook_live(ctx, args->dev.dev, hook, args->dev.ifindex))
		return np_dev_hook_keep(ctx, &args->dev, hook, &res);
	err = security_open_load(ctx, &skel);
	if (err)
		return err;
	err = config_init(ctx, bpf_map__fd(skel->maps.np_security_config));
	err = err ?: np_dev_hook_attach(ctx, &args->dev, hook,
					bpf_program__fd(skel->progs.np_security_ingress), &res);
	np_security__destroy(skel);
	return err;
}
