// SPDX-License-Identifier: GPL-2.0
/* The output layer: see out.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#include "out.h"

#define MAX_DEPTH 8

enum cell_type { CELL_NONE, CELL_STR, CELL_U64, CELL_DOUBLE, CELL_BOOL, CELL_NULL };

struct cell {
	enum cell_type type;
	char *s;
	__u64 u;
	double d;
};

/* Samples of one Prometheus metric family, grouped until the table ends. */
struct family {
	FILE *f;
	char *buf;
	size_t len;
	int nsamples;
};

struct np_out {
	enum np_format fmt;
	bool pretty;
	bool numeric;
	FILE *f;
	bool started;

	/* JSON nesting: separators per level. */
	int depth;
	bool first[MAX_DEPTH];
	char close[MAX_DEPTH];

	/* The open table. */
	const struct np_col *cols;
	int ncols;
	enum np_layout layout;
	int nrows;
	struct cell *cells;
	struct family *fams;
};

struct np_out *out_new(enum np_format fmt, bool pretty, bool numeric, FILE *f)
{
	struct np_out *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->fmt = fmt;
	o->pretty = pretty;
	o->numeric = numeric;
	o->f = f;
	o->first[0] = true;
	return o;
}

enum np_format out_format(const struct np_out *o)
{
	return o->fmt;
}

bool out_broken(const struct np_out *o)
{
	return ferror(o->f) != 0;
}

bool out_started(const struct np_out *o)
{
	return o->started;
}

static void indent(struct np_out *o)
{
	if (!o->pretty)
		return;
	fputc('\n', o->f);
	for (int i = 0; i < o->depth; i++)
		fputs("  ", o->f);
}

/* Separator before a JSON member or element at the current depth. */
static void json_sep(struct np_out *o)
{
	o->started = true;
	if (!o->first[o->depth])
		fputc(',', o->f);
	o->first[o->depth] = false;
	if (o->depth)
		indent(o);
}

static void json_open(struct np_out *o, char open, char close)
{
	fputc(open, o->f);
	if (o->depth + 1 < MAX_DEPTH)
		o->depth++;
	o->first[o->depth] = true;
	o->close[o->depth] = close;
}

static void json_close(struct np_out *o)
{
	char c = o->close[o->depth];
	bool empty = o->first[o->depth];

	o->depth--;
	if (!empty)
		indent(o);
	fputc(c, o->f);
	if (o->depth == 0)
		fputc('\n', o->f);
}

static void json_key(struct np_out *o, const char *key)
{
	json_t *k = json_string(key);

	json_sep(o);
	json_dumpf(k, o->f, JSON_ENCODE_ANY);
	fputs(o->pretty ? ": " : ":", o->f);
	json_decref(k);
}

/* Writes v, indented to the current depth; steals the reference. */
static void json_put(struct np_out *o, json_t *v)
{
	size_t flags = JSON_ENCODE_ANY | JSON_PRESERVE_ORDER |
		       (o->pretty ? JSON_INDENT(2) : JSON_COMPACT);
	char *s = json_dumps(v, flags);

	json_decref(v);
	if (!s)
		return;
	for (char *p = s; *p; p++) {
		fputc(*p, o->f);
		if (*p == '\n')
			for (int i = 0; i < o->depth; i++)
				fputs("  ", o->f);
	}
	free(s);
}

int out_free(struct np_out *o)
{
	int err = 0;

	if (!o)
		return 0;
	if (o->fmt == NP_FMT_JSON)
		while (o->depth > 0)
			json_close(o);
	if (fflush(o->f) || ferror(o->f))
		err = -EPIPE;
	free(o->cells);
	free(o->fams);
	free(o);
	return err;
}

void out_object_begin(struct np_out *o)
{
	if (o->fmt != NP_FMT_JSON)
		return;
	if (o->depth)
		json_sep(o);
	o->started = true;
	json_open(o, '{', '}');
}

void out_object_end(struct np_out *o)
{
	if (o->fmt == NP_FMT_JSON && o->depth)
		json_close(o);
}

void out_kv_str(struct np_out *o, const char *key, const char *header, const char *v)
{
	switch (o->fmt) {
	case NP_FMT_JSON:
		json_key(o, key);
		json_put(o, v ? json_string(v) : json_null());
		break;
	case NP_FMT_PLAIN:
		o->started = true;
		fprintf(o->f, "%-18s %s\n", header, v ? v : "-");
		break;
	case NP_FMT_PROM:
		break;
	}
}

void out_kv_u64(struct np_out *o, const char *key, const char *header, __u64 v)
{
	char buf[32];

	if (o->fmt == NP_FMT_JSON) {
		json_key(o, key);
		json_put(o, json_integer((json_int_t)v));
		return;
	}
	snprintf(buf, sizeof(buf), "%" PRIu64, (uint64_t)v);
	out_kv_str(o, key, header, buf);
}

void out_kv_bool(struct np_out *o, const char *key, const char *header, bool v)
{
	if (o->fmt == NP_FMT_JSON) {
		json_key(o, key);
		json_put(o, json_boolean(v));
		return;
	}
	out_kv_str(o, key, header, v ? "yes" : "no");
}

/* ---- tables ---- */

static void plain_cell(struct np_out *o, int i, const char *s, bool last)
{
	int w = o->cols[i].width;

	if (o->layout == NP_LAYOUT_RECORD) {
		fprintf(o->f, "%-18s %s\n", o->cols[i].header, s);
		return;
	}
	if (last && w < 0)
		fputs(s, o->f);
	else
		fprintf(o->f, "%*s", w, s);
	fputs(last ? "\n" : "  ", o->f);
}

static int last_plain_col(const struct np_out *o)
{
	int last = -1;

	for (int i = 0; i < o->ncols; i++)
		if (o->cols[i].header)
			last = i;
	return last;
}

void out_table_begin(struct np_out *o, const char *key, const struct np_col *cols,
		     int ncols, enum np_layout layout)
{
	o->cols = cols;
	o->ncols = ncols;
	o->layout = layout;
	o->nrows = 0;
	o->cells = calloc(ncols, sizeof(*o->cells));
	if (o->fmt == NP_FMT_PROM) {
		o->fams = calloc(ncols, sizeof(*o->fams));
		for (int i = 0; i < ncols && o->fams; i++)
			if (cols[i].prom == NP_P_COUNTER || cols[i].prom == NP_P_GAUGE)
				o->fams[i].f = open_memstream(&o->fams[i].buf, &o->fams[i].len);
	}
	if (o->fmt == NP_FMT_JSON && layout == NP_LAYOUT_STREAM) {
		o->started = true;
	} else if (o->fmt == NP_FMT_JSON) {
		if (key)
			json_key(o, key);
		else if (o->depth)
			json_sep(o);
		o->started = true;
		json_open(o, '[', ']');
	} else if (o->fmt == NP_FMT_PLAIN && layout != NP_LAYOUT_RECORD) {
		int last = last_plain_col(o);

		if (key && o->started)
			fputc('\n', o->f);
		o->started = true;
		for (int i = 0; i < ncols; i++)
			if (cols[i].header)
				plain_cell(o, i, cols[i].header, i == last);
	}
}

static void prom_flush_families(struct np_out *o)
{
	for (int i = 0; i < o->ncols; i++) {
		struct family *fam = &o->fams[i];
		const struct np_col *c = &o->cols[i];

		if (!fam->f)
			continue;
		fclose(fam->f);
		if (fam->nsamples) {
			o->started = true;
			fprintf(o->f, "# HELP %s %s\n# TYPE %s %s\n", c->metric,
				c->help ? c->help : c->key, c->metric,
				c->prom == NP_P_COUNTER ? "counter" : "gauge");
			fwrite(fam->buf, 1, fam->len, o->f);
		}
		free(fam->buf);
	}
}

void out_table_end(struct np_out *o)
{
	if (o->fmt == NP_FMT_JSON && o->layout != NP_LAYOUT_STREAM)
		json_close(o);
	else if (o->fmt == NP_FMT_PROM && o->fams)
		prom_flush_families(o);
	free(o->cells);
	free(o->fams);
	o->cells = NULL;
	o->fams = NULL;
	o->cols = NULL;
	o->ncols = 0;
}

static void cells_clear(struct np_out *o)
{
	for (int i = 0; i < o->ncols; i++) {
		free(o->cells[i].s);
		o->cells[i] = (struct cell){ 0 };
	}
}

void out_row_begin(struct np_out *o)
{
	if (o->cells)
		cells_clear(o);
}

static void cell_text(struct np_out *o, int i, char *buf, size_t n)
{
	const struct cell *c = &o->cells[i];
	enum np_kind k = o->cols[i].kind;

	switch (c->type) {
	case CELL_NONE:
	case CELL_NULL:
		snprintf(buf, n, "-");
		break;
	case CELL_STR:
		snprintf(buf, n, "%s", c->s);
		break;
	case CELL_BOOL:
		snprintf(buf, n, "%s", c->u ? "yes" : "no");
		break;
	case CELL_DOUBLE:
		if (k == NP_K_BYTE_RATE) {
			fmt_bytes(buf, n, (__u64)(c->d + 0.5), o->numeric);
			strncat(buf, "/s", n - strlen(buf) - 1);
		} else if (o->numeric || c->d < 100000) {
			snprintf(buf, n, "%.1f", c->d);
		} else {
			fmt_count(buf, n, (__u64)(c->d + 0.5), false);
		}
		break;
	case CELL_U64:
		if (k == NP_K_COUNT)
			fmt_count(buf, n, c->u, o->numeric);
		else if (k == NP_K_BYTES)
			fmt_bytes(buf, n, c->u, o->numeric);
		else if (k == NP_K_TIME)
			c->u ? fmt_localtime(buf, n, c->u) : (void)snprintf(buf, n, "-");
		else if (k == NP_K_DURATION)
			fmt_duration(buf, n, c->u);
		else
			snprintf(buf, n, "%" PRIu64, (uint64_t)c->u);
		break;
	}
}

static json_t *cell_json(struct np_out *o, int i)
{
	const struct cell *c = &o->cells[i];
	char buf[64];

	switch (c->type) {
	case CELL_NULL:
		return json_null();
	case CELL_STR:
		return json_string(c->s);
	case CELL_BOOL:
		return json_boolean(c->u);
	case CELL_DOUBLE:
		return json_real(c->d);
	case CELL_U64:
		if (o->cols[i].kind == NP_K_TIME) {
			if (!c->u)
				return json_null();
			fmt_rfc3339(buf, sizeof(buf), c->u);
			return json_string(buf);
		}
		return json_integer((json_int_t)c->u);
	case CELL_NONE:
		break;
	}
	return NULL;
}

static void row_json(struct np_out *o)
{
	json_t *obj = json_object();

	for (int i = 0; i < o->ncols; i++) {
		json_t *v = cell_json(o, i);

		if (v)
			json_object_set_new(obj, o->cols[i].key, v);
	}
	if (o->layout == NP_LAYOUT_STREAM) {
		/* JSON Lines: a document per row, whatever -p says. */
		json_dumpf(obj, o->f, JSON_COMPACT | JSON_PRESERVE_ORDER);
		fputc('\n', o->f);
		json_decref(obj);
		return;
	}
	json_sep(o);
	json_put(o, obj);
}

static void row_plain(struct np_out *o)
{
	int last = last_plain_col(o);
	char buf[256];

	if (o->layout == NP_LAYOUT_RECORD && o->nrows)
		fputc('\n', o->f);
	for (int i = 0; i < o->ncols; i++) {
		if (!o->cols[i].header)
			continue;
		cell_text(o, i, buf, sizeof(buf));
		plain_cell(o, i, buf, i == last);
	}
}

static void row_prom(struct np_out *o)
{
	char labels[1024] = "", val[64], esc[512];
	size_t len = 0;

	for (int i = 0; i < o->ncols; i++) {
		if (o->cols[i].prom != NP_P_LABEL || o->cells[i].type == CELL_NONE ||
		    o->cells[i].type == CELL_NULL)
			continue;
		cell_text(o, i, val, sizeof(val));
		if (o->cells[i].type == CELL_U64 && o->cols[i].kind != NP_K_TIME)
			snprintf(val, sizeof(val), "%" PRIu64, (uint64_t)o->cells[i].u);
		fmt_prom_label(esc, sizeof(esc), o->cells[i].type == CELL_STR ? o->cells[i].s : val);
		len += snprintf(labels + len, len < sizeof(labels) ? sizeof(labels) - len : 0,
				"%s%s=\"%s\"", len ? "," : "", o->cols[i].key, esc);
	}
	for (int i = 0; i < o->ncols; i++) {
		struct family *fam = &o->fams[i];
		const struct cell *c = &o->cells[i];

		if (!fam->f || c->type == CELL_NONE || c->type == CELL_NULL)
			continue;
		fprintf(fam->f, "%s%s%s%s ", o->cols[i].metric, len ? "{" : "", labels,
			len ? "}" : "");
		if (c->type == CELL_DOUBLE)
			fprintf(fam->f, "%.17g\n", c->d);
		else if (o->cols[i].kind == NP_K_TIME)
			fprintf(fam->f, "%.6f\n", c->u / 1e9);
		else
			fprintf(fam->f, "%" PRIu64 "\n", (uint64_t)c->u);
		fam->nsamples++;
	}
}

void out_row_end(struct np_out *o)
{
	if (!o->cells)
		return;
	switch (o->fmt) {
	case NP_FMT_JSON:
		row_json(o);
		break;
	case NP_FMT_PLAIN:
		o->started = true;
		row_plain(o);
		break;
	case NP_FMT_PROM:
		if (o->fams)
			row_prom(o);
		break;
	}
	o->nrows++;
	cells_clear(o);
	if (o->layout == NP_LAYOUT_STREAM)
		fflush(o->f);
}

static struct cell *cell_at(struct np_out *o, int col)
{
	if (!o->cells || col < 0 || col >= o->ncols)
		return NULL;
	free(o->cells[col].s);
	o->cells[col] = (struct cell){ 0 };
	return &o->cells[col];
}

void out_str(struct np_out *o, int col, const char *v)
{
	struct cell *c = cell_at(o, col);

	if (!c || !v)
		return;
	c->s = strdup(v);
	c->type = c->s ? CELL_STR : CELL_NONE;
}

void out_u64(struct np_out *o, int col, __u64 v)
{
	struct cell *c = cell_at(o, col);

	if (!c)
		return;
	c->type = CELL_U64;
	c->u = v;
}

void out_double(struct np_out *o, int col, double v)
{
	struct cell *c = cell_at(o, col);

	if (!c)
		return;
	c->type = CELL_DOUBLE;
	c->d = v;
}

void out_bool(struct np_out *o, int col, bool v)
{
	struct cell *c = cell_at(o, col);

	if (!c)
		return;
	c->type = CELL_BOOL;
	c->u = v;
}

void out_null(struct np_out *o, int col)
{
	struct cell *c = cell_at(o, col);

	if (c)
		c->type = CELL_NULL;
}

void out_error(struct np_out *o, const char *msg)
{
	if (o && o->fmt == NP_FMT_JSON && !o->started) {
		json_t *e = json_pack("{s:s}", "error", msg);

		json_dumpf(e, o->f, o->pretty ? JSON_INDENT(2) : JSON_COMPACT);
		fputc('\n', o->f);
		json_decref(e);
		o->started = true;
		return;
	}
	fflush(o ? o->f : stdout);
	fprintf(stderr, "Error: %s\n", msg);
}

/* ---- formatting helpers ---- */

static void fmt_scaled(char *buf, size_t n, __u64 v, const char *const *units, const char *sep)
{
	double d = v;
	int u = 0;

	while (d >= 1000 && units[u + 1]) {
		d /= 1000;
		u++;
	}
	if (u == 0)
		snprintf(buf, n, "%" PRIu64 "%s%s", (uint64_t)v, *units[0] ? sep : "", units[0]);
	else
		snprintf(buf, n, "%.1f%s%s", d, sep, units[u]);
}

void fmt_count(char *buf, size_t n, __u64 v, bool numeric)
{
	static const char *const units[] = { "", "K", "M", "G", "T", "P", NULL };

	if (numeric || v < 100000)
		snprintf(buf, n, "%" PRIu64, (uint64_t)v);
	else
		fmt_scaled(buf, n, v, units, "");
}

void fmt_bytes(char *buf, size_t n, __u64 v, bool numeric)
{
	static const char *const units[] = { "B", "KB", "MB", "GB", "TB", "PB", NULL };

	if (numeric)
		snprintf(buf, n, "%" PRIu64, (uint64_t)v);
	else
		fmt_scaled(buf, n, v, units, " ");
}

void fmt_duration(char *buf, size_t n, __u64 ns)
{
	if (ns < 1000)
		snprintf(buf, n, "%" PRIu64 "ns", (uint64_t)ns);
	else if (ns < 1000000)
		snprintf(buf, n, "%.1fus", ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, n, "%.1fms", ns / 1e6);
	else if (ns < 120ull * 1000000000)
		snprintf(buf, n, "%.1fs", ns / 1e9);
	else if (ns < 7200ull * 1000000000)
		snprintf(buf, n, "%.1fm", ns / 60e9);
	else
		snprintf(buf, n, "%.1fh", ns / 3600e9);
}

void fmt_rfc3339(char *buf, size_t n, __u64 realtime_ns)
{
	time_t secs = realtime_ns / 1000000000ull;
	struct tm tm;
	char date[32];

	gmtime_r(&secs, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, n, "%s.%06uZ", date, (unsigned)(realtime_ns % 1000000000ull / 1000));
}

void fmt_localtime(char *buf, size_t n, __u64 realtime_ns)
{
	time_t secs = realtime_ns / 1000000000ull;
	struct tm tm;

	localtime_r(&secs, &tm);
	strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm);
}

void fmt_prom_label(char *buf, size_t n, const char *v)
{
	size_t j = 0;

	for (; *v && j + 3 < n; v++) {
		if (*v == '\\' || *v == '"') {
			buf[j++] = '\\';
			buf[j++] = *v;
		} else if (*v == '\n') {
			buf[j++] = '\\';
			buf[j++] = 'n';
		} else {
			buf[j++] = *v;
		}
	}
	buf[j] = '\0';
}
