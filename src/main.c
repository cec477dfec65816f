// SPDX-License-Identifier: GPL-2.0
/* netprobe: node-local network monitor built on pinned eBPF state. */
#include <argp.h>
#include <ctype.h>
#include <sys/stat.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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
	char *labels[8];	/* --prom-label K=V */
	int nlabels;
	bool bad_label;
	bool bits;		/* -b */
};

enum { OPT_PROM = 1000, OPT_PIN_ROOT, OPT_PROM_LABEL, OPT_HOST_ROOT, OPT_KUBECONFIG };

static const struct argp_option argp_options[] = {
	{ "json", 'j', NULL, 0, "Print one JSON document on stdout", 0 },
	{ "pretty", 'p', NULL, 0, "Pretty-print JSON (implies --json)", 0 },
	{ "prom", OPT_PROM, NULL, 0, "Print Prometheus text exposition format", 0 },
	{ "prom-label", OPT_PROM_LABEL, "K=V", 0,
	  "A label on every Prometheus sample (repeatable)", 0 },
	{ "numeric", 'n', NULL, 0, "Exact numbers instead of human units", 0 },
	{ "bits", 'b', NULL, 0, "Rates in bits per second (plain text)", 0 },
	{ "quiet", 'q', NULL, 0, "Print no notes on stderr", 0 },
	{ "verbose", 'v', NULL, 0, "Print debug output, including libbpf's", 0 },
	{ "pin-root", OPT_PIN_ROOT, "DIR", 0,
	  "bpffs directory of the pinned state (default " NP_DEFAULT_PIN_ROOT
	  ", or $NETPROBE_PIN_ROOT)", 0 },
	{ "host-root", OPT_HOST_ROOT, "DIR", 0,
	  "Where the host's / is, for Kubernetes sources (default /, or $NETPROBE_HOST_ROOT)", 0 },
	{ "kubeconfig", OPT_KUBECONFIG, "FILE", 0,
	  "The API server, for names of other nodes' pods (or $NETPROBE_KUBECONFIG)", 0 },
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
	case 'b':
		opts->bits = true;
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
	case OPT_HOST_ROOT:
		ctx->host_root = arg;
		break;
	case OPT_KUBECONFIG:
		ctx->kubeconfig = arg;
		break;
	case OPT_PROM_LABEL:
		if (opts->nlabels == (int)ARRAY_SIZE(opts->labels))
			opts->bad_label = true;
		else
			opts->labels[opts->nlabels++] = arg;
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

/* A Prometheus label name: [a-zA-Z_][a-zA-Z0-9_]*, not reserved (__*). */
static bool label_name_ok(const char *s, size_t len)
{
	if (!len || (len >= 2 && s[0] == '_' && s[1] == '_') || isdigit((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

/*
 * --prom-label K=V, and pin_netns=<inode> when netprobe runs outside the
 * host's network namespace (that of PID 1; also when PID 1's cannot be
 * read, as in a sandbox): several pin roots (one per namespace) can then
 * share one textfile directory without two files holding the same series.
 */
static int prom_labels(struct np_ctx *ctx, struct options *opts)
{
	struct stat self, host;
	char name[64], ino[16];

	if (opts->bad_label)
		return np_usage(ctx, "at most %zu --prom-label options", ARRAY_SIZE(opts->labels));
	for (int i = 0; i < opts->nlabels; i++) {
		const char *eq = strchr(opts->labels[i], '=');
		size_t len = eq ? (size_t)(eq - opts->labels[i]) : 0;

		if (!eq || !label_name_ok(opts->labels[i], len) || len >= sizeof(name))
			return np_usage(ctx, "--prom-label: '%s' is not NAME=VALUE with a Prometheus "
					"label name", opts->labels[i]);
		snprintf(name, sizeof(name), "%.*s", (int)len, opts->labels[i]);
		if (out_prom_label(ctx->out, name, eq + 1))
			return np_err(ctx, "out of memory");
	}
	if (!stat("/proc/self/ns/net", &self) &&
	    (stat("/proc/1/ns/net", &host) || self.st_ino != host.st_ino)) {
		snprintf(ino, sizeof(ino), "%lu", (unsigned long)self.st_ino);
		if (out_prom_label(ctx->out, "pin_netns", ino))
			return np_err(ctx, "out of memory");
	}
	return 0;
}

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
	       "      --prom-label K=V  a label on every Prometheus sample\n"
	       "  -n, --numeric       exact numbers, no human units\n"
	       "  -b, --bits          rates in bits per second (kbit/s, Mbit/s)\n"
	       "  -q, --quiet         no notes on stderr\n"
	       "  -v, --verbose       debug output (twice: libbpf's too)\n"
	       "      --pin-root DIR  pinned state (default %s or $NETPROBE_PIN_ROOT)\n"
	       "      --host-root DIR the host's / for Kubernetes sources (default /)\n"
	       "      --kubeconfig FILE  the API server, for other nodes' pod names\n"
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

/*
 * Output that did not reach stdout is an error: a full disk must not leave
 * a half file behind exit status 0. A reader that left early (| head) is
 * not: exit quietly.
 */
static int finish_output(struct np_ctx *ctx, int ret, bool stdout_closed)
{
	int err = ctx->out ? out_end(ctx->out) : 0;
	const char *why, *doc;

	if (!err || err == -EPIPE)
		return ret;
	why = stdout_closed ? "standard output is closed" : strerror(-err);
	doc = out_error_doc(ctx->out);
	/* stdout refused it, so out_error() puts this on stderr. */
	if (doc)
		np_err(ctx, "%s (cannot write it to stdout: %s)", doc, why);
	else
		np_err(ctx, "cannot write output: %s", why);
	return ret ? ret : NP_EXIT_FAIL;
}

int main(int argc, char **argv)
{
	struct options opts = { .fmt = NP_FMT_PLAIN };
	struct np_ctx ctx = { .lock_fd = -1 };
	struct argp argp = { .options = argp_options, .parser = parse_opt };
	int closed = out_park_closed_fds();
	int ret;

	if (closed < 0)
		return NP_EXIT_FAIL;
	/* Output to a closed stdout is lost output: make every write say so. */
	if (closed & 1 << STDOUT_FILENO) {
		FILE *f = out_failing_stream(EBADF);

		if (!f)
			return NP_EXIT_FAIL;
		stdout = f;	/* glibc's stdout is a variable, there to be set */
	}
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
	ret = prom_labels(&ctx, &opts);
	if (ret)
		goto out;
	/* JSON and Prometheus keep one unit, bytes per second: a script multiplies. */
	if (opts.bits && opts.fmt != NP_FMT_PLAIN) {
		ret = np_usage(&ctx, "-b is for plain text; JSON and Prometheus rates are bytes "
			       "per second");
		goto out;
	}
	out_set_bits(ctx.out, opts.bits);
	if (ctx.pin_root[0] != '/') {
		ret = np_usage(&ctx, "--pin-root must be an absolute path");
	} else if (ctx.host_root && ctx.host_root[0] != '/') {
		ret = np_usage(&ctx, "--host-root must be an absolute path");
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
	ret = finish_output(&ctx, ret, closed & 1 << STDOUT_FILENO);
	out_free(ctx.out);
	free(opts.args);
	return ret;
}
