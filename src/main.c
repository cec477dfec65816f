// SPDX-License-Identifier: GPL-2.0
/* netprobe: node-local network monitor built on pinned eBPF state. */
#include <argp.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "lib/cmd.h"
#include "lib/np.h"
#include "lib/out.h"

struct options {
	struct np_ctx *ctx;
	enum np_format fmt;
	bool pretty;
	bool help;
	bool version;
	int nargs;
	char **args;
};

enum { OPT_PROM = 1000, OPT_PIN_ROOT };

static const struct argp_option argp_options[] = {
	{ "json", 'j', NULL, 0, "Print one JSON document on stdout", 0 },
	{ "pretty", 'p', NULL, 0, "Pretty-print JSON (implies --json)", 0 },
	{ "prom", OPT_PROM, NULL, 0, "Print Prometheus text exposition format", 0 },
	{ "numeric", 'n', NULL, 0, "Exact numbers instead of human units", 0 },
	{ "quiet", 'q', NULL, 0, "Print no notes on stderr", 0 },
	{ "verbose", 'v', NULL, 0, "Print debug output, including libbpf's", 0 },
	{ "pin-root", OPT_PIN_ROOT, "DIR", 0,
	  "bpffs directory of the pinned state (default " NP_DEFAULT_PIN_ROOT
	  ", or $NETPROBE_PIN_ROOT)", 0 },
	{ "version", 'V', NULL, 0, "Print version information", 0 },
	{ "help", 'h', NULL, 0, "Print this help", 0 },
	{ 0 },
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct options *opts = state->input;
	struct np_ctx *ctx = opts->ctx;

	switch (key) {
	case 'j':
		opts->fmt = NP_FMT_JSON;
		break;
	case 'p':
		opts->fmt = NP_FMT_JSON;
		opts->pretty = true;
		break;
	case OPT_PROM:
		opts->fmt = NP_FMT_PROM;
		break;
	case 'n':
		ctx->numeric = true;
		break;
	case 'q':
		ctx->quiet = true;
		break;
	case 'v':
		ctx->verbose++;
		break;
	case OPT_PIN_ROOT:
		ctx->pin_root = arg;
		break;
	case 'V':
		opts->version = true;
		break;
	case 'h':
		opts->help = true;
		break;
	case ARGP_KEY_ARG:
		/* Options end at the command: the rest is its own ("top -5"). */
		opts->args[opts->nargs++] = arg;
		while (state->next < state->argc)
			opts->args[opts->nargs++] = state->argv[state->next++];
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int cmd_version(struct np_ctx *ctx, int argc, char **argv);

static int verbose_level;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && verbose_level < 2)
		return 0;
	if (verbose_level < 1)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* netprobe -j help: the command table as data, for scripts and tests. */
static void print_usage_json(struct np_ctx *ctx)
{
	np_cmd_help_json(ctx, np_commands, "");
}

static void print_usage(void)
{
	printf("Usage: netprobe [OPTIONS] COMMAND [ARGS]\n"
	       "       netprobe help [COMMAND] | COMMAND help\n\n"
	       "Options:\n"
	       "  -j, --json          one JSON document on stdout\n"
	       "  -p, --pretty        pretty-printed JSON\n"
	       "      --prom          Prometheus text format\n"
	       "  -n, --numeric       exact numbers, no human units\n"
	       "  -q, --quiet         no notes on stderr\n"
	       "  -v, --verbose       debug output (twice: libbpf's too)\n"
	       "      --pin-root DIR  pinned state (default %s or $NETPROBE_PIN_ROOT)\n"
	       "  -V, --version       version information\n"
	       "  -h, --help          this help\n\n",
	       NP_DEFAULT_PIN_ROOT);
	np_cmd_help(stdout, np_commands, "netprobe");
	printf("\nUnique prefixes of commands and keywords are accepted. Exit status: "
	       "0 ok, 1 error, 2 usage error.\nSee netprobe(8).\n");
}

/* Output format must be known before argp reports anything; options end at the command. */
static enum np_format prescan_format(int argc, char **argv)
{
	enum np_format fmt = NP_FMT_PLAIN;

	for (int i = 1; i < argc && argv[i][0] == '-' && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--pin-root"))
			i++;
		else if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "--pretty") ||
		    (argv[i][0] == '-' && argv[i][1] != '-' && strpbrk(argv[i], "jp")))
			fmt = NP_FMT_JSON;
		else if (!strcmp(argv[i], "--prom"))
			fmt = NP_FMT_PROM;
	}
	return fmt;
}

int main(int argc, char **argv)
{
	struct options opts = { .fmt = NP_FMT_PLAIN };
	struct np_ctx ctx = { .lock_fd = -1 };
	struct argp argp = { .options = argp_options, .parser = parse_opt };
	int ret;

	signal(SIGPIPE, SIG_IGN);
	ctx.out = out_new(prescan_format(argc, argv), false, false, stdout);
	opts.args = calloc(argc + 1, sizeof(char *));
	if (!ctx.out || !opts.args)
		return NP_EXIT_FAIL;
	ctx.pin_root = getenv("NETPROBE_PIN_ROOT");
	if (!ctx.pin_root || !*ctx.pin_root)
		ctx.pin_root = NP_DEFAULT_PIN_ROOT;
	opts.ctx = &ctx;
	if (argp_parse(&argp, argc, argv,
		       ARGP_IN_ORDER | ARGP_NO_HELP | ARGP_NO_ERRS | ARGP_NO_EXIT, NULL, &opts)) {
		ret = np_usage(&ctx, "unknown or incomplete option; try 'netprobe help'");
		goto out;
	}
	verbose_level = ctx.verbose;
	libbpf_set_print(libbpf_print);
	out_free(ctx.out);
	ctx.out = out_new(opts.fmt, opts.pretty, ctx.numeric, stdout);
	if (!ctx.out) {
		ret = NP_EXIT_FAIL;
		goto out;
	}
	if (ctx.pin_root[0] != '/') {
		ret = np_usage(&ctx, "--pin-root must be an absolute path");
	} else if (opts.version) {
		ret = cmd_version(&ctx, 0, NULL);
	} else if (opts.help || (opts.nargs == 1 && np_is_help(opts.args[0]))) {
		if (opts.fmt == NP_FMT_JSON)
			print_usage_json(&ctx);
		else
			print_usage();
		ret = NP_EXIT_OK;
	} else if (opts.nargs > 1 && np_is_help(opts.args[0])) {
		/* netprobe help show flows: what netprobe show flows help says. */
		ret = np_cmd_help_of(&ctx, np_commands, "netprobe", opts.nargs - 1, opts.args + 1);
	} else if (!opts.nargs && opts.fmt == NP_FMT_JSON) {
		ret = np_usage(&ctx, "missing command; try 'netprobe help'");
	} else if (!opts.nargs) {
		print_usage();
		ret = NP_EXIT_USAGE;
	} else {
		ret = np_cmd_dispatch(&ctx, np_commands, "netprobe", opts.nargs, opts.args);
	}
out:
	/* A reader that left early (| head) is not an error: exit quietly. */
	out_free(ctx.out);
	free(opts.args);
	return ret;
}
