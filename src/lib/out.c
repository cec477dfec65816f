// SPDX-License-Identifier: GPL-2.0
/* The output layer: see out.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "out.h"

#define MAX_DEPTH 8

enum cell_type {
	CELL_NONE, CELL_STR, CELL_U64, CELL_DOUBLE, CELL_BOOL, CELL_NULL,
	CELL_STRV, CELL_U64V,	/* lists: u items in s, each ending in a NUL */
	CELL_OBJ,		/* an object: plain text, NUL, its JSON at s + u */
};

struct cell {
	enum cell_type type;
	char *s;		/* kept across rows: no allocation per field */
	size_t len, cap;	/* a list: len is every item's bytes and NULs */
	char *jkey;		/* JSON: "key": of this column, made once per table */
	size_t jkeylen;
	__u64 u;
	double d;
	const double *le;	/* a histogram's bounds (out_hist), u64 list + 1 */
	int nle;
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
	bool bits;		/* -b: byte rates in bits per second (plain text) */
	FILE *f;
	bool started;
	bool ended;
	int werr;		/* errno of the first write that failed, 0 if none */
	char *const_labels;	/* Prometheus: k="v",... on every sample, or NULL */
	char *error_doc;	/* the message of the JSON error document written */

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
	/* JSON text of the rows written and not yet handed to f (rows_flush). */
	char *rowbuf;
	size_t rowlen, rowcap;
	bool cells_clean;	/* no cell set since the last clear */
};

/*
 * Table rows collect here and reach the stream in large writes: one
 * fwrite per row costs more than formatting a flow does.
 */
#define ROWS_PENDING_MAX	(64u * 1024)

/*
 * Short copies into a row are one fixed-size move of ROW_SLACK bytes, not a
 * memcpy call: the text of each key and string cell has that much readable
 * memory behind it (allocated so), and the row buffer has room to spare for
 * each cell (ROW_CELL_ROOM, reserved once per cell).
 */
#define ROW_SLACK		32
#define ROW_CELL_ROOM		(4 * ROW_SLACK + 64)

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

void out_set_bits(struct np_out *o, bool bits)
{
	o->bits = bits;
}

enum np_format out_format(const struct np_out *o)
{
	return o->fmt;
}

/*
 * stdio keeps only a flag when a write fails; the reason is in errno right
 * after the call that failed, so the output layer looks after each write.
 */
static bool write_failed(struct np_out *o)
{
	if (!o->werr && ferror_unlocked(o->f))
		o->werr = errno ? errno : EIO;
	return o->werr != 0;
}

/* fflush(), and the reason if it fails. */
static void flush_checked(struct np_out *o)
{
	if (fflush(o->f) && !o->werr)
		o->werr = errno ? errno : EIO;
}

/* Hands the rows collected in rowbuf to the stream. */
static void rows_flush(struct np_out *o)
{
	if (!o->rowlen)
		return;
	fwrite_unlocked(o->rowbuf, 1, o->rowlen, o->f);
	o->rowlen = 0;
}

bool out_broken(struct np_out *o)
{
	return write_failed(o);
}

bool out_started(const struct np_out *o)
{
	return o->started;
}

/* Length of the well-formed UTF-8 sequence at s (as jansson checks it), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	__u32 cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	len = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (len > n)
		return 0;
	cp = s[0] & (0xff >> (len + 1));
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates, beyond U+10FFFF. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/*
 * s with each byte that is not part of valid UTF-8 written as the four
 * characters \xNN; NULL if s is valid as it is. JSON and Prometheus need
 * UTF-8: an interface name, a comm or a file's text need not be.
 */
static char *utf8_escape(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), bad = 0, j = 0;
	char *e;

	for (size_t i = 0, l; i < n; i += l ? l : 1)
		bad += !(l = utf8_len(p + i, n - i));
	if (!bad)
		return NULL;
	e = malloc(n + 3 * bad + 1);
	if (!e)
		return NULL;
	for (size_t i = 0, l; i < n; i += l ? l : 1) {
		l = utf8_len(p + i, n - i);
		if (l) {
			memcpy(e + j, p + i, l);
			j += l;
		} else {
			j += sprintf(e + j, "\\x%02x", p[i]);
		}
	}
	e[j] = '\0';
	return e;
}

/* A JSON string of s, which need not be UTF-8; NULL only without memory. */
static json_t *json_text(const char *s)
{
	json_t *v = json_string(s);
	char *e;

	if (v)
		return v;
	e = utf8_escape(s);
	v = e ? json_string(e) : NULL;
	free(e);
	return v;
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
	rows_flush(o);
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

	rows_flush(o);
	o->depth--;
	if (!empty)
		indent(o);
	fputc(c, o->f);
	if (o->depth == 0)
		fputc('\n', o->f);
}

static void json_key(struct np_out *o, const char *key)
{
	json_t *k = json_text(key);

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
	char *s = v ? json_dumps(v, flags) : NULL;

	json_decref(v);
	/* The key is out already: never leave it without a value. */
	if (!s) {
		fputs("null", o->f);
		return;
	}
	if (!o->pretty) {
		/* Compact output has no newlines to indent. */
		fputs(s, o->f);
		free(s);
		return;
	}
	for (char *p = s; *p; p++) {
		fputc(*p, o->f);
		if (*p == '\n')
			for (int i = 0; i < o->depth; i++)
				fputs("  ", o->f);
	}
	free(s);
}

int out_end(struct np_out *o)
{
	if (!o->ended) {
		o->ended = true;
		rows_flush(o);
		if (o->fmt == NP_FMT_JSON)
			while (o->depth > 0)
				json_close(o);
		flush_checked(o);
		write_failed(o);
	}
	return -o->werr;
}

const char *out_error_doc(const struct np_out *o)
{
	return o->error_doc;
}

int out_free(struct np_out *o)
{
	int err;

	if (!o)
		return 0;
	err = out_end(o);
	free(o->cells);
	free(o->fams);
	free(o->rowbuf);
	free(o->error_doc);
	free(o->const_labels);
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
	write_failed(o);
}

void out_kv_str(struct np_out *o, const char *key, const char *header, const char *v)
{
	switch (o->fmt) {
	case NP_FMT_JSON:
		json_key(o, key);
		json_put(o, v ? json_text(v) : json_null());
		break;
	case NP_FMT_PLAIN:
		o->started = true;
		fprintf(o->f, "%-18s %s\n", header, v ? v : "-");
		break;
	case NP_FMT_PROM:
		break;
	}
	write_failed(o);
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

static void pad_spaces(FILE *f, int n)
{
	static const char spaces[] = "                                ";

	for (int k; n > 0; n -= k) {
		k = n < (int)sizeof(spaces) - 1 ? n : (int)sizeof(spaces) - 1;
		fwrite_unlocked(spaces, 1, k, f);
	}
}

static void plain_cell(struct np_out *o, int i, const char *s, bool last)
{
	int w = o->cols[i].width;
	size_t len;

	if (o->layout == NP_LAYOUT_RECORD) {
		fprintf(o->f, "%-18s %s\n", o->cols[i].header, s);
		return;
	}
	/* As "%*s" prints it, without printf: a plain table may have a million rows. */
	len = strlen(s);
	if (w > 0)
		pad_spaces(o->f, w - (int)len);
	fwrite_unlocked(s, 1, len, o->f);
	if (w < 0 && !last)
		pad_spaces(o->f, -w - (int)len);
	fputs_unlocked(last ? "\n" : "  ", o->f);
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
	o->cells_clean = true;
	for (int i = 0; i < ncols && o->cells && o->fmt == NP_FMT_JSON; i++) {
		struct cell *c = &o->cells[i];

		const char *sp = o->pretty && layout != NP_LAYOUT_STREAM ? " " : "";

		/* A column without a key is for people only: plain text. */
		if (!cols[i].key)
			continue;
		c->jkeylen = strlen(cols[i].key) + 3 + strlen(sp);
		c->jkey = calloc(1, c->jkeylen + 1 + ROW_SLACK);
		if (c->jkey)
			snprintf(c->jkey, c->jkeylen + 1, "\"%s\":%s", cols[i].key, sp);
		else
			c->jkeylen = 0;
	}
	if (o->fmt == NP_FMT_PROM) {
		o->fams = calloc(ncols, sizeof(*o->fams));
		for (int i = 0; i < ncols && o->fams; i++)
			if (cols[i].prom == NP_P_COUNTER || cols[i].prom == NP_P_GAUGE ||
			    cols[i].prom == NP_P_HISTOGRAM)
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
				c->prom == NP_P_COUNTER ? "counter" :
				c->prom == NP_P_HISTOGRAM ? "histogram" : "gauge");
			fwrite(fam->buf, 1, fam->len, o->f);
		}
		free(fam->buf);
	}
}

void out_table_end(struct np_out *o)
{
	rows_flush(o);
	if (o->fmt == NP_FMT_JSON && o->layout != NP_LAYOUT_STREAM)
		json_close(o);
	else if (o->fmt == NP_FMT_PROM && o->fams)
		prom_flush_families(o);
	for (int i = 0; o->cells && i < o->ncols; i++) {
		free(o->cells[i].s);
		free(o->cells[i].jkey);
	}
	free(o->cells);
	free(o->fams);
	o->cells = NULL;
	o->fams = NULL;
	o->cols = NULL;
	o->ncols = 0;
	write_failed(o);
}

static void cells_clear(struct np_out *o)
{
	for (int i = 0; i < o->ncols; i++)
		o->cells[i].type = CELL_NONE;
	o->cells_clean = true;
}

void out_row_begin(struct np_out *o)
{
	if (o->cells && !o->cells_clean)
		cells_clear(o);
}

/* A list's items comma-separated, "-" when it has none. */
static void list_text(const struct cell *c, char *buf, size_t n)
{
	size_t len = 0;
	const char *p = c->s;

	if (!c->u) {
		snprintf(buf, n, "-");
		return;
	}
	buf[0] = '\0';
	for (__u64 k = 0; k < c->u; k++, p += strlen(p) + 1)
		len += snprintf(buf + len, len < n ? n - len : 0, "%s%s", k ? "," : "", p);
}

/* The plain text of cell i: in buf (n bytes), or the cell's own text if it fits. */
static const char *cell_text(struct np_out *o, int i, char *buf, size_t n)
{
	const struct cell *c = &o->cells[i];
	enum np_kind k = o->cols[i].kind;

	switch (c->type) {
	case CELL_NONE:
	case CELL_NULL:
		snprintf(buf, n, "-");
		break;
	case CELL_STR:
		if (c->len < n)
			return c->s;
		snprintf(buf, n, "%s", c->s);
		break;
	case CELL_STRV:
	case CELL_U64V:
		list_text(c, buf, n);
		break;
	case CELL_OBJ:
		snprintf(buf, n, "%s", c->s);
		break;
	case CELL_BOOL:
		snprintf(buf, n, "%s", c->u ? "yes" : "no");
		break;
	case CELL_DOUBLE:
		if (k == NP_K_BYTE_RATE && o->bits) {
			fmt_bits_rate(buf, n, c->d, o->numeric);
		} else if (k == NP_K_BYTE_RATE) {
			fmt_bytes(buf, n, (__u64)(c->d + 0.5), o->numeric);
			strncat(buf, "/s", n - strlen(buf) - 1);
		} else if (k == NP_K_RATIO) {
			snprintf(buf, n, "%.1f%%", c->d * 100);
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
	return buf;
}

/*
 * JSON rows are written directly rather than built as jansson objects and
 * printf'ed: a million flows must not cost a million object trees. The
 * text is what jansson prints; jansson still encodes what is not plain
 * (strings that need escapes or a UTF-8 check, and reals).
 */
/* *buf reallocated to len bytes; false (and *buf as it was) without memory. */
static bool buf_resize(char **buf, size_t *cap, size_t len)
{
	char *p = realloc(*buf, len);

	if (!p)
		return false;
	*buf = p;
	*cap = len;
	return true;
}

static bool row_grow(struct np_out *o, size_t more)
{
	size_t cap = o->rowcap ? o->rowcap : 1024;

	if (o->rowlen + more <= o->rowcap)
		return true;
	while (cap < o->rowlen + more)
		cap *= 2;
	return buf_resize(&o->rowbuf, &o->rowcap, cap);
}

static inline void row_put(struct np_out *o, const char *s, size_t n)
{
	if (o->rowlen + n > o->rowcap && !row_grow(o, n))
		return;
	memcpy(o->rowbuf + o->rowlen, s, n);
	o->rowlen += n;
}

static inline void row_puts(struct np_out *o, const char *s)
{
	row_put(o, s, strlen(s));
}

/* Room for one cell's writes with row_add*(); false without memory. */
static inline bool row_reserve(struct np_out *o)
{
	return o->rowlen + ROW_CELL_ROOM <= o->rowcap || row_grow(o, ROW_CELL_ROOM);
}

/* After row_reserve(): n bytes that fit the room (constants: inlined). */
static inline void row_add(struct np_out *o, const char *s, size_t n)
{
	memcpy(o->rowbuf + o->rowlen, s, n);
	o->rowlen += n;
}

/* After row_reserve(): n bytes of s, which has ROW_SLACK readable bytes. */
static inline void row_add_short(struct np_out *o, const char *s, size_t n)
{
	if (n > ROW_SLACK) {
		row_put(o, s, n);
		return;
	}
	memcpy(o->rowbuf + o->rowlen, s, ROW_SLACK);
	o->rowlen += n;
}

/* "00" to "99": integers are written two digits at a time. */
static const char digit_pairs[201] =
	"00010203040506070809101112131415161718192021222324"
	"25262728293031323334353637383940414243444546474849"
	"50515253545556575859606162636465666768697071727374"
	"75767778798081828384858687888990919293949596979899";

/* After row_reserve(): v as json_integer() prints it. */
static void row_int(struct np_out *o, int64_t v)
{
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
	int n = (v < 0) + 1;
	char *p;

	for (uint64_t t = u; t >= 10 && n < 21; t /= 10)
		n++;
	p = o->rowbuf + o->rowlen + n;
	o->rowlen += n;
	while (u >= 100) {
		p -= 2;
		memcpy(p, digit_pairs + u % 100 * 2, 2);
		u /= 100;
	}
	if (u >= 10) {
		p -= 2;
		memcpy(p, digit_pairs + u * 2, 2);
	} else {
		*--p = '0' + u;
	}
	if (v < 0)
		*--p = '-';
}

/* Bytes a JSON string holds as they are: printable ASCII but " and \\. */
static const unsigned char json_plain_byte[256] = {
	[' ' ... '!'] = 1, ['#' ... '['] = 1, [']' ... '~'] = 1,
};

static bool plain_ascii(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned char all = 1;

	/* No early exit: almost every string is plain, and the loop vectorises. */
	for (size_t i = 0; i < len; i++)
		all &= json_plain_byte[p[i]];
	return all;
}

/* Appends v (stolen) as jansson encodes it; false if it cannot be encoded. */
static bool row_jansson(struct np_out *o, json_t *v)
{
	size_t len = v ? json_dumpb(v, NULL, 0, JSON_ENCODE_ANY | JSON_COMPACT) : 0;
	bool ok = len && row_grow(o, len) &&
		  json_dumpb(v, o->rowbuf + o->rowlen, len, JSON_ENCODE_ANY | JSON_COMPACT) == len;

	if (ok)
		o->rowlen += len;
	json_decref(v);
	return ok;
}

/* Appends a list cell as a JSON array; false if an item cannot be encoded. */
static bool row_list(struct np_out *o, const struct cell *c)
{
	const char *sep = o->pretty && o->layout != NP_LAYOUT_STREAM ? ", " : ",";
	const char *p = c->s;

	row_put(o, "[", 1);
	for (__u64 k = 0; k < c->u; k++, p += strlen(p) + 1) {
		size_t len = strlen(p);

		if (k)
			row_puts(o, sep);
		if (c->type == CELL_U64V) {
			row_put(o, p, len);
		} else if (plain_ascii(p, len)) {
			row_put(o, "\"", 1);
			row_put(o, p, len);
			row_put(o, "\"", 1);
		} else if (!row_jansson(o, json_text(p))) {
			return false;
		}
	}
	row_put(o, "]", 1);
	return true;
}

static const char *rfc3339_text(__u64 realtime_ns, size_t *len);

/* Appends the JSON value of cell i; false if the field is to be left out. */
static bool row_value(struct np_out *o, int i)
{
	const struct cell *c = &o->cells[i];
	const char *date;
	size_t len;

	switch (c->type) {
	case CELL_NULL:
		row_add(o, "null", 4);
		return true;
	case CELL_STR:
		if (!plain_ascii(c->s, c->len))
			return row_jansson(o, json_text(c->s));
		row_add(o, "\"", 1);
		row_add_short(o, c->s, c->len);
		if (c->len <= ROW_SLACK)
			row_add(o, "\"", 1);
		else
			row_put(o, "\"", 1);	/* it may have used up the room */
		return true;
	case CELL_BOOL:
		if (c->u)
			row_add(o, "true", 4);
		else
			row_add(o, "false", 5);
		return true;
	case CELL_STRV:
	case CELL_U64V:
		return row_list(o, c);
	case CELL_OBJ:
		row_put(o, c->s + c->u, c->len - c->u);
		return true;
	case CELL_DOUBLE:
		return row_jansson(o, json_real(c->d));
	case CELL_U64:
		if (o->cols[i].kind != NP_K_TIME) {
			row_int(o, (int64_t)c->u);	/* as json_integer() */
		} else if (!c->u) {
			row_add(o, "null", 4);
		} else {
			date = rfc3339_text(c->u, &len);
			row_add(o, "\"", 1);
			row_add_short(o, date, len);
			row_add(o, "\"", 1);
		}
		return true;
	case CELL_NONE:
		break;
	}
	return false;
}

static void row_indent(struct np_out *o, int depth)
{
	row_put(o, "\n", 1);
	for (int d = 0; d < depth; d++)
		row_put(o, "  ", 2);
}

/* What json_sep() writes before an element, into rowbuf. */
static void row_sep(struct np_out *o)
{
	o->started = true;
	if (!o->first[o->depth])
		row_put(o, ",", 1);
	o->first[o->depth] = false;
	if (o->depth && o->pretty)
		row_indent(o, o->depth);
}

static void row_json(struct np_out *o)
{
	/* JSON Lines: a compact document per row, whatever -p says. */
	bool lines = o->layout == NP_LAYOUT_STREAM;
	bool pretty = o->pretty && !lines;
	bool first = true;

	if (!lines)
		row_sep(o);
	row_put(o, "{", 1);
	for (int i = 0; i < o->ncols; i++) {
		size_t mark = o->rowlen;

		if (o->cells[i].type == CELL_NONE || !o->cells[i].jkey)
			continue;
		if (pretty && !first)
			row_put(o, ",", 1);
		if (pretty)
			row_indent(o, o->depth + 1);
		if (!row_reserve(o))
			break;
		if (!pretty && !first)
			row_add(o, ",", 1);
		row_add_short(o, o->cells[i].jkey, o->cells[i].jkeylen);
		if (!row_value(o, i)) {
			o->rowlen = mark;
			continue;
		}
		first = false;
	}
	if (pretty && !first)
		row_indent(o, o->depth);
	row_put(o, "}", 1);
	if (lines)
		row_put(o, "\n", 1);
	if (lines || o->rowlen >= ROWS_PENDING_MAX)
		rows_flush(o);
}

static void row_plain(struct np_out *o)
{
	int last = last_plain_col(o);
	char buf[1024];	/* a list may be long */

	if (o->layout == NP_LAYOUT_RECORD && o->nrows)
		fputc('\n', o->f);
	for (int i = 0; i < o->ncols; i++) {
		if (!o->cols[i].header)
			continue;
		plain_cell(o, i, cell_text(o, i, buf, sizeof(buf)), i == last);
	}
}

int out_prom_label(struct np_out *o, const char *name, const char *value)
{
	char esc[512], *s;

	fmt_prom_label(esc, sizeof(esc), value);
	if (asprintf(&s, "%s%s%s=\"%s\"", o->const_labels ?: "", o->const_labels ? "," : "",
		     name, esc) < 0)
		return -ENOMEM;
	free(o->const_labels);
	o->const_labels = s;
	return 0;
}

/* A cell that makes a label or a sample: set, known, and no list. */
static bool prom_value(const struct cell *c)
{
	return c->type != CELL_NONE && c->type != CELL_NULL && c->type != CELL_STRV &&
	       c->type != CELL_U64V && c->type != CELL_OBJ;
}

/*
 * The samples of a histogram cell (counts as out_u64v text, sum in d):
 * cumulative buckets with an le label after the row's, then _sum and _count.
 */
static void prom_hist(struct np_out *o, int i, const char *labels, size_t len)
{
	const struct np_col *col = &o->cols[i];
	const struct cell *c = &o->cells[i];
	struct family *fam = &o->fams[i];
	const char *p = c->s;
	__u64 cum = 0;

	for (int b = 0; b <= c->nle && b < (int)c->u; b++, p += strlen(p) + 1) {
		char le[32];

		cum += strtoull(p, NULL, 10);
		if (b < c->nle)
			snprintf(le, sizeof(le), "%g", c->le[b]);
		else
			snprintf(le, sizeof(le), "+Inf");
		fprintf(fam->f, "%s_bucket{%s%sle=\"%s\"} %" PRIu64 "\n", col->metric, labels,
			len ? "," : "", le, (uint64_t)cum);
	}
	fprintf(fam->f, "%s_sum%s%s%s %.17g\n", col->metric, len ? "{" : "", labels,
		len ? "}" : "", c->d);
	fprintf(fam->f, "%s_count%s%s%s %" PRIu64 "\n", col->metric, len ? "{" : "", labels,
		len ? "}" : "", (uint64_t)cum);
	fam->nsamples++;
}

static void row_prom(struct np_out *o)
{
	char labels[2048] = "", val[64], esc[512];
	size_t len = 0;

	for (int i = 0; i < o->ncols; i++) {
		if (o->cols[i].prom != NP_P_LABEL || !prom_value(&o->cells[i]))
			continue;
		cell_text(o, i, val, sizeof(val));
		if (o->cells[i].type == CELL_U64 && o->cols[i].kind != NP_K_TIME)
			snprintf(val, sizeof(val), "%" PRIu64, (uint64_t)o->cells[i].u);
		fmt_prom_label(esc, sizeof(esc), o->cells[i].type == CELL_STR ? o->cells[i].s : val);
		len += snprintf(labels + len, len < sizeof(labels) ? sizeof(labels) - len : 0,
				"%s%s=\"%s\"", len ? "," : "", o->cols[i].key, esc);
	}
	/* The invocation's own labels (--prom-label, pin_netns) come last. */
	if (o->const_labels)
		len += snprintf(labels + len, len < sizeof(labels) ? sizeof(labels) - len : 0,
				"%s%s", len ? "," : "", o->const_labels);
	for (int i = 0; i < o->ncols; i++) {
		struct family *fam = &o->fams[i];
		const struct cell *c = &o->cells[i];

		if (fam->f && o->cols[i].prom == NP_P_HISTOGRAM && c->type == CELL_U64V && c->le) {
			prom_hist(o, i, labels, len);
			continue;
		}
		if (!fam->f || !prom_value(c))
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
	/* Live rows go out as they come, and stop at the first that cannot. */
	if (o->layout == NP_LAYOUT_STREAM)
		flush_checked(o);
	write_failed(o);
}

static struct cell *cell_at(struct np_out *o, int col)
{
	if (!o->cells || col < 0 || col >= o->ncols)
		return NULL;
	o->cells_clean = false;
	o->cells[col].type = CELL_NONE;
	o->cells[col].le = NULL;
	return &o->cells[col];
}

static bool cell_reserve(struct cell *c, size_t len)
{
	if (len <= c->cap)
		return true;
	if (len < ROW_SLACK)
		len = ROW_SLACK;	/* see row_add_short() */
	return buf_resize(&c->s, &c->cap, len);
}

void out_str(struct np_out *o, int col, const char *v)
{
	struct cell *c = cell_at(o, col);
	size_t len;

	if (!c || !v)
		return;
	len = strlen(v) + 1;
	if (!cell_reserve(c, len))
		return;
	memcpy(c->s, v, len);
	c->len = len - 1;
	c->type = CELL_STR;
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

/* Room for len bytes in c->s; false without memory. */
void out_strv(struct np_out *o, int col, const char *const *v, int n)
{
	struct cell *c = cell_at(o, col);
	size_t len = 0;

	if (!c || (n > 0 && !v))
		return;
	for (int i = 0; i < n; i++)
		len += v[i] ? strlen(v[i]) + 1 : 0;
	if (!cell_reserve(c, len ? len : 1))
		return;
	c->len = 0;
	c->u = 0;
	for (int i = 0; i < n; i++) {
		if (!v[i])
			continue;
		memcpy(c->s + c->len, v[i], strlen(v[i]) + 1);
		c->len += strlen(v[i]) + 1;
		c->u++;
	}
	c->type = CELL_STRV;
}

void out_u64v(struct np_out *o, int col, const __u64 *v, int n)
{
	struct cell *c = cell_at(o, col);

	if (!c || (n > 0 && !v))
		return;
	/* As text: 20 digits and a NUL at most per item. */
	if (!cell_reserve(c, n > 0 ? (size_t)n * 21 : 1))
		return;
	c->len = 0;
	for (int i = 0; i < n; i++)
		c->len += sprintf(c->s + c->len, "%" PRIu64, (uint64_t)v[i]) + 1;
	c->u = n > 0 ? n : 0;
	c->type = CELL_U64V;
}

void out_hist(struct np_out *o, int col, const double *le, int nle, const __u64 *counts,
	      double sum)
{
	struct cell *c;

	out_u64v(o, col, counts, nle + 1);
	if (col < 0 || col >= o->ncols || !o->cells || o->cells[col].type != CELL_U64V)
		return;
	c = &o->cells[col];
	c->d = sum;
	c->le = le;
	c->nle = nle;
}

void out_json_text(struct np_out *o, int col, const char *json, const char *plain)
{
	struct cell *c = cell_at(o, col);
	size_t pl = strlen(plain ?: ""), jl = json ? strlen(json) : 0;

	if (!c || !jl || !cell_reserve(c, pl + 1 + jl))
		return;
	memcpy(c->s, plain ?: "", pl + 1);
	memcpy(c->s + pl + 1, json, jl);
	c->u = pl + 1;
	c->len = pl + 1 + jl;
	c->type = CELL_OBJ;
}

void out_obj(struct np_out *o, int col, json_t *v, const char *plain)
{
	char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;

	out_json_text(o, col, text, plain);
	free(text);
	json_decref(v);
}

void out_printf(struct np_out *o, const char *fmt, ...)
{
	va_list ap;

	if (write_failed(o))
		return;
	rows_flush(o);
	o->started = true;
	va_start(ap, fmt);
	vfprintf(o->f, fmt, ap);
	va_end(ap);
	write_failed(o);
}

void out_error(struct np_out *o, const char *msg)
{
	/* Nothing goes to a stdout that already refused a write. */
	if (o && o->fmt == NP_FMT_JSON && !o->started && !write_failed(o)) {
		json_t *e = json_object();

		json_object_set_new(e, "error", json_text(msg) ?: json_string(""));
		json_dumpf(e, o->f, o->pretty ? JSON_INDENT(2) : JSON_COMPACT);
		fputc('\n', o->f);
		json_decref(e);
		o->started = true;
		free(o->error_doc);
		o->error_doc = strdup(msg);
		return;
	}
	if (o) {
		rows_flush(o);
		flush_checked(o);
	} else {
		fflush(stdout);
	}
	fprintf(stderr, "Error: %s\n", msg);
}

/* ---- standard descriptors ---- */

int out_park_closed_fds(void)
{
	int closed = 0;

	for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
		int nfd;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* The lower ones are open by now: open() returns fd itself. */
		nfd = open("/dev/null", fd == STDIN_FILENO ? O_RDONLY : O_WRONLY);
		if (nfd < 0)
			return -errno;
		if (nfd != fd) {
			dup2(nfd, fd);
			close(nfd);
		}
		closed |= 1 << fd;
	}
	return closed;
}

/* The cookie is the errno itself. */
static ssize_t refuse_write(void *cookie, const char *buf, size_t size)
{
	(void)buf;
	(void)size;
	errno = (int)(intptr_t)cookie;
	return 0;	/* fopencookie(3): 0, never negative, on error */
}

FILE *out_failing_stream(int err)
{
	cookie_io_functions_t io = { .write = refuse_write };

	return fopencookie((void *)(intptr_t)err, "w", io);
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

void fmt_bits_rate(char *buf, size_t n, double bytes_per_sec, bool numeric)
{
	static const char *const units[] = { "bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s",
					     NULL };
	__u64 bits = (__u64)(bytes_per_sec * 8 + 0.5);

	if (numeric)
		snprintf(buf, n, "%" PRIu64 " bit/s", (uint64_t)bits);
	else
		fmt_scaled(buf, n, bits, units, " ");
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

/* Two digits of v at p. */
static void put2(char *p, unsigned v)
{
	p[0] = '0' + v / 10 % 10;
	p[1] = '0' + v % 10;
}

/*
 * The RFC 3339 text of a time, in a static buffer with ROW_SLACK readable
 * bytes. This runs per row: the date once a day, the time once a second,
 * the microseconds by hand.
 */
static const char *rfc3339_text(__u64 realtime_ns, size_t *len)
{
	static time_t last_day = -1, last_secs = -1;
	static char text[40 + ROW_SLACK];
	static size_t tlen;
	time_t secs = realtime_ns / 1000000000ull, day = secs / 86400;
	unsigned us = realtime_ns % 1000000000ull / 1000, sod = secs % 86400;
	char *t;
	struct tm tm;

	if (day != last_day) {
		gmtime_r(&secs, &tm);
		tlen = strftime(text, 40, "%Y-%m-%dT00:00:00.000000Z", &tm);
		last_day = day;
		last_secs = -1;
	}
	*len = tlen;
	if (tlen < 27)
		return text;
	t = text + tlen - 16;	/* HH:MM:SS.uuuuuuZ */
	if (secs != last_secs) {
		put2(t, sod / 3600);
		put2(t + 3, sod / 60 % 60);
		put2(t + 6, sod % 60);
		last_secs = secs;
	}
	memcpy(t + 9, digit_pairs + us / 10000 * 2, 2);
	memcpy(t + 11, digit_pairs + us / 100 % 100 * 2, 2);
	memcpy(t + 13, digit_pairs + us % 100 * 2, 2);
	return text;
}

void fmt_rfc3339(char *buf, size_t n, __u64 realtime_ns)
{
	size_t len;
	const char *text = rfc3339_text(realtime_ns, &len);

	if (n) {
		size_t m = len < n - 1 ? len : n - 1;

		memcpy(buf, text, m);
		buf[m] = '\0';
	}
}

void fmt_localtime(char *buf, size_t n, __u64 realtime_ns)
{
	/* A table's times fall in few seconds: each second converted once. */
	static struct { time_t secs; char text[32]; } seen[256];
	static bool ready;
	time_t secs = realtime_ns / 1000000000ull;
	unsigned slot = (unsigned)secs % 256;
	struct tm tm;

	if (!ready) {
		for (int i = 0; i < 256; i++)
			seen[i].secs = -1;
		ready = true;
	}
	if (seen[slot].secs != secs) {
		localtime_r(&secs, &tm);
		if (!strftime(seen[slot].text, sizeof(seen[slot].text), "%Y-%m-%d %H:%M:%S", &tm))
			seen[slot].text[0] = '\0';
		seen[slot].secs = secs;
	}
	snprintf(buf, n, "%s", seen[slot].text);
}

void fmt_prom_label(char *buf, size_t n, const char *v)
{
	const unsigned char *p = (const unsigned char *)v;
	size_t j = 0, len = strlen(v);

	/* Label values are UTF-8: a stray byte is the text \xNN, its \ escaped. */
	for (size_t i = 0, l; i < len && j + 6 < n; i += l ? l : 1) {
		l = utf8_len(p + i, len - i);
		if (!l) {
			j += snprintf(buf + j, n - j, "\\\\x%02x", p[i]);
		} else if (l > 1) {
			memcpy(buf + j, p + i, l);
			j += l;
		} else if (p[i] == '\\' || p[i] == '"') {
			buf[j++] = '\\';
			buf[j++] = p[i];
		} else if (p[i] == '\n') {
			buf[j++] = '\\';
			buf[j++] = 'n';
		} else {
			buf[j++] = p[i];
		}
	}
	buf[j] = '\0';
}
