/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Probes are what `attach` and `detach` take as keywords. A device probe
 * (tc, xdp, ...) puts programs on a network device, pinned under
 * links/<dev>/ and progs/<dev>/; a host probe (socket, drops, netfilter)
 * is host-wide and pinned under links/<name>/ and progs/<name>/.
 *
 * Every probe is one entry of np_probes[] (src/cmd/probes.c): its name,
 * help, the attach options it takes and the device hooks it makes. attach
 * and detach, their synopsis and help, and the device layer's hook lookups
 * (src/lib/device.c) are all made from that table.
 */
#ifndef NP_PROBE_H
#define NP_PROBE_H

#include <stdio.h>
#include "device.h"

struct np_attach_args {
	struct np_dev_req dev;		/* dev.dev is NULL for host probes */
	__u64 flow_entries;		/* flows N, 0 = keep or default */
	unsigned int vxlan_ports[8];	/* vxlan-port N, extra UDP ports */
	int nvxlan_ports;
	unsigned int geneve_ports[8];	/* geneve-port N, extra UDP ports */
	int ngeneve_ports;
};

/* The keywords of `attach DEV` that tune a probe; each applies to some. */
enum np_attach_opt {
	NP_OPT_MODE = 1 << 0,		/* mode native|generic */
	NP_OPT_TC_MODE = 1 << 1,	/* tc-mode tcx|clsact */
	NP_OPT_FLOWS = 1 << 2,		/* flows N */
	NP_OPT_VXLAN_PORT = 1 << 3,	/* vxlan-port N */
	NP_OPT_GENEVE_PORT = 1 << 4,	/* geneve-port N */
};

/* Hooks one device probe may make; raise it when a probe needs more. */
#define NP_PROBE_HOOKS_MAX	2
/* Probes there can be: the size of the lists attach and detach keep. */
#define NP_PROBES_MAX		16

struct np_probe;
/* What a probe's attach and detach are (self: its entry, whose hooks it makes). */
typedef int np_probe_attach_fn(struct np_ctx *ctx, const struct np_probe *self,
			       const struct np_attach_args *args);
typedef int np_probe_detach_fn(struct np_ctx *ctx, const struct np_probe *self, const char *dev);

struct np_probe {
	const char *name;
	bool per_device;
	bool in_all;			/* part of `attach DEV all` */
	const char *help;
	unsigned int options;		/* NP_OPT_* that apply to it */
	/*
	 * Device probes: the hooks it makes, each with its own NP_DEV_* bit
	 * (bpf/netprobe.h) and, for TC, a clsact priority that no other hook
	 * of its direction has.
	 * Ends at the first without a name (the last slot always is).
	 */
	struct np_dev_hook hooks[NP_PROBE_HOOKS_MAX + 1];
	np_probe_attach_fn *attach;
	/* Device probes: remove this probe's hooks from dev. NULL for host probes,
	 * which are removed as a whole directory. */
	np_probe_detach_fn *detach;
};

/*
 * The probes, ended by an entry without a name, in the order `attach DEV
 * all` applies them and help lists them; the first device probe is what
 * `attach DEV` attaches when no probe is named.
 */
extern const struct np_probe np_probes[];

/* Walks the registry: every probe, every hook of a device probe. */
#define np_for_each_probe(p) for (const struct np_probe *p = np_probes; p->name; p++)
#define np_for_each_probe_hook(p, h) \
	for (const struct np_dev_hook *h = (p)->hooks; h->name; h++)

/* The probe named name (or a unique prefix); else a usage error that names what. */
const struct np_probe *np_probe_find(struct np_ctx *ctx, const char *name, bool per_device,
				     const char *what);
/* The probe called exactly name, or NULL. */
const struct np_probe *np_probe_by_name(const char *name);
/* True if name is exactly a host probe's. */
bool np_probe_is_host(const char *name);
/* The NP_DEV_* bits of p's hooks (0 for a host probe). */
__u32 np_probe_bits(const struct np_probe *p);
/* The NP_DEV_* bits of the probe called name (0 if there is none). */
__u32 np_probe_bits_of(const char *name);

/* The names of the device (or host) probes joined by sep, e.g. "tc|xdp"; -1 if cut. */
int np_probe_names(char *buf, size_t n, bool per_device, const char *sep);
/* One line per device (or host) probe, "  NAME  HELP", for a command's help. */
void np_probe_help_list(FILE *f, bool per_device);

/* The detach of a device probe that has nothing to undo but its hooks. */
np_probe_detach_fn np_probe_detach_hooks;

#endif /* NP_PROBE_H */
