// SPDX-License-Identifier: GPL-2.0
/*
 * netprobe attach DEV [PROBE...] [mode native|generic] [tc-mode tcx|clsact] ...
 * netprobe attach PROBE            (host-wide probes: socket, drops, ...)
 */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "lib/cmd.h"
#include "lib/hooks_report.h"
#include "lib/link.h"
#include "lib/out.h"
#include "lib/probe.h"
#include "lib/state.h"

#define NP_PROBES							\
	&np_probe_tc, &np_probe_xdp, &np_probe_vxlan, &np_probe_drops, &np_probe_netfilter, \
	&np_probe_security, &np_probe_socket

/* Sizes the per-invocation lists: one slot per probe. */
static const struct np_probe *const np_probe_slots[] = { NP_PROBES };

const struct np_probe *const np_probes[] = {
	NP_PROBES,
	NULL,
};

const struct np_probe *np_probe_find(struct np_ctx *ctx, const char *name, bool per_device,
				     const char *what)
{
	const char *names[32];
	const struct np_probe *found[32];
	int n = 0, i;

	for (i = 0; np_probes[i] && n < 31; i++) {
		if (np_probes[i]->per_device != per_device)
			continue;
		found[n] = np_probes[i];
		names[n++] = np_probes[i]->name;
	}
	names[n] = NULL;
	i = np_kw_noun(ctx, name, names, what, "probe");
	return i >= 0 ? found[i] : NULL;
}

/* Host probe named exactly, or by a unique prefix when no device has that name. */
static bool is_host_probe(const char *name)
{
	int prefix = 0;

	for (int i = 0; np_probes[i]; i++) {
		if (np_probes[i]->per_device)
			continue;
		if (!strcmp(np_probes[i]->name, name))
			return true;
		prefix += !strncmp(np_probes[i]->name, name, strlen(name));
	}
	return prefix == 1 && !if_nametoindex(name);
}

static int parse_mode(struct np_ctx *ctx, const char *kw, const char *v,
		      const char *const *words, const int *values, int *out)
{
	int i = np_kw(ctx, v, words, kw);

	if (i < 0)
		return NP_EXIT_USAGE;
	*out = values[i];
	return 0;
}

/* Adds p once: a repeated keyword ("tc tc", "all tc") asks for nothing more. */
static void add_probe(const struct np_probe **probes, int *nprobes, const struct np_probe *p)
{
	for (int i = 0; i < *nprobes; i++)
		if (probes[i] == p)
			return;
	probes[(*nprobes)++] = p;
}

/* The keywords that tune probes; follow: one without its probe may mean the attached one. */
static const struct {
	const char *word;
	unsigned int opt;
	bool follow;
} options[] = {
	{ "mode", NP_OPT_MODE, true },
	{ "tc-mode", NP_OPT_TC_MODE, false },
	{ "flows", NP_OPT_FLOWS, false },
	{ "vxlan-port", NP_OPT_VXLAN_PORT, true },
};

/*
 * Device keywords; probes[] (room for every probe) gets the probes named,
 * each once, and *given the options (NP_OPT_*) given.
 */
static int parse_device_args(struct np_ctx *ctx, int argc, char **argv,
			     struct np_attach_args *a, const struct np_probe **probes, int *nprobes,
			     unsigned int *given)
{
	static const char *const xdp_words[] = { "native", "generic", NULL };
	static const int xdp_values[] = { NP_XDP_NATIVE, NP_XDP_GENERIC };
	static const char *const tc_words[] = { "tcx", "clsact", NULL };
	static const int tc_values[] = { NP_TC_TCX, NP_TC_CLSACT };
	const char *words[40];
	__u64 seen = 0;
	int nw = 0, err;

	for (int i = 0; np_probes[i]; i++)
		if (np_probes[i]->per_device)
			words[nw++] = np_probes[i]->name;
	words[nw++] = "all";
	words[nw++] = "mode";
	words[nw++] = "tc-mode";
	words[nw++] = "flows";
	words[nw++] = "vxlan-port";
	words[nw] = NULL;

	*nprobes = 0;
	for (int i = 1; i < argc; i++) {
		const char *kw, *v;
		__u64 n;
		int k = np_kw_once(ctx, argv[i], words, "attach DEV", &seen);

		if (k < 0)
			return NP_EXIT_USAGE;
		kw = words[k];
		/* A probe twice is that probe once ("tc tc", "all tc"); vxlan-port adds ports. */
		if (k <= nw - 5 || !strcmp(kw, "vxlan-port"))
			seen &= ~(1ull << k);
		if (!strcmp(kw, "all")) {
			for (int j = 0; np_probes[j]; j++)
				if (np_probes[j]->per_device && np_probes[j]->in_all)
					add_probe(probes, nprobes, np_probes[j]);
			continue;
		}
		if (k < nw - 5) {
			add_probe(probes, nprobes, np_probe_find(ctx, kw, true, "attach DEV"));
			continue;
		}
		if ((err = np_arg_next(ctx, "attach DEV", argc, argv, &i, &v)))
			return err;
		for (size_t o = 0; o < ARRAY_SIZE(options); o++)
			if (!strcmp(kw, options[o].word))
				*given |= options[o].opt;
		if (!strcmp(kw, "mode"))
			err = parse_mode(ctx, kw, v, xdp_words, xdp_values, &a->dev.xdp_mode);
		else if (!strcmp(kw, "tc-mode"))
			err = parse_mode(ctx, kw, v, tc_words, tc_values, &a->dev.tc_mode);
		else if (!strcmp(kw, "flows"))
			err = np_arg_u64(ctx, kw, v, 1024, 1u << 26, &a->flow_entries);
		else if (a->nvxlan_ports >= (int)ARRAY_SIZE(a->vxlan_ports))
			err = np_usage(ctx, "attach DEV: at most %zu vxlan-port keywords",
				       ARRAY_SIZE(a->vxlan_ports));
		else if (!(err = np_arg_u64(ctx, kw, v, 1, 65535, &n)))
			a->vxlan_ports[a->nvxlan_ports++] = n;
		if (err)
			return err;
	}
	return 0;
}

static bool served(const struct np_probe *const *probes, int nprobes, unsigned int opt)
{
	for (int i = 0; i < nprobes; i++)
		if (probes[i]->options & opt)
			return true;
	return false;
}

/* "the tc, xdp or vxlan probe": the device probes opt applies to. */
static void probes_of(unsigned int opt, char *buf, size_t n)
{
	const char *names[16];
	size_t len = 0;
	int k = 0;

	for (int i = 0; np_probes[i] && k < 16; i++)
		if (np_probes[i]->per_device && (np_probes[i]->options & opt))
			names[k++] = np_probes[i]->name;
	buf[0] = '\0';
	for (int i = 0; i < k && len < n; i++)
		len += snprintf(buf + len, n - len, "%s%s", !i ? "" : i == k - 1 ? " or " : ", ",
				names[i]);
}

/*
 * What an attach asks for: the probes named, and the attached probe a mode
 * or vxlan-port without its probe is for (which checks or adds to it); with
 * neither, tc. An option that applies to none of them is a usage error:
 * nothing is silently ignored.
 */
static int complete_probes(struct np_ctx *ctx, const struct np_attach_args *a,
			   const struct np_probe **probes, int *nprobes, unsigned int given)
{
	char names[128];

	for (size_t o = 0; o < ARRAY_SIZE(options); o++) {
		unsigned int opt = options[o].opt;

		if (!(given & opt) || !options[o].follow || served(probes, *nprobes, opt))
			continue;
		for (int i = 0; np_probes[i]; i++)
			if (np_probes[i]->per_device && (np_probes[i]->options & opt) &&
			    np_dev_bits_live(ctx, a->dev.dev, np_probes[i]->dev_bits,
					     a->dev.ifindex))
				add_probe(probes, nprobes, np_probes[i]);
	}
	if (!*nprobes)
		probes[(*nprobes)++] = &np_probe_tc;
	for (size_t o = 0; o < ARRAY_SIZE(options); o++) {
		if (!(given & options[o].opt) || served(probes, *nprobes, options[o].opt))
			continue;
		probes_of(options[o].opt, names, sizeof(names));
		if (options[o].follow)
			return np_usage(ctx, "attach DEV: %s applies to the %s probe, which is "
					"neither given nor attached to %s", options[o].word, names,
					a->dev.dev);
		return np_usage(ctx, "attach DEV: %s applies to the %s probe; none is given",
				options[o].word, names);
	}
	return 0;
}

static int attach_device(struct np_ctx *ctx, int argc, char **argv)
{
	const struct np_probe *probes[ARRAY_SIZE(np_probe_slots)];
	struct np_attach_args a = { .dev.dev = argv[0] };
	struct np_hooks_snapshot before;
	unsigned int given = 0;
	int nprobes = 0, err;

	err = parse_device_args(ctx, argc, argv, &a, probes, &nprobes, &given);
	if (err)
		return err;
	err = np_dev_resolve(ctx, &a.dev);
	if (err)
		return err;
	err = np_state_open(ctx, NP_ST_WRITE);
	if (err)
		return err;
	/* A record of a device renamed to this name follows it first. */
	np_dev_adopt(ctx, &a.dev);
	err = complete_probes(ctx, &a, probes, &nprobes, given);
	if (!err) {
		np_hooks_snapshot(ctx, a.dev.dev, &before);
		for (int i = 0; i < nprobes && !err; i++)
			err = probes[i]->attach(ctx, &a);
		if (!err)
			np_hooks_report(ctx, a.dev.dev, &before);
		np_hooks_snapshot_free(&before);
	}
	np_state_gc(ctx);
	np_state_close(ctx);
	return err;
}

static int attach_host(struct np_ctx *ctx, int argc, char **argv)
{
	struct np_attach_args a = { 0 };
	const struct np_probe *probe;
	struct np_hooks_snapshot before;
	int err;

	probe = np_probe_find(ctx, argv[0], false, "attach");
	if (!probe)
		return NP_EXIT_USAGE;
	if (argc > 1)
		return np_usage(ctx, "attach %s: unexpected '%s'", probe->name, argv[1]);
	err = np_state_open(ctx, NP_ST_WRITE);
	if (err)
		return err;
	np_hooks_snapshot(ctx, probe->name, &before);
	err = probe->attach(ctx, &a);
	if (!err)
		np_hooks_report(ctx, probe->name, &before);
	np_hooks_snapshot_free(&before);
	np_state_gc(ctx);
	np_state_close(ctx);
	return err;
}

int cmd_attach(struct np_ctx *ctx, int argc, char **argv)
{
	if (argc < 1)
		return np_usage(ctx, "attach: missing device or probe; try 'netprobe attach help'");
	if (np_is_help(argv[0])) {
		printf("Usage: netprobe attach DEV [PROBE...] [mode native|generic] "
		       "[tc-mode tcx|clsact] [flows N] [vxlan-port N]\n"
		       "       netprobe attach HOST-PROBE\n\nDevice probes:\n");
		for (int i = 0; np_probes[i]; i++)
			if (np_probes[i]->per_device)
				printf("  %-10s %s\n", np_probes[i]->name, np_probes[i]->help);
		printf("  %-10s every probe marked for it (not xdp)\n\nHost probes:\n", "all");
		for (int i = 0; np_probes[i]; i++)
			if (!np_probes[i]->per_device)
				printf("  %-10s %s\n", np_probes[i]->name, np_probes[i]->help);
		return NP_EXIT_OK;
	}
	if (is_host_probe(argv[0]))
		return attach_host(ctx, argc, argv);
	return attach_device(ctx, argc, argv);
}
