// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "out.h"

bool np_is_help(const char *arg)
{
	return !strcmp(arg, "help") || !strcmp(arg, "-h") || !strcmp(arg, "--help");
}

/* Shared by command tables and keyword lists: index or -1/-2. */
static int match_word(const char *arg, const char *const *words, size_t stride, int n)
{
	size_t len = strlen(arg);
	int found = -1;
	bool ambiguous = false;

	if (!len)
		return -1;
	/* An exact match wins wherever it stands, also after two prefix matches. */
	for (int i = 0; i < n; i++) {
		const char *w = *(const char *const *)((const char *)words + i * stride);

		if (!strcmp(w, arg))
			return i;
		if (!strncmp(w, arg, len)) {
			ambiguous |= found >= 0;
			found = i;
		}
	}
	return ambiguous ? -2 : found;
}

static int table_len(const struct np_cmd *table)
{
	int n = 0;

	while (table[n].name)
		n++;
	return n;
}

/* "netprobe show" -> "show": command paths as the JSON help names them. */
static const char *table_prefix(const char *what)
{
	const char *sp = strchr(what, ' ');

	return sp ? sp + 1 : "";
}

const struct np_cmd *np_cmd_find(const struct np_cmd *table, const char *name,
				 bool *ambiguous)
{
	int i = match_word(name, (const char *const *)&table[0].name, sizeof(*table),
			   table_len(table));

	*ambiguous = i == -2;
	return i >= 0 ? &table[i] : NULL;
}

static void candidates(char *buf, size_t n, const char *arg, const char *const *words,
		       size_t stride, int count)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 0; i < count; i++) {
		const char *w = *(const char *const *)((const char *)words + i * stride);

		if (!strncmp(w, arg, strlen(arg)) && len < n)
			len += snprintf(buf + len, n - len, "%s%s", len ? ", " : "", w);
	}
}

/* A table level's help: plain text, or its rows under --json. */
static int level_help(struct np_ctx *ctx, const struct np_cmd *table, const char *what)
{
	if (out_format(ctx->out) == NP_FMT_JSON)
		np_cmd_help_json(ctx, table, table_prefix(what));
	else
		np_cmd_help(stdout, table, what);
	return NP_EXIT_OK;
}

/* Runs argv[0] from table, or with help_of only asks the command for its help. */
static int dispatch(struct np_ctx *ctx, const struct np_cmd *table, const char *what,
		    int argc, char **argv, bool help_of)
{
	static char help_word[] = "help";
	char *help_argv[] = { help_word, NULL };
	const struct np_cmd *cmd;
	bool ambiguous;
	char list[256];

	if (argc < 1 && help_of)
		return level_help(ctx, table, what);
	if (argc < 1)
		return np_usage(ctx, "%s: missing command; try '%s help'", what, what);
	if (np_is_help(argv[0]) && !np_cmd_find(table, "help", &ambiguous))
		return level_help(ctx, table, what);
	cmd = np_cmd_find(table, argv[0], &ambiguous);
	if (!cmd && ambiguous) {
		candidates(list, sizeof(list), argv[0], (const char *const *)&table[0].name,
			   sizeof(*table), table_len(table));
		return np_usage(ctx, "%s: '%s' is ambiguous: %s", what, argv[0], list);
	}
	if (!cmd)
		return np_usage(ctx, "%s: unknown command '%s'; try '%s help'", what, argv[0],
				what);
	if (cmd->sub) {
		char next[128];

		snprintf(next, sizeof(next), "%s %s", what, cmd->name);
		return dispatch(ctx, cmd->sub, next, argc - 1, argv + 1, help_of);
	}
	if (help_of && argc > 1)
		return np_usage(ctx, "help %s%s%s: unexpected '%s'", table_prefix(what),
				*table_prefix(what) ? " " : "", cmd->name, argv[1]);
	ctx->cmd = cmd;
	ctx->cmd_level = what;
	/* COMMAND help under --json: its row of the table, whatever the command prints. */
	if ((help_of || (argc > 1 && np_is_help(argv[1]))) &&
	    !(cmd->flags & NP_CMD_OWN_JSON_HELP) && np_cmd_usage_json(ctx))
		return NP_EXIT_OK;
	if (out_format(ctx->out) == NP_FMT_PROM && !(cmd->flags & NP_CMD_PROM) && !help_of &&
	    !(argc > 1 && np_is_help(argv[1])))
		return np_usage(ctx, "%s %s has no Prometheus form; try -j", what, cmd->name);
	return help_of ? cmd->fn(ctx, 1, help_argv) : cmd->fn(ctx, argc - 1, argv + 1);
}

int np_cmd_dispatch(struct np_ctx *ctx, const struct np_cmd *table, const char *what,
		    int argc, char **argv)
{
	return dispatch(ctx, table, what, argc, argv, false);
}

int np_cmd_help_of(struct np_ctx *ctx, const struct np_cmd *table, const char *what,
		   int argc, char **argv)
{
	return dispatch(ctx, table, what, argc, argv, true);
}

const char *np_cmd_args(const struct np_cmd *c)
{
	if (c->synopsis)
		return c->synopsis();
	return c->args ? c->args : "";
}

static void help_level(FILE *f, const struct np_cmd *table, const char *prefix)
{
	for (const struct np_cmd *c = table; c->name; c++) {
		const char *args = np_cmd_args(c);
		char line[640];

		if (c->sub) {
			char next[128];

			snprintf(next, sizeof(next), "%s %s", prefix, c->name);
			help_level(f, c->sub, next);
			continue;
		}
		snprintf(line, sizeof(line), "%s %s%s%s", prefix, c->name, *args ? " " : "", args);
		if (strlen(line) > 52)
			fprintf(f, "  %s\n  %-52s %s\n", line, "", c->help);
		else
			fprintf(f, "  %-52s %s\n", line, c->help);
	}
}

void np_cmd_help(FILE *f, const struct np_cmd *table, const char *prefix)
{
	fprintf(f, "Usage:\n");
	help_level(f, table, prefix);
}

enum { H_CMD, H_ARGS, H_HELP };

static const struct np_col help_cols[] = {
	[H_CMD] = { "command", "COMMAND", -20, NP_K_STR },
	[H_ARGS] = { "args", "ARGS", -40, NP_K_STR },
	[H_HELP] = { "help", "HELP", -1, NP_K_STR },
};

static void help_row(struct np_ctx *ctx, const struct np_cmd *c, const char *path)
{
	out_row_begin(ctx->out);
	out_str(ctx->out, H_CMD, path);
	out_str(ctx->out, H_ARGS, np_cmd_args(c));
	out_str(ctx->out, H_HELP, c->help);
	out_row_end(ctx->out);
}

static void help_rows(struct np_ctx *ctx, const struct np_cmd *table, const char *prefix)
{
	for (const struct np_cmd *c = table; c->name; c++) {
		char path[128];

		snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? " " : "", c->name);
		if (c->sub)
			help_rows(ctx, c->sub, path);
		else
			help_row(ctx, c, path);
	}
}

void np_cmd_help_json(struct np_ctx *ctx, const struct np_cmd *table, const char *prefix)
{
	out_table_begin(ctx->out, NULL, help_cols, ARRAY_SIZE(help_cols), NP_LAYOUT_TABLE);
	help_rows(ctx, table, prefix);
	out_table_end(ctx->out);
}

/* The help table's columns and those of extra's rows, in one table. */
static struct np_col *cols_with(const struct np_cmd_help_rows *extra, int *ncols)
{
	struct np_col *cols;

	*ncols = ARRAY_SIZE(help_cols) + extra->ncols;
	cols = calloc(*ncols, sizeof(*cols));
	if (!cols)
		return NULL;
	memcpy(cols, help_cols, sizeof(help_cols));
	memcpy(cols + ARRAY_SIZE(help_cols), extra->cols, extra->ncols * sizeof(*cols));
	return cols;
}

bool np_cmd_usage_json(struct np_ctx *ctx)
{
	return np_cmd_usage_json_rows(ctx, NULL);
}

bool np_cmd_usage_json_rows(struct np_ctx *ctx, const struct np_cmd_help_rows *extra)
{
	struct np_col *cols = NULL;
	int ncols = ARRAY_SIZE(help_cols);
	char path[128];

	if (out_format(ctx->out) != NP_FMT_JSON)
		return false;
	if (extra && !(cols = cols_with(extra, &ncols))) {
		np_err(ctx, "out of memory");
		return true;
	}
	out_table_begin(ctx->out, NULL, cols ?: help_cols, ncols, NP_LAYOUT_TABLE);
	/* Not run through np_cmd_dispatch: no row to give, but still one document. */
	if (ctx->cmd) {
		snprintf(path, sizeof(path), "%s%s%s", table_prefix(ctx->cmd_level),
			 *table_prefix(ctx->cmd_level) ? " " : "", ctx->cmd->name);
		help_row(ctx, ctx->cmd, path);
	}
	if (extra)
		extra->rows(ctx, ARRAY_SIZE(help_cols));
	out_table_end(ctx->out);
	free(cols);
	return true;
}

int np_cmd_help_self(struct np_ctx *ctx, const char *detail)
{
	const char *prefix, *args;

	if (np_cmd_usage_json(ctx) || !ctx->cmd)
		return NP_EXIT_OK;
	prefix = table_prefix(ctx->cmd_level);
	args = np_cmd_args(ctx->cmd);
	printf("Usage: netprobe %s%s%s%s%s\n", prefix, *prefix ? " " : "", ctx->cmd->name,
	       *args ? " " : "", args);
	/* The row's help is a phrase ("zero the counters"); here it is a sentence. */
	if (ctx->cmd->help && *ctx->cmd->help)
		printf("%c%s.\n", toupper((unsigned char)ctx->cmd->help[0]), ctx->cmd->help + 1);
	if (detail)
		printf("\n%s", detail);
	return NP_EXIT_OK;
}

int np_cmd_help_self_with(struct np_ctx *ctx, void (*detail)(FILE *f))
{
	char *text = NULL;
	size_t n = 0;
	FILE *f;
	int ret;

	if (np_cmd_usage_json(ctx))
		return NP_EXIT_OK;
	f = open_memstream(&text, &n);
	if (!f)
		return np_err(ctx, "out of memory");
	detail(f);
	fclose(f);
	ret = np_cmd_help_self(ctx, text);
	free(text);
	return ret;
}

int np_cmd_usage(struct np_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (np_cmd_usage_json(ctx))
		return NP_EXIT_OK;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	return NP_EXIT_OK;
}

int np_kw_noun(struct np_ctx *ctx, const char *arg, const char *const *words, const char *what,
	       const char *noun)
{
	int n = 0, i;
	char list[256];

	while (words[n])
		n++;
	i = match_word(arg, words, sizeof(*words), n);
	if (i == -2) {
		candidates(list, sizeof(list), arg, words, sizeof(*words), n);
		np_usage(ctx, "%s: '%s' is ambiguous: %s", what, arg, list);
	} else if (i == -1) {
		np_usage(ctx, "%s: unknown %s '%s'", what, noun, arg);
	}
	return i;
}

int np_kw(struct np_ctx *ctx, const char *arg, const char *const *words, const char *what)
{
	return np_kw_noun(ctx, arg, words, what, "keyword");
}

int np_kw_once(struct np_ctx *ctx, const char *arg, const char *const *words,
	       const char *what, __u64 *seen)
{
	int i = np_kw(ctx, arg, words, what);
	__u64 bit = i >= 0 && i < 64 ? 1ull << i : 0;

	if (i < 0)
		return i;
	if (*seen & bit) {
		np_usage(ctx, "%s: '%s' given twice", what, words[i]);
		return -1;
	}
	*seen |= bit;
	return i;
}

int np_arg_next(struct np_ctx *ctx, const char *what, int argc, char **argv, int *i,
		const char **val)
{
	if (*i + 1 >= argc)
		return np_usage(ctx, "%s: '%s' needs a value", what, argv[*i]);
	*val = argv[++*i];
	return 0;
}

bool np_decimal_u64(const char *s, __u64 *out)
{
	unsigned long long v;
	char *end;

	/* strtoull alone takes "0x10" as 16, "010" as 8, " 5" and "-1" too. */
	for (const char *p = s; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return false;
	*out = v;
	return true;
}

int np_arg_u64(struct np_ctx *ctx, const char *kw, const char *s, __u64 min, __u64 max,
	       __u64 *out)
{
	__u64 v;

	if (!np_decimal_u64(s, &v) || v < min || v > max)
		return np_usage(ctx, "%s: '%s' is not a number from %llu to %llu", kw, s,
				(unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 0;
}

/* Digits with at most one '.': no sign, exponent, hex, inf or nan. */
static bool is_decimal_fraction(const char *s)
{
	int digits = 0, dots = 0;

	for (; *s; s++) {
		if (*s == '.')
			dots++;
		else if (isdigit((unsigned char)*s))
			digits++;
		else
			return false;
	}
	return digits && dots <= 1;
}

int np_arg_double(struct np_ctx *ctx, const char *kw, const char *s, double min, double max,
		  double *out)
{
	double v = 0;
	char *end = NULL;

	errno = 0;
	if (is_decimal_fraction(s))
		v = strtod(s, &end);
	if (!end || errno || *end || v < min || v > max)
		return np_usage(ctx, "%s: '%s' is not a number from %g to %g", kw, s, min, max);
	*out = v;
	return 0;
}
