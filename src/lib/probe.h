/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Probes are what `attach` and `detach` take as keywords. A device probe
 * (tc, xdp, ...) puts programs on a network device, pinned under
 * links/<dev>/ and progs/<dev>/; a host probe (socket, drops, netfilter)
 * is host-wide and pinned under links/<name>/ and progs/<name>/.
 */
#ifndef NP_PROBE_H
#define NP_PROBE_H

#include "device.h"

struct np_attach_args {
	struct np_dev_req dev;		/* dev.dev is NULL for host probes */
	__u64 flow_entries;		/* flows N, 0 = keep or default */
	unsigned int vxlan_ports[8];	/* vxlan-port N, extra UDP ports */
	int nvxlan_ports;
};

/* The keywords of `attach DEV` that tune a probe; each applies to some. */
enum np_attach_opt {
	NP_OPT_MODE = 1 << 0,		/* mode native|generic */
	NP_OPT_TC_MODE = 1 << 1,	/* tc-mode tcx|clsact */
	NP_OPT_FLOWS = 1 << 2,		/* flows N */
	NP_OPT_VXLAN_PORT = 1 << 3,	/* vxlan-port N */
};

struct np_probe {
	const char *name;
	bool per_device;
	bool in_all;			/* part of `attach DEV all` */
	const char *help;
	unsigned int options;		/* NP_OPT_* that apply to it */
	__u32 dev_bits;			/* NP_DEV_* bits of its hooks in np_devices */
	int (*attach)(struct np_ctx *ctx, const struct np_attach_args *args);
	/* Device probes: remove this probe's hooks from dev. NULL for host probes,
	 * which are removed as a whole directory. */
	int (*detach)(struct np_ctx *ctx, const char *dev);
};

/* The probes, in the order `attach DEV all` applies them (src/cmd/attach.c). */
extern const struct np_probe *const np_probes[];
/* The probe named name (or a unique prefix); else a usage error that names what. */
const struct np_probe *np_probe_find(struct np_ctx *ctx, const char *name, bool per_device,
				     const char *what);

/* Device probes built on the traffic program (src/cmd/attach_traffic.c). */
extern const struct np_probe np_probe_tc;
extern const struct np_probe np_probe_xdp;
/* Host probes of issue 5 (src/cmd/attach_drops.c, attach_netfilter.c). */
extern const struct np_probe np_probe_drops;
extern const struct np_probe np_probe_netfilter;
/* Port scan and SYN flood detection (src/cmd/attach_security.c). */
extern const struct np_probe np_probe_security;
/* VXLAN parsing on the underlay device (src/cmd/attach_vxlan.c). */
extern const struct np_probe np_probe_vxlan;
/* TCP connections, host-wide (src/cmd/attach_socket.c). */
extern const struct np_probe np_probe_socket;

#endif /* NP_PROBE_H */
