/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Command tables and keyword parsing, bpftool/ip(8) style: objects and
 * filters are keywords; an exact match wins, else a unique prefix, and an
 * ambiguous prefix is an error.
 */
#ifndef NP_CMD_H
#define NP_CMD_H

#include <stdio.h>
#include "np.h"

typedef int (*np_cmd_fn)(struct np_ctx *ctx, int argc, char **argv);
struct np_col;

/*
 * Rows that follow a command's own in its JSON help (`-j COMMAND help`, a
 * command flagged NP_CMD_OWN_JSON_HELP): what it takes, described as data
 * (attach: one row per probe). They have columns of their own, after the
 * help table's: rows() fills cols[i] as column first + i.
 */
struct np_cmd_help_rows {
	const struct np_col *cols;
	int ncols;
	void (*rows)(struct np_ctx *ctx, int first);
};

struct np_cmd {
	const char *name;
	np_cmd_fn fn;			/* NULL when sub is set */
	const struct np_cmd *sub;	/* next level, terminated by { 0 } */
	const char *args;		/* synopsis of keywords, e.g. "[dev DEV]" */
	const char *help;		/* one line */
	unsigned flags;			/* NP_CMD_* */
	/* The synopsis made from a registry (probes, a table's filters), used
	 * instead of args when set; a string that lives as long as the program. */
	const char *(*synopsis)(void);
};

/* The synopsis of c: c->synopsis() when set, else c->args, else "". */
const char *np_cmd_args(const struct np_cmd *c);

/* The command has a Prometheus form; under --prom others are usage errors. */
#define NP_CMD_PROM	(1u << 0)
/*
 * Under --json, `COMMAND help` runs the command, which prints its row and
 * rows of its own (np_cmd_usage_json_rows), instead of the row alone.
 */
#define NP_CMD_OWN_JSON_HELP	(1u << 1)

/* The top-level table (src/cmd/commands.c). */
extern const struct np_cmd np_commands[];

/*
 * Finds name in table: exact match, else unique prefix. Returns NULL and
 * sets *ambiguous when more than one entry has name as a prefix.
 */
const struct np_cmd *np_cmd_find(const struct np_cmd *table, const char *name,
				 bool *ambiguous);
/* Runs argv[0] from table; "what" names the level in messages. */
int np_cmd_dispatch(struct np_ctx *ctx, const struct np_cmd *table, const char *what,
		    int argc, char **argv);
/*
 * netprobe help COMMAND...: what `COMMAND... help` prints, the help of a
 * table level or of one command (argv: the words after "help").
 */
int np_cmd_help_of(struct np_ctx *ctx, const struct np_cmd *table, const char *what,
		   int argc, char **argv);
/* Prints the help of a table level (prefix is e.g. "netprobe show"). */
void np_cmd_help(FILE *f, const struct np_cmd *table, const char *prefix);
/* The same as the table's rows for --json (prefix e.g. "show", "" for the top). */
void np_cmd_help_json(struct np_ctx *ctx, const struct np_cmd *table, const char *prefix);
/*
 * A command's own help: under --json the table row of the command being
 * run (as `netprobe -j help` has it), else fmt as text. Returns NP_EXIT_OK.
 */
int np_cmd_usage(struct np_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * The help of the command running, made from its table row: "Usage:
 * netprobe PATH SYNOPSIS", its one-line help, then detail (NULL: none;
 * else text ending in a newline). Under --json the row (np_cmd_usage_json).
 */
int np_cmd_help_self(struct np_ctx *ctx, const char *detail);
/* np_cmd_help_self with the detail that detail() writes to f (made from a table). */
int np_cmd_help_self_with(struct np_ctx *ctx, void (*detail)(FILE *f));
/* The JSON half of np_cmd_usage: true if it printed the row (--json). */
bool np_cmd_usage_json(struct np_ctx *ctx);
/* np_cmd_usage_json, with extra's rows after the command's in the one table. */
bool np_cmd_usage_json_rows(struct np_ctx *ctx, const struct np_cmd_help_rows *extra);

/*
 * Keyword matching against a NULL-terminated list, with the same prefix
 * rules. Returns the index, or -1 (unknown) / -2 (ambiguous) after
 * reporting a usage error through ctx.
 */
int np_kw(struct np_ctx *ctx, const char *arg, const char *const *words, const char *what);
/* np_kw that names what words are in its message: "what: unknown probe 'x'". */
int np_kw_noun(struct np_ctx *ctx, const char *arg, const char *const *words, const char *what,
	       const char *noun);
/*
 * np_kw for the keywords of a command line, each given once: a keyword
 * matched before is a usage error ("what: 'top' given twice"). *seen holds
 * one bit per word and starts at 0; a caller whose keyword may repeat
 * (attach's probes, vxlan-port) clears that keyword's bit.
 */
int np_kw_once(struct np_ctx *ctx, const char *arg, const char *const *words,
	       const char *what, __u64 *seen);
/* True if arg is "help" (or -h/--help). */
bool np_is_help(const char *arg);

/* A decimal number, digits only ("010" is ten; no sign, space or 0x); false if not. */
bool np_decimal_u64(const char *s, __u64 *out);

/* Value parsers for keyword arguments, decimal only; report usage errors through ctx. */
int np_arg_u64(struct np_ctx *ctx, const char *kw, const char *s, __u64 min, __u64 max,
	       __u64 *out);
int np_arg_double(struct np_ctx *ctx, const char *kw, const char *s, double min, double max,
		  double *out);
/* Takes the value after a keyword: *i advanced; error if missing ("what: 'top' needs a value"). */
int np_arg_next(struct np_ctx *ctx, const char *what, int argc, char **argv, int *i,
		const char **val);

#endif /* NP_CMD_H */
