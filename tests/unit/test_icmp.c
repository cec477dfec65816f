// SPDX-License-Identifier: GPL-2.0
/* Unit tests of src/lib/icmp.c: type and code names, and what `type T` selects. */
#include "lib/icmp.h"
#include "unit.h"

/* Every name selects what it names, in its family: no name is given twice. */
static void test_names_select_themselves(void)
{
	struct np_icmp_sel sel;
	int names = 0;

	for (int f = 0; f < 2; f++)
		for (int t = 0; t < 256; t++)
			for (int c = -1; c < 256; c++) {
				const char *n = c < 0 ? np_icmp_type_name(f ? 6 : 4, t) :
					np_icmp_code_name(f ? 6 : 4, t, c);

				if (!n)
					continue;
				names++;
				CHECK(!np_icmp_sel_parse(n, &sel));
				CHECK(sel.type[f] == t && sel.code[f] == c);
			}
	CHECK(names > 60);
}

static void test_selectors(void)
{
	struct np_icmp_sel sel;

	CHECK_STR(np_icmp_type_name(4, 8), "echo-request");
	CHECK_STR(np_icmp_type_name(6, 128), "echo-request");
	CHECK_STR(np_icmp_code_name(4, 3, 4), "frag-needed");
	CHECK_STR(np_icmp_code_name(6, 1, 4), "port-unreachable");
	CHECK(!np_icmp_type_name(4, 200) && !np_icmp_code_name(4, 8, 0));
	/* One name, both families. */
	CHECK(!np_icmp_sel_parse("port-unreachable", &sel));
	CHECK(np_icmp_sel_match(&sel, 4, 3, 3) && np_icmp_sel_match(&sel, 6, 1, 4));
	CHECK(!np_icmp_sel_match(&sel, 4, 3, 4) && !np_icmp_sel_match(&sel, 6, 3, 3));
	/* A name of one family only. */
	CHECK(!np_icmp_sel_parse("frag-needed", &sel));
	CHECK(np_icmp_sel_match(&sel, 4, 3, 4) && !np_icmp_sel_match(&sel, 6, 3, 4));
	CHECK(!np_icmp_sel_parse("dest-unreachable", &sel));
	CHECK(np_icmp_sel_match(&sel, 4, 3, 13) && np_icmp_sel_match(&sel, 6, 1, 0));
	/* Numbers: both families. */
	CHECK(!np_icmp_sel_parse("3", &sel));
	CHECK(np_icmp_sel_match(&sel, 4, 3, 1) && np_icmp_sel_match(&sel, 6, 3, 0));
	CHECK(!np_icmp_sel_parse("3/1", &sel));
	CHECK(np_icmp_sel_match(&sel, 4, 3, 1) && !np_icmp_sel_match(&sel, 4, 3, 3));
	CHECK(!np_icmp_sel_parse("255/255", &sel));
}

static void test_bad(void)
{
	static const char *const bad[] = { "", "256", "3/", "/3", "3/256", "-1", "3/1/1", "echo",
					   "Echo-Request", "12345678901", "0x3", "1 " };
	struct np_icmp_sel sel;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(np_icmp_sel_parse(bad[i], &sel) == -1);
}

int main(void)
{
	test_names_select_themselves();
	test_selectors();
	test_bad();
	UNIT_DONE();
}
