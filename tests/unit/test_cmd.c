// SPDX-License-Identifier: GPL-2.0
/* Command tables and keywords: exact match, unique prefix, ambiguity. */
#include <stdlib.h>

#include "lib/cmd.h"
#include "lib/out.h"
#include "unit.h"

static int ran;

static int cmd_a(struct np_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argv;
	ran = 1 + argc;
	return 0;
}

static const struct np_cmd sub[] = {
	{ "stats", cmd_a, NULL, NULL, "x", 0, NULL },
	{ "status", cmd_a, NULL, NULL, "y", 0, NULL },
	{ "flows", cmd_a, NULL, NULL, "z", 0, NULL },
	{ 0 },
};

int main(void)
{
	FILE *null = fopen("/dev/null", "w");
	struct np_ctx ctx = { .out = out_new(NP_FMT_PLAIN, false, false, null), .quiet = true };
	static const char *const words[] = { "dev", "interval", "count", "in", NULL };
	bool amb;
	__u64 v;
	double d;

	CHECK(np_cmd_find(sub, "stats", &amb) == &sub[0]);
	CHECK(np_cmd_find(sub, "f", &amb) == &sub[2] && !amb);
	CHECK(np_cmd_find(sub, "stat", &amb) == NULL && amb);
	CHECK(np_cmd_find(sub, "x", &amb) == NULL && !amb);
	CHECK(np_cmd_find(sub, "", &amb) == NULL);

	/* "in" is exact even though "interval" starts with it. */
	CHECK(np_kw(&ctx, "in", words, "t") == 3);
	CHECK(np_kw(&ctx, "int", words, "t") == 1);
	CHECK(np_kw(&ctx, "c", words, "t") == 2);
	CHECK(np_kw(&ctx, "i", words, "t") == -2);
	CHECK(np_kw(&ctx, "zz", words, "t") == -1);
	{
		/* Two prefix matches before the exact one: the exact one wins. */
		static const char *const late[] = { "ports", "portmap", "port", NULL };

		CHECK(np_kw(&ctx, "port", late, "t") == 2);
		CHECK(np_kw(&ctx, "por", late, "t") == -2);
	}

	/* A keyword once; a prefix of one given before is the same keyword. */
	__u64 seen = 0;
	CHECK(np_kw_once(&ctx, "dev", words, "t", &seen) == 0);
	CHECK(np_kw_once(&ctx, "count", words, "t", &seen) == 2);
	CHECK(np_kw_once(&ctx, "de", words, "t", &seen) == -1);
	CHECK(np_kw_once(&ctx, "zz", words, "t", &seen) == -1);
	CHECK(np_kw_once(&ctx, "in", words, "t", &seen) == 3);

	CHECK(np_arg_u64(&ctx, "n", "42", 0, 100, &v) == 0 && v == 42);
	/* Decimal only: 010 is ten, 0x10 and signs and spaces are no numbers. */
	CHECK(np_arg_u64(&ctx, "n", "010", 0, 100, &v) == 0 && v == 10);
	CHECK(np_arg_u64(&ctx, "n", "0x10", 0, 100, &v) == NP_EXIT_USAGE);
	CHECK(np_arg_u64(&ctx, "n", "+5", 0, 100, &v) == NP_EXIT_USAGE);
	CHECK(np_arg_u64(&ctx, "n", " 5", 0, 100, &v) == NP_EXIT_USAGE);
	CHECK(np_arg_u64(&ctx, "n", "", 0, 100, &v) == NP_EXIT_USAGE);
	CHECK(np_arg_u64(&ctx, "n", "18446744073709551616", 0, ~0ull, &v) == NP_EXIT_USAGE);
	CHECK(np_arg_u64(&ctx, "n", "-1", 0, 100, &v) == NP_EXIT_USAGE);
	CHECK(np_arg_u64(&ctx, "n", "101", 0, 100, &v) == NP_EXIT_USAGE);
	CHECK(np_arg_u64(&ctx, "n", "4x", 0, 100, &v) == NP_EXIT_USAGE);
	CHECK(np_arg_double(&ctx, "s", "0.5", 0.01, 10, &d) == 0 && d == 0.5);
	CHECK(np_arg_double(&ctx, "s", "nan", 0.01, 10, &d) == NP_EXIT_USAGE);
	CHECK(np_arg_double(&ctx, "s", "2", 0.01, 10, &d) == 0 && d == 2);
	CHECK(np_arg_double(&ctx, "s", ".5", 0.01, 10, &d) == 0 && d == 0.5);
	CHECK(np_arg_double(&ctx, "s", "0x1", 0.01, 10, &d) == NP_EXIT_USAGE);
	CHECK(np_arg_double(&ctx, "s", "1e1", 0.01, 10, &d) == NP_EXIT_USAGE);
	CHECK(np_arg_double(&ctx, "s", "1.2.3", 0.01, 10, &d) == NP_EXIT_USAGE);
	CHECK(np_arg_double(&ctx, "s", ".", 0.01, 10, &d) == NP_EXIT_USAGE);

	char *argv1[] = { "flo", "x", "y" };
	CHECK(np_cmd_dispatch(&ctx, sub, "t", 3, argv1) == 0 && ran == 3);
	char *argv2[] = { "sta" };
	CHECK(np_cmd_dispatch(&ctx, sub, "t", 1, argv2) == NP_EXIT_USAGE);

	/* help flows: the command asked for its help ("help" its one word). */
	char *argv3[] = { "flo" };
	ran = 0;
	CHECK(np_cmd_help_of(&ctx, sub, "t", 1, argv3) == 0 && ran == 2);
	char *argv4[] = { "flo", "x" };
	CHECK(np_cmd_help_of(&ctx, sub, "t", 2, argv4) == NP_EXIT_USAGE);
	CHECK(np_cmd_help_of(&ctx, sub, "t", 0, NULL) == 0);

	out_free(ctx.out);
	fclose(null);
	UNIT_DONE();
}
