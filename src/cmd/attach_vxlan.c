// SPDX-License-Identifier: GPL-2.0
/*
 * The vxlan probe: bpf/vxlan.bpf.c at TC ingress and egress of the
 * underlay device, pinned as links/DEV/vxlan_ingress and vxlan_egress.
 *
 * The UDP ports parsed as VXLAN or Geneve are kept per device in the
 * pinned np_vxlan_ports map, the value the type (VXLAN: 4789, 8472 and each
 * `vxlan-port N`; Geneve: 6081 and each `geneve-port N`), so that a later
 * `attach DEV vxlan vxlan-port N` adds a port without reloading anything.
 * IP-in-IP needs no port.
 * A fresh attachment starts from a clean slate: entries another attachment
 * left for the same ifindex are removed first.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "lib/maps.h"
#include "lib/overlay.h"
#include "lib/probe.h"
#include "lib/state.h"
#include "vxlan.skel.h"

/* Maps with per-device entries, and where the ifindex sits in their keys. */
static const struct {
	const char *map;
	size_t ifindex_off;
} per_device[] = {
	{ "np_vxlan_ports", offsetof(struct np_vxlan_port_key, ifindex) },
	{ "np_vxlan_tunnels", offsetof(struct np_vxlan_tunnel_key, ifindex) },
	{ "np_vxlan_flows", offsetof(struct np_vxlan_flow_key, inner.ifindex) },
	{ "np_vxlan_counters", offsetof(struct np_stats_key, ifindex) },
};

/* Removes everything the vxlan maps hold for ifindex. */
static void vxlan_forget(struct np_ctx *ctx, __u32 ifindex)
{
	for (size_t i = 0; i < ARRAY_SIZE(per_device); i++) {
		int fd = np_map_open(ctx, per_device[i].map);

		if (fd < 0)
			continue;
		np_map_purge_ifindex(fd, per_device[i].ifindex_off, ifindex, NULL);
		close(fd);
	}
}

static const char *type_name(__u8 type)
{
	return type == NP_TUN_GENEVE ? "Geneve" : "VXLAN";
}

/* One port of a type: added, or retyped (vxlan-port 6081); noted if the probe is live. */
static int port_add(struct np_ctx *ctx, int fd, const struct np_attach_args *args,
		    unsigned int port, __u8 type, bool live)
{
	struct np_vxlan_port_key key = { .ifindex = args->dev.ifindex, .port = port };
	__u8 old = 0;

	if (!bpf_map_lookup_elem(fd, &key, &old) && old == type)
		return 0;
	if (bpf_map_update_elem(fd, &key, &type, BPF_ANY))
		return np_err(ctx, "cannot add %s port %u for %s: %s", type_name(type), port,
			      args->dev.dev, strerror(errno));
	if (live || old)
		np_info(ctx, "%s: UDP port %u is now parsed as %s", args->dev.dev, port,
			type_name(type));
	return 0;
}

/*
 * Adds the default ports and args' extra ports; notes ports new to a live
 * probe. A port given by keyword wins over a default of the other type.
 */
static int ports_add(struct np_ctx *ctx, const struct np_attach_args *args, bool live)
{
	static const struct { unsigned int port; __u8 type; } defaults[] = {
		{ NP_VXLAN_PORT_IANA, NP_TUN_VXLAN },
		{ NP_VXLAN_PORT_LINUX, NP_TUN_VXLAN },
		{ NP_GENEVE_PORT, NP_TUN_GENEVE },
	};
	int fd, err = 0;

	fd = np_map_open(ctx, "np_vxlan_ports");
	if (fd < 0)
		return np_err(ctx, "cannot open %s/maps/np_vxlan_ports: %s", ctx->pin_root,
			      strerror(-fd));
	for (size_t i = 0; i < ARRAY_SIZE(defaults) && !err; i++) {
		struct np_vxlan_port_key key = { .ifindex = args->dev.ifindex,
						 .port = defaults[i].port };
		__u8 old;

		/* Only where no keyword made the port another type. */
		if (!bpf_map_lookup_elem(fd, &key, &old))
			continue;
		err = port_add(ctx, fd, args, defaults[i].port, defaults[i].type, live);
	}
	for (int i = 0; i < args->nvxlan_ports && !err; i++)
		err = port_add(ctx, fd, args, args->vxlan_ports[i], NP_TUN_VXLAN, live);
	for (int i = 0; i < args->ngeneve_ports && !err; i++)
		err = port_add(ctx, fd, args, args->geneve_ports[i], NP_TUN_GENEVE, live);
	close(fd);
	return err;
}

/* The pinned inner-flow table keeps its size; flows N sizes a new one. */
static void flows_size(struct np_ctx *ctx, const struct np_attach_args *args,
		       struct np_vxlan *skel)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = np_map_open(ctx, "np_vxlan_flows");
	__u32 size = args->flow_entries ? args->flow_entries : NP_VXLAN_FLOWS_DEFAULT;

	if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len)) {
		if (args->flow_entries && info.max_entries != args->flow_entries)
			np_warn(ctx, "np_vxlan_flows exists with %u entries; 'flows %llu' applies "
				"once every vxlan probe is detached", info.max_entries,
				(unsigned long long)args->flow_entries);
		size = info.max_entries;
	}
	if (fd >= 0)
		close(fd);
	bpf_map__set_max_entries(skel->maps.np_vxlan_flows, size);
}

static int vxlan_open_load(struct np_ctx *ctx, const struct np_attach_args *args,
			   struct np_vxlan **out)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	char maps[PATH_MAX];
	struct np_vxlan *skel;
	int err;

	np_open_opts(ctx, &opts, maps, sizeof(maps));
	skel = np_vxlan__open_opts(&opts);
	if (!skel)
		return np_err(ctx, "cannot open the vxlan programs: %s", strerror(errno));
	flows_size(ctx, args, skel);
	err = np_skel_loaded(ctx, np_vxlan__load(skel), skel->maps.np_meta, "vxlan");
	if (err) {
		np_vxlan__destroy(skel);
		return err;
	}
	*out = skel;
	return 0;
}

static int hooks_attach(struct np_ctx *ctx, const struct np_probe *self,
			const struct np_attach_args *args, struct np_vxlan *skel)
{
	bool made[NP_PROBE_HOOKS_MAX] = { false };
	int err = 0, i = 0;

	np_for_each_probe_hook(self, hook) {
		struct bpf_program *prog = hook->kind == NP_KIND_TC_EGRESS
						   ? skel->progs.np_vxlan_egress
						   : skel->progs.np_vxlan_ingress;
		struct np_dev_result res;

		err = err ?: np_dev_hook_attach(ctx, &args->dev, hook, bpf_program__fd(prog), &res);
		made[i++] = !err && !res.existed;
	}
	/* Half a probe counts only one direction: take back what this call made. */
	if (err) {
		i = 0;
		np_for_each_probe_hook(self, hook)
			if (made[i++])
				np_dev_hook_detach(ctx, args->dev.dev, hook);
	}
	return err;
}

/* The tunnels are seen on the underlay; on a vxlan device itself only inner frames pass. */
static void warn_if_overlay(struct np_ctx *ctx, const struct np_attach_args *args)
{
	struct np_overlay ov;
	char under[IF_NAMESIZE];

	if (np_overlay_read(&ov))
		goto out;
	for (int i = 0; i < ov.nlinks; i++) {
		if (ov.links[i].ifindex != args->dev.ifindex)
			continue;
		if (ov.links[i].underlay && if_indextoname(ov.links[i].underlay, under))
			np_warn(ctx, "%s is a vxlan device: its tunnel packets pass on %s; "
				"try 'netprobe attach %s vxlan'", args->dev.dev, under, under);
		else
			np_warn(ctx, "%s is a vxlan device: attach its underlay device instead",
				args->dev.dev);
	}
out:
	np_overlay_free(&ov);
}

int np_attach_vxlan(struct np_ctx *ctx, const struct np_probe *self,
		    const struct np_attach_args *args)
{
	struct np_vxlan *skel;
	bool all = true, any = false;
	int err = 0;

	np_for_each_probe_hook(self, hook) {
		bool live = np_dev_hook_live(ctx, args->dev.dev, hook, args->dev.ifindex);

		all &= live;
		any |= live;
	}
	if (all) {
		struct np_dev_result res;

		np_for_each_probe_hook(self, hook)
			err = err ?: np_dev_hook_keep(ctx, &args->dev, hook, &res);
		return err ?: ports_add(ctx, args, true);
	}
	err = vxlan_open_load(ctx, args, &skel);
	if (err)
		return err;
	if (!any) {
		warn_if_overlay(ctx, args);
		vxlan_forget(ctx, args->dev.ifindex);
	}
	err = ports_add(ctx, args, any);
	err = err ?: hooks_attach(ctx, self, args, skel);
	if (err && !any)
		vxlan_forget(ctx, args->dev.ifindex);
	np_vxlan__destroy(skel);
	return err;
}

int np_detach_vxlan(struct np_ctx *ctx, const struct np_probe *self, const char *dev)
{
	struct np_device rec;
	bool have = np_dev_record_get(ctx, dev, &rec) == 0;
	int err = np_probe_detach_hooks(ctx, self, dev);

	if (have && (rec.hooks & np_probe_bits(self)))
		vxlan_forget(ctx, rec.ifindex);
	return err;
}
