// SPDX-License-Identifier: GPL-2.0
/*
 * netprobe attach DEV [PROBE...] [mode native|generic] [tc-mode tcx|clsact] ...
 * netprobe attach PROBE            (host-wide probes: socket, drops, ...)
 *
 * The probes are those of src/cmd/probes.c; this file parses the command
 * line and runs each probe's attach, and makes attach's synopsis and help.
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

/* The first device probe of the registry: what `attach DEV` alone attaches. */
static const struct np_probe *default_probe(void)
{
	np_for_each_probe(p)
		if (p->per_device)
			return p;
	return NULL;
}

/* Host probe named exactly, or by a unique prefix when no device has that name. */
static bool is_host_probe(const char *name)
{
	int prefix = 0;

	np_for_each_probe(p) {
		if (p->per_device)
			continue;
		if (!strcmp(p->name, name))
			return true;
		prefix += !strncmp(p->name, name, strlen(name));
	}
	return prefix == 1 && !if_nametoindex(name);
}

/* Adds p once: a repeated keyword ("tc tc", "all tc") asks for nothing more. */
static void add_probe(const struct np_probe **probes, int *nprobes, const struct np_probe *p)
{
	for (int i = 0; i < *nprobes; i++)
		if (probes[i] == p)
			return;
	probes[(*nprobes)++] = p;
}

static const char *const xdp_words[] = { "native", "generic", NULL };
static const int xdp_values[] = { NP_XDP_NATIVE, NP_XDP_GENERIC };
static const char *const tc_words[] = { "tcx", "clsact", NULL };
static const int tc_values[] = { NP_TC_TCX, NP_TC_CLSACT };

/*
 * The keywords that tune probes (NP_OPT_*, the probes say which apply to
 * them), each with a value: one of words, else a number. follow: given
 * without its probe, it may mean the attached one.
 */
static const struct attach_option {
	const char *word;
	unsigned int opt;
	bool follow;
	const char *const *words;
	const char *help;
} options[] = {
	{ "mode", NP_OPT_MODE, true, xdp_words, "XDP mode; without it native, else generic" },
	{ "tc-mode", NP_OPT_TC_MODE, false, tc_words, "TCX links or clsact filters" },
	{ "flows", NP_OPT_FLOWS, false, NULL, "entries of a flow table made now" },
	{ "vxlan-port", NP_OPT_VXLAN_PORT, true, NULL, "one more UDP port of VXLAN, up to 8" },
	{ "geneve-port", NP_OPT_GENEVE_PORT, true, NULL, "one more UDP port of Geneve, up to 8" },
};

/* The value of option o as the synopsis spells it: "native|generic", "N". */
static void option_value(const struct attach_option *o, char *buf, size_t n)
{
	size_t len = 0;

	snprintf(buf, n, "N");
	for (int i = 0; o->words && o->words[i] && len < n; i++)
		len += snprintf(buf + len, n - len, "%s%s", i ? "|" : "", o->words[i]);
}

/* vxlan-port N, geneve-port N: one more of up to 8 ports. */
static int parse_port(struct np_ctx *ctx, const char *word, const char *v, unsigned int *ports,
		      int *nports)
{
	__u64 n;

	if (*nports >= 8)
		return np_usage(ctx, "attach DEV: at most 8 %s keywords", word);
	if (np_arg_u64(ctx, word, v, 1, 65535, &n))
		return NP_EXIT_USAGE;
	ports[(*nports)++] = n;
	return 0;
}

/* Takes the value v of option o into a. */
static int parse_option(struct np_ctx *ctx, const struct attach_option *o, const char *v,
			struct np_attach_args *a)
{
	int i = o->words ? np_kw(ctx, v, o->words, o->word) : 0;

	if (i < 0)
		return NP_EXIT_USAGE;
	switch (o->opt) {
	case NP_OPT_MODE:
		a->dev.xdp_mode = xdp_values[i];
		return 0;
	case NP_OPT_TC_MODE:
		a->dev.tc_mode = tc_values[i];
		return 0;
	case NP_OPT_FLOWS:
		return np_arg_u64(ctx, o->word, v, 1024, 1u << 26, &a->flow_entries);
	case NP_OPT_GENEVE_PORT:
		return parse_port(ctx, o->word, v, a->geneve_ports, &a->ngeneve_ports);
	}
	return parse_port(ctx, o->word, v, a->vxlan_ports, &a->nvxlan_ports);
}

/*
 * Device keywords; probes[] (room for every probe) gets the probes named,
 * each once, and *given the options (NP_OPT_*) given.
 */
static int parse_device_args(struct np_ctx *ctx, int argc, char **argv,
			     struct np_attach_args *a, const struct np_probe **probes, int *nprobes,
			     unsigned int *given)
{
	const char *words[NP_PROBES_MAX + 2 + ARRAY_SIZE(options)];
	const struct np_probe *named[NP_PROBES_MAX];
	__u64 seen = 0;
	int nw = 0, all, err;

	np_for_each_probe(p)
		if (p->per_device) {
			named[nw] = p;
			words[nw++] = p->name;
		}
	all = nw;
	words[nw++] = "all";
	for (size_t o = 0; o < ARRAY_SIZE(options); o++)
		words[nw++] = options[o].word;
	words[nw] = NULL;

	*nprobes = 0;
	for (int i = 1; i < argc; i++) {
		const struct attach_option *o;
		const char *v;
		int k = np_kw_once(ctx, argv[i], words, "attach DEV", &seen);

		if (k < 0)
			return NP_EXIT_USAGE;
		/* A probe twice is that probe once ("tc tc", "all tc"); vxlan-port and
		 * geneve-port add ports. */
		if (k <= all || (options[k - all - 1].opt &
				 (NP_OPT_VXLAN_PORT | NP_OPT_GENEVE_PORT)))
			seen &= ~(1ull << k);
		if (k < all) {
			add_probe(probes, nprobes, named[k]);
			continue;
		}
		if (k == all) {
			np_for_each_probe(p)
				if (p->per_device && p->in_all)
					add_probe(probes, nprobes, p);
			continue;
		}
		o = &options[k - all - 1];
		if ((err = np_arg_next(ctx, "attach DEV", argc, argv, &i, &v)))
			return err;
		*given |= o->opt;
		if ((err = parse_option(ctx, o, v, a)))
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

/* "tc, xdp or vxlan": the device probes opt applies to. */
static void probes_of(unsigned int opt, char *buf, size_t n)
{
	const char *names[NP_PROBES_MAX];
	size_t len = 0;
	int k = 0;

	np_for_each_probe(p)
		if (p->per_device && (p->options & opt))
			names[k++] = p->name;
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
		np_for_each_probe(p)
			if (p->per_device && (p->options & opt) &&
			    np_dev_bits_live(ctx, a->dev.dev, np_probe_bits(p), a->dev.ifindex))
				add_probe(probes, nprobes, p);
	}
	if (!*nprobes)
		probes[(*nprobes)++] = default_probe();
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
	const struct np_probe *probes[NP_PROBES_MAX];
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
			err = np_feature_check(ctx, probes[i]->name) ?:
			      probes[i]->attach(ctx, probes[i], &a);
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
	err = np_feature_check(ctx, probe->name) ?: probe->attach(ctx, probe, &a);
	if (!err)
		np_hooks_report(ctx, probe->name, &before);
	np_hooks_snapshot_free(&before);
	np_state_gc(ctx);
	np_state_close(ctx);
	return err;
}

/*
 * The synopsis, from the registry: "DEV [tc|xdp|...|all] [mode native|generic]
 * ... | drops | netfilter | socket".
 */
const char *np_attach_synopsis(void)
{
	static char syn[512];
	char dev[256], host[256], value[64];
	size_t len;

	if (syn[0])
		return syn;
	np_probe_names(dev, sizeof(dev), true, "|");
	np_probe_names(host, sizeof(host), false, " | ");
	len = snprintf(syn, sizeof(syn), "DEV [%s|all]", dev);
	for (size_t o = 0; o < ARRAY_SIZE(options) && len < sizeof(syn); o++) {
		option_value(&options[o], value, sizeof(value));
		len += snprintf(syn + len, sizeof(syn) - len, " [%s %s]", options[o].word, value);
	}
	if (len < sizeof(syn))
		snprintf(syn + len, sizeof(syn) - len, "%s%s", *host ? " | " : "", host);
	return syn;
}

enum { P_PROBE, P_PER_DEVICE, P_IN_ALL, P_OPTIONS, P_HOOKS, P_HELP };

static const struct np_col probe_cols[] = {
	[P_PROBE] = { "probe", NULL, 0, NP_K_STR },
	[P_PER_DEVICE] = { "per_device", NULL, 0, NP_K_BOOL },
	[P_IN_ALL] = { "in_all", NULL, 0, NP_K_BOOL },
	[P_OPTIONS] = { "options", NULL, 0, NP_K_STR },
	[P_HOOKS] = { "hooks", NULL, 0, NP_K_STR },
	[P_HELP] = { "help", NULL, 0, NP_K_STR },
};

/* Appends word to buf, a list of words separated by spaces. */
static void add_word(char *buf, size_t n, const char *word)
{
	size_t len = strlen(buf);

	if (len < n)
		snprintf(buf + len, n - len, "%s%s", len ? " " : "", word);
}

/* -j attach help: after attach's row, one per probe; its options and hooks as words. */
static void probe_rows(struct np_ctx *ctx, int first)
{
	np_for_each_probe(p) {
		char opts[128] = "", hooks[128] = "";

		for (size_t o = 0; o < ARRAY_SIZE(options); o++)
			if (p->options & options[o].opt)
				add_word(opts, sizeof(opts), options[o].word);
		np_for_each_probe_hook(p, h)
			add_word(hooks, sizeof(hooks), h->name);
		out_row_begin(ctx->out);
		out_str(ctx->out, first + P_PROBE, p->name);
		out_bool(ctx->out, first + P_PER_DEVICE, p->per_device);
		out_bool(ctx->out, first + P_IN_ALL, p->in_all);
		out_str(ctx->out, first + P_OPTIONS, opts);
		out_str(ctx->out, first + P_HOOKS, hooks);
		out_str(ctx->out, first + P_HELP, p->help);
		out_row_end(ctx->out);
	}
}

static const struct np_cmd_help_rows probe_help_rows = {
	probe_cols, ARRAY_SIZE(probe_cols), probe_rows,
};

/* What attach help says past its synopsis: the probes and options, from the registry. */
static void help_detail(FILE *f)
{
	const struct np_probe *dflt = default_probe();
	char names[128], value[64], kw[96];
	size_t len = 0;

	fprintf(f, "Device probes (attach DEV PROBE...; %s when none is named):\n",
		dflt ? dflt->name : "-");
	np_probe_help_list(f, true);
	names[0] = '\0';
	np_for_each_probe(p)
		if (p->per_device && p->in_all && len < sizeof(names))
			len += snprintf(names + len, sizeof(names) - len, "%s%s", len ? ", " : "",
					p->name);
	fprintf(f, "  %-10s every device probe on by default: %s\n", "all", names);
	fprintf(f, "\nHost probes (attach PROBE, no device):\n");
	np_probe_help_list(f, false);
	fprintf(f, "\nKeywords of device probes, for those in parentheses:\n");
	for (size_t o = 0; o < ARRAY_SIZE(options); o++) {
		option_value(&options[o], value, sizeof(value));
		snprintf(kw, sizeof(kw), "%s %s", options[o].word, value);
		probes_of(options[o].opt, names, sizeof(names));
		fprintf(f, "  %-20s %s (%s)\n", kw, options[o].help, names);
	}
}

int cmd_attach(struct np_ctx *ctx, int argc, char **argv)
{
	if (argc < 1)
		return np_usage(ctx, "attach: missing device or probe; try 'netprobe attach help'");
	/* Under -j, the row of attach and one per probe (NP_CMD_OWN_JSON_HELP). */
	if (np_is_help(argv[0]) && np_cmd_usage_json_rows(ctx, &probe_help_rows))
		return NP_EXIT_OK;
	if (np_is_help(argv[0]))
		return np_cmd_help_self_with(ctx, help_detail);
	if (is_host_probe(argv[0]))
		return attach_host(ctx, argc, argv);
	return attach_device(ctx, argc, argv);
}
