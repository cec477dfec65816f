// SPDX-License-Identifier: GPL-2.0
/* The output layer: units, times, JSON streaming, Prometheus grouping. */
#include <stdlib.h>
#include <jansson.h>

#include "lib/np.h"
#include "lib/out.h"
#include "unit.h"

static void test_units(void)
{
	char b[32];

	fmt_count(b, sizeof(b), 99999, false);
	CHECK_STR(b, "99999");
	fmt_count(b, sizeof(b), 1234567, false);
	CHECK_STR(b, "1.2M");
	fmt_count(b, sizeof(b), 1234567, true);
	CHECK_STR(b, "1234567");
	fmt_bytes(b, sizeof(b), 532, false);
	CHECK_STR(b, "532 B");
	fmt_bytes(b, sizeof(b), 85400, false);
	CHECK_STR(b, "85.4 KB");
	fmt_bytes(b, sizeof(b), 85400, true);
	CHECK_STR(b, "85400");
	fmt_duration(b, sizeof(b), 1500000000ull);
	CHECK_STR(b, "1.5s");
	fmt_duration(b, sizeof(b), 250);
	CHECK_STR(b, "250ns");
	fmt_rfc3339(b, sizeof(b), 1795307497123456789ull);
	CHECK_STR(b, "2026-11-22T00:31:37.123456Z");
	fmt_prom_label(b, sizeof(b), "a\"b\\c\nd");
	CHECK_STR(b, "a\\\"b\\\\c\\nd");
}

enum { C_NAME, C_PKTS, C_WHEN };

static const struct np_col cols[] = {
	[C_NAME] = { "interface", "IF", -6, NP_K_STR, NP_P_LABEL },
	[C_PKTS] = { "packets", "PKTS", 8, NP_K_COUNT, NP_P_COUNTER, "np_packets_total", "Packets." },
	[C_WHEN] = { "seen", NULL, 0, NP_K_TIME },
};

/* Runs two rows through a format and returns what it printed. */
static char *render(enum np_format fmt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct np_out *o = out_new(fmt, false, false, f);

	out_table_begin(o, NULL, cols, 3, NP_LAYOUT_TABLE);
	out_row_begin(o);
	out_str(o, C_NAME, "eth\"0");
	out_u64(o, C_PKTS, 5);
	out_u64(o, C_WHEN, 1795307497000000000ull);
	out_row_end(o);
	out_row_begin(o);
	out_str(o, C_NAME, "lo");
	out_u64(o, C_PKTS, 1000000);
	out_row_end(o);
	out_table_end(o);
	out_free(o);
	fclose(f);
	return buf;
}

static void test_json(void)
{
	char *s = render(NP_FMT_JSON);
	json_error_t err;
	json_t *doc = json_loads(s, 0, &err);

	CHECK(doc && json_is_array(doc) && json_array_size(doc) == 2);
	CHECK(json_integer_value(json_object_get(json_array_get(doc, 1), "packets")) == 1000000);
	CHECK_STR(json_string_value(json_object_get(json_array_get(doc, 0), "interface")), "eth\"0");
	CHECK_STR(json_string_value(json_object_get(json_array_get(doc, 0), "seen")),
		  "2026-11-22T00:31:37.000000Z");
	/* An unset column is absent, not null or zero. */
	CHECK(json_object_get(json_array_get(doc, 1), "seen") == NULL);
	json_decref(doc);
	free(s);
}

static void test_prom(void)
{
	char *s = render(NP_FMT_PROM);

	CHECK_STR(s, "# HELP np_packets_total Packets.\n"
		     "# TYPE np_packets_total counter\n"
		     "np_packets_total{interface=\"eth\\\"0\"} 5\n"
		     "np_packets_total{interface=\"lo\"} 1000000\n");
	free(s);
}

static void test_plain(void)
{
	char *s = render(NP_FMT_PLAIN);

	CHECK_STR(s, "IF          PKTS\neth\"0          5\nlo          1.0M\n");
	free(s);
}

static void test_error_json(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct np_out *o = out_new(NP_FMT_JSON, false, false, f);

	out_error(o, "bad \"thing\"");
	out_free(o);
	fclose(f);
	CHECK_STR(buf, "{\"error\":\"bad \\\"thing\\\"\"}\n");
	free(buf);
}

/* Live events: JSON Lines (one compact object per line, no array) and
 * explicit nulls, "-" for those in plain text. */
static char *render_stream(enum np_format fmt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct np_out *o = out_new(fmt, true, false, f);

	out_table_begin(o, NULL, cols, 3, NP_LAYOUT_STREAM);
	for (int i = 0; i < 2; i++) {
		out_row_begin(o);
		out_str(o, C_NAME, i ? "lo" : "a0");
		if (i)
			out_null(o, C_PKTS);
		else
			out_u64(o, C_PKTS, 7);
		out_row_end(o);
	}
	out_table_end(o);
	out_free(o);
	fclose(f);
	return buf;
}

static void test_stream(void)
{
	char *s = render_stream(NP_FMT_JSON);

	CHECK_STR(s, "{\"interface\":\"a0\",\"packets\":7}\n"
		     "{\"interface\":\"lo\",\"packets\":null}\n");
	free(s);
	s = render_stream(NP_FMT_PLAIN);
	CHECK_STR(s, "IF          PKTS\na0             7\nlo             -\n");
	free(s);
}

int main(void)
{
	test_units();
	test_json();
	test_prom();
	test_plain();
	test_error_json();
	test_stream();
	UNIT_DONE();
}
