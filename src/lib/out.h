/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one output layer. A command describes its columns once (struct
 * np_col) and emits each field once; the format decides how it looks:
 *   plain  aligned columns with human units (exact with -n),
 *   json   one document on stdout, each row streamed with json_dumpf,
 *   prom   Prometheus text exposition, rows grouped per metric family.
 */
#ifndef NP_OUT_H
#define NP_OUT_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

enum np_format { NP_FMT_PLAIN, NP_FMT_JSON, NP_FMT_PROM };

enum np_kind {
	NP_K_STR,		/* string */
	NP_K_U64,		/* plain integer, never abbreviated (ids, ports) */
	NP_K_COUNT,		/* packets, events: 1.2M in plain text */
	NP_K_BYTES,		/* bytes: 85.4 KB in plain text */
	NP_K_RATE,		/* per second, double */
	NP_K_BYTE_RATE,		/* bytes per second, double */
	NP_K_TIME,		/* CLOCK_REALTIME ns: RFC 3339 in JSON, local time in plain */
	NP_K_DURATION,		/* ns: "1.5s" in plain, raw ns in JSON */
	NP_K_BOOL,
	NP_K_RATIO,		/* double, a share: 0.123 in JSON, 12.3% in plain */
};

enum np_prom {
	NP_P_NONE,		/* not exported to Prometheus */
	NP_P_LABEL,		/* becomes a label of this row's samples */
	NP_P_COUNTER,
	NP_P_GAUGE,
	NP_P_HISTOGRAM,		/* out_hist(): <metric>_bucket{le}, _sum, _count */
};

struct np_col {
	const char *key;	/* JSON field name: a contract, never rename; NULL:
				 * a column of plain text only */
	const char *header;	/* plain column header; NULL hides it in plain */
	int width;		/* plain width; negative aligns left */
	enum np_kind kind;
	enum np_prom prom;
	const char *metric;	/* Prometheus metric name (counter/gauge) */
	const char *help;	/* Prometheus HELP text */
};

enum np_layout {
	NP_LAYOUT_TABLE,	/* plain: one line per row under a header */
	NP_LAYOUT_RECORD,	/* plain: "header: value" lines, rows apart */
	NP_LAYOUT_STREAM,	/* live events: plain table, JSON Lines under --json
				 * (one compact object per line, no array); every
				 * row is flushed as it ends */
};

struct np_out;

struct np_out *out_new(enum np_format fmt, bool pretty, bool numeric, FILE *f);
/* -b: plain text gives byte rates as bit rates (kbit/s, Mbit/s: 1000s, as iperf3). */
void out_set_bits(struct np_out *o, bool bits);
/* A label on every Prometheus sample (--prom-label); value escaped here. */
int out_prom_label(struct np_out *o, const char *name, const char *value);
/*
 * Finishes the document and flushes it (once; later calls only report).
 * Returns 0, or -errno of the first write that failed: -EPIPE when the
 * reader went away (| head), which is no error; anything else is lost
 * output, for main() to report.
 */
int out_end(struct np_out *o);
/* The message of the JSON error document written, or NULL. */
const char *out_error_doc(const struct np_out *o);
/* out_end(), then frees; returns what out_end() returns. */
int out_free(struct np_out *o);
enum np_format out_format(const struct np_out *o);
/* True once a write failed (| head, a full disk): stop producing rows. */
bool out_broken(struct np_out *o);
/* True once anything was written to stdout. */
bool out_started(const struct np_out *o);

/*
 * A document is either one list (out_table_begin at top level) or one
 * object (out_object_begin) holding scalar fields and named lists.
 */
void out_object_begin(struct np_out *o);
void out_object_end(struct np_out *o);
/* A scalar member of the open object; plain prints "header: value". */
void out_kv_str(struct np_out *o, const char *key, const char *header, const char *v);
void out_kv_u64(struct np_out *o, const char *key, const char *header, __u64 v);
void out_kv_bool(struct np_out *o, const char *key, const char *header, bool v);

/* key names the list inside an open object; NULL at top level. */
void out_table_begin(struct np_out *o, const char *key, const struct np_col *cols,
		     int ncols, enum np_layout layout);
void out_table_end(struct np_out *o);
void out_row_begin(struct np_out *o);
void out_row_end(struct np_out *o);
/* Fields of the open row, by column index; unset columns print "-". */
void out_str(struct np_out *o, int col, const char *v);
void out_u64(struct np_out *o, int col, __u64 v);
void out_double(struct np_out *o, int col, double v);
void out_bool(struct np_out *o, int col, bool v);
/* A field known to be unknown: null in JSON, "-" in plain, no sample in prom. */
void out_null(struct np_out *o, int col);
/*
 * A list field: a JSON array (of strings, escaped as out_str escapes them,
 * or of numbers), the items comma-separated in plain text ("-" when there
 * are none), never a Prometheus label or sample. NULL items are skipped.
 */
void out_strv(struct np_out *o, int col, const char *const *v, int n);
void out_u64v(struct np_out *o, int col, const __u64 *v, int n);
/*
 * A histogram field (a column of NP_P_HISTOGRAM): counts[i] observations in
 * bucket i (not cumulative) whose upper bound is le[i], ascending, for
 * nle bounds and nle + 1 counts (the last is above every bound), and the
 * sum of what was observed. le must outlive the row. Prometheus gets the
 * cumulative <metric>_bucket series, _sum and _count; JSON and plain text
 * the counts as a list.
 */
void out_hist(struct np_out *o, int col, const double *le, int nle, const __u64 *counts,
	      double sum);
/*
 * An object field (jansson's, which it takes): JSON prints the object,
 * plain text prints plain, Prometheus never uses it.
 */
typedef struct json_t json_t;
void out_obj(struct np_out *o, int col, json_t *v, const char *plain);
/* The same from JSON text made before (a cache of objects); NULL: unset. */
void out_json_text(struct np_out *o, int col, const char *json, const char *plain);

/*
 * Error reporting for np_err(): a JSON object on stdout under --json while
 * nothing else was written there, else "Error: ..." on stderr.
 */
void out_error(struct np_out *o, const char *msg);
/* A command's own text format (plain only, e.g. DOT): written as is, errors kept. */
void out_printf(struct np_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Opens /dev/null on each of fds 0, 1 and 2 that is closed, before anything
 * else opens a file: else the first open() or bpf_obj_get() gets fd 1 and
 * output lands in it. Returns the mask (1 << fd) of those that were closed,
 * or -errno.
 */
int out_park_closed_fds(void);
/* A stream whose every write fails with err: stdout when fd 1 was closed. */
FILE *out_failing_stream(int err);

/* Human units, also used by unit tests. buf of at least 32 bytes. */
void fmt_count(char *buf, size_t n, __u64 v, bool numeric);
void fmt_bytes(char *buf, size_t n, __u64 v, bool numeric);
/* Bytes per second as bits per second: "12.3 Mbit/s"; "12345 bit/s" exact. */
void fmt_bits_rate(char *buf, size_t n, double bytes_per_sec, bool numeric);
void fmt_duration(char *buf, size_t n, __u64 ns);
/* RFC 3339 UTC with microseconds, e.g. 2026-11-22T00:31:37.123456Z */
void fmt_rfc3339(char *buf, size_t n, __u64 realtime_ns);
/* Local time for people, e.g. 2026-11-22 01:31:37 */
void fmt_localtime(char *buf, size_t n, __u64 realtime_ns);
/* Escapes a Prometheus label value into buf. */
void fmt_prom_label(char *buf, size_t n, const char *v);

#endif /* NP_OUT_H */
