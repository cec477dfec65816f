// SPDX-License-Identifier: GPL-2.0
/*
 * The tc and xdp probes: traffic counters and flow table (bpf/traffic.bpf.c)
 * at the hooks their entries in src/cmd/probes.c list.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <bpf/bpf.h>

#include "lib/probe.h"
#include "lib/state.h"
#include "traffic.skel.h"

/* Devices whose frames start at the IP header (tun, wireguard, ipip). */
static bool has_no_link_header(const char *dev)
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool raw = false;

	if (fd < 0)
		return false;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (!ioctl(fd, SIOCGIFHWADDR, &ifr))
		raw = ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER &&
		      ifr.ifr_hwaddr.sa_family != ARPHRD_LOOPBACK;
	close(fd);
	return raw;
}

/*
 * The flow table's size: the pinned table's if there is one (libbpf only
 * reuses a pin whose size matches), else flows N, else the default. A
 * pinned table is never resized: that would drop every flow of every device.
 */
static int flow_table_size(struct np_ctx *ctx, const struct np_attach_args *args, __u32 *size)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = np_map_open(ctx, "np_flows"), err;

	if (fd == -ENOENT) {
		*size = args->flow_entries ?: NP_FLOW_ENTRIES_DEFAULT;
		return 0;
	}
	if (fd < 0)
		return np_err(ctx, "cannot open %s/maps/np_flows: %s", ctx->pin_root,
			      strerror(-fd));
	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	close(fd);
	if (err)
		return np_err(ctx, "cannot read the flow table: %s", strerror(errno));
	if (args->flow_entries && args->flow_entries != info.max_entries)
		return np_err(ctx, "the flow table already has %u entries, not %llu: run "
			      "'netprobe detach all' first to resize it (that drops all flows)",
			      info.max_entries, (unsigned long long)args->flow_entries);
	*size = info.max_entries;
	return 0;
}

/* The program of skel that runs at hook. */
static struct bpf_program *hook_prog(struct np_traffic *skel, const struct np_dev_hook *hook)
{
	if (hook->kind == NP_KIND_XDP)
		return skel->progs.np_xdp;
	if (hook->kind == NP_KIND_TC_INGRESS)
		return skel->progs.np_tc_ingress;
	return skel->progs.np_tc_egress;
}

/* Attaches the programs of skel at the hooks of probe self on args->dev. */
static int attach_hooks(struct np_ctx *ctx, const struct np_attach_args *args,
			struct np_traffic *skel, const struct np_probe *self)
{
	np_for_each_probe_hook(self, hook) {
		struct np_dev_result res;
		int err;

		err = np_dev_hook_attach(ctx, &args->dev, hook, bpf_program__fd(hook_prog(skel, hook)),
					 &res);
		if (err)
			return err;
		if (hook->kind == NP_KIND_XDP && !res.existed && res.mode == NP_XDP_GENERIC)
			np_info(ctx, "%s: XDP runs in generic mode", args->dev.dev);
	}
	return 0;
}

/*
 * Opens and loads the programs of self's hooks, with the maps pinned or
 * made: each device has programs of its own (np_raw_ip), and the verifier
 * takes a third of a second for each, so the others are not loaded.
 */
static int traffic_open_load(struct np_ctx *ctx, const struct np_attach_args *args,
			     const struct np_probe *self, __u32 flow_entries,
			     struct np_traffic **out)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	struct bpf_program *prog;
	char maps[PATH_MAX];
	struct np_traffic *skel;
	int err;

	np_open_opts(ctx, &opts, maps, sizeof(maps));
	skel = np_traffic__open_opts(&opts);
	if (!skel)
		return np_err(ctx, "cannot open the traffic programs: %s", strerror(errno));
	skel->rodata->np_raw_ip = has_no_link_header(args->dev.dev);
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, false);
	np_for_each_probe_hook(self, hook)
		bpf_program__set_autoload(hook_prog(skel, hook), true);
	err = bpf_map__set_max_entries(skel->maps.np_flows, flow_entries);
	err = np_skel_loaded(ctx, err ?: np_traffic__load(skel), skel->maps.np_meta, "traffic");
	if (err) {
		np_traffic__destroy(skel);
		return err;
	}
	*out = skel;
	return 0;
}

/* Returns true when all hooks of self are already live: no need to load. */
static bool all_live(struct np_ctx *ctx, const struct np_attach_args *args,
		     const struct np_probe *self)
{
	np_for_each_probe_hook(self, hook)
		if (!np_dev_hook_live(ctx, args->dev.dev, hook, args->dev.ifindex))
			return false;
	return true;
}

int np_k8s_sync(struct np_ctx *ctx, __u64 *entries, __u64 *removed, bool *enabled);

/* On a Kubernetes node the class trie is written with the programs (k8s sync). */
static void k8s_sync_quietly(struct np_ctx *ctx)
{
	__u64 entries, removed;
	bool enabled;
	int err = np_k8s_sync(ctx, &entries, &removed, &enabled);

	if (err)
		np_warn(ctx, "Kubernetes classes not written: %s", strerror(-err));
	else if (enabled)
		np_info(ctx, "Kubernetes: %llu prefixes classify traffic (netprobe k8s sync "
			"renews them)", (unsigned long long)entries);
}

static int traffic_attach(struct np_ctx *ctx, const struct np_attach_args *args,
			  const struct np_probe *self)
{
	struct np_traffic *skel;
	__u32 flow_entries = 0;
	int err;

	/* Checked even when attached: flows N must not be silently ignored. */
	err = flow_table_size(ctx, args, &flow_entries);
	if (err)
		return err;
	if (all_live(ctx, args, self)) {
		np_for_each_probe_hook(self, hook) {
			struct np_dev_result res;

			err = err ?: np_dev_hook_keep(ctx, &args->dev, hook, &res);
		}
		return err;
	}
	err = traffic_open_load(ctx, args, self, flow_entries, &skel);
	if (err)
		return err;
	err = attach_hooks(ctx, args, skel, self);
	np_traffic__destroy(skel);
	if (!err)
		k8s_sync_quietly(ctx);
	return err;
}

static bool is_veth(const char *dev)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = { .ifr_data = (void *)&info };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool veth;

	if (fd < 0)
		return false;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	veth = !ioctl(fd, SIOCETHTOOL, &ifr) && !strcmp(info.driver, "veth");
	close(fd);
	return veth;
}

int np_attach_tc(struct np_ctx *ctx, const struct np_probe *self,
		 const struct np_attach_args *args)
{
	return traffic_attach(ctx, args, self);
}

int np_attach_xdp(struct np_ctx *ctx, const struct np_probe *self,
		  const struct np_attach_args *args)
{
	if (is_veth(args->dev.dev) && !all_live(ctx, args, self))
		np_warn(ctx, "%s is a veth: XDP on veth disables GRO and can cut TCP "
			"throughput several times; the default tc hooks do not", args->dev.dev);
	return traffic_attach(ctx, args, self);
}
