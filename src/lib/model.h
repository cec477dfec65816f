/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The model layer: every list netprobe shows is a table of records, and
 * every list command is the same four steps.
 *
 *   records    A command's iterator (a map walk, a ring buffer) turns each
 *              entry into a typed record (struct np_flow, ...) and hands it
 *              to np_query_add().
 *   query      The table's filters (struct np_filter_def: keyword, what it
 *              compares, where the field is), its sort keys and `top N`,
 *              parsed from the command line by np_query_parse(). The same
 *              keyword means the same thing on every list.
 *   resolvers  A record holds numbers (ifindex, netns inode, addresses);
 *              np_query_names() runs the resolver chain on the rows that
 *              are shown, once per distinct value, and gives their names.
 *   sink       The table's emit callback writes the row's fields through
 *              the output layer (out.h): text table, JSON or Prometheus.
 *
 * A new column: a field in the record and the table's np_col. A new
 * filter: a line in the table's np_filter_def list (usage, completion and
 * the man page test follow from it). A new resolver: a function in
 * model.c's chain, filling a member of struct np_names.
 */
#ifndef NP_MODEL_H
#define NP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <net/if.h>
#include <linux/types.h>
#include "flowfilter.h"
#include "k8s.h"
#include "np.h"

/* A field of a record: where it is and how wide (1, 2, 4, 8; 16 for addresses). */
struct np_field {
	unsigned short off;
	unsigned char size;
};

#define NP_FIELD(type, member) \
	{ offsetof(type, member), sizeof(((type *)0)->member) }

enum np_match {
	NP_M_UINT,	/* "N": field == N */
	NP_M_PORT,	/* "N": field == N or field2 == N (a flow's either port) */
	NP_M_CIDR,	/* "CIDR": 16-byte address field in the prefix */
	NP_M_PROTO,	/* "P": IP protocol by name or number */
	NP_M_DEV,	/* "DEV": ifindex field (and netns field2, when it has one) */
	NP_M_NETNS,	/* "NS": netns inode field, by /run/netns name or inode */
	NP_M_WORD,	/* one of words[]: field == values[i] */
	NP_M_STR,	/* "S": NUL-terminated char[] field equals */
	NP_M_FLAG,	/* no value: field != 0 */
	NP_M_OPT,	/* "N": not a filter, a number for the command (count N) */
	NP_M_SWITCH,	/* no value, no filter: a word for the command (k8s) */
	NP_M_CUSTOM,	/* parse() and match() of the table's own */
	/* Kubernetes, by the k8s resolver (the table's src/dst/netns fields): */
	NP_M_K8S_NS,	/* "NS": either end (or the netns' pod) in that namespace */
	NP_M_K8S_POD,	/* "NS/NAME": either end is that pod */
	NP_M_K8S_SVC,	/* "NS/NAME": the destination is that service */
	NP_M_K8S_DIR,	/* intra-node|inter-node|ingress|egress */
};

/* How NP_M_DEV finds the device. */
enum np_dev_scope {
	NP_DEV_ANY,		/* an attached device by its recorded name, else one of here */
	NP_DEV_TRAFFIC,		/* a device that carries tc or xdp (show flows, show stats) */
};

struct np_filter_val;

struct np_filter_def {
	const char *kw;
	enum np_match how;
	struct np_field f, f2;
	const char *meta;		/* the value in the synopsis; NULL: from words */
	const char *const *words;	/* NP_M_WORD: NULL-terminated */
	const unsigned *values;		/* NP_M_WORD: the field value of each word */
	__u64 min, max;			/* NP_M_UINT, NP_M_OPT: range (max 0: none) */
	enum np_dev_scope scope;	/* NP_M_DEV */
	struct np_field cond;		/* size > 0: rows where it is 0 never match
					 * (ports of ICMP, which holds type/code there) */
	/* NP_M_CUSTOM: parse v into val (0 or a usage error), test a record. */
	int (*parse)(struct np_ctx *ctx, const char *what, const char *v,
		     struct np_filter_val *val);
	bool (*match)(const void *rec, const struct np_filter_val *val);
};

struct np_filter_val {
	const struct np_filter_def *def;
	__u64 u, u2;
	struct np_cidr cidr;
	char str[320];			/* NP_M_STR, NP_M_DEV names, NP_M_K8S_* NS/NAME */
	void *custom;			/* NP_M_CUSTOM: the table's, freed with the query */
};

/* A sort key: a number, rows with more first; ties go by the other keys. */
struct np_sort_def {
	const char *word;
	struct np_field f;
};

struct np_table {
	const char *what;		/* "show flows": in messages */
	size_t rec_size;
	const struct np_filter_def *filters;	/* terminated by { 0 } */
	const struct np_sort_def *sorts;	/* terminated by { 0 }, or NULL */
	bool top;			/* takes `top N` */
	const char *lead;		/* synopsis words before the filters, e.g. "[flows]" */
	/* For the resolvers: fields of the record (size 0: it has none). */
	struct np_field ifindex, netns;
	/* For the k8s resolver: the two ends and when the row began. */
	struct np_field src, dst, sport, dport, proto, first_seen;
	bool mono_first_seen;		/* first_seen is bpf_ktime (CLOCK_MONOTONIC) */
};

/* What the resolvers found for one record; empty strings where nothing. */
struct np_names {
	char dev[IF_NAMESIZE + 8];	/* the device's name now, else "if<N>" */
	const char *netns;		/* /run/netns name, or NULL */
	/* With np_query_k8s(): */
	bool k8s;
	const struct np_k8s_pod *pod;	/* the pod whose netns the row's netns is */
	struct np_k8s_who src_k8s, dst_k8s;
	const char *src_json, *dst_json;	/* the two as JSON text (np_k8s_who_json) */
	const char *k8s_direction;	/* intra-node, inter-node, ingress, egress; NULL */
	/* A node end that stands for another client (SNAT): a note for plain text, or NULL. */
	const char *src_snat, *dst_snat;
};

#define NP_QUERY_MAX_FILTERS	16

struct np_query {
	struct np_ctx *ctx;
	const struct np_table *t;
	struct np_filter_val f[NP_QUERY_MAX_FILTERS];
	int nf;
	const struct np_sort_def *sort;	/* NULL: table order */
	__u64 top;			/* 0: every row */
	__u64 seen, matched;		/* records added, records that passed */
	/* The rows: streamed to emit, or collected for sort/top. */
	bool collect;
	void (*emit)(struct np_query *q, const void *rec, void *arg);
	void *arg;
	char *rows;
	size_t n, cap;
	struct np_resolve *resolve;	/* the resolvers' caches */
	struct np_k8s_res *k8s;		/* the k8s resolver (np_query_k8s), or NULL */
};

/*
 * The synopsis of a table's keywords, e.g. "[flows] [dev DEV] [proto P]
 * ... [sort bytes|packets] [top N]", made once; extra (may be NULL) is
 * appended. For the synopsis member of struct np_cmd.
 */
const char *np_table_synopsis(const struct np_table *t, char *buf, size_t n);

/*
 * Parses argv (each keyword once); 0 or a usage error already reported.
 * Needs no state: usage errors come first, whatever is attached.
 */
int np_query_parse(struct np_query *q, struct np_ctx *ctx, const struct np_table *t,
		   int argc, char **argv);
/*
 * Finds the devices of `dev DEV` filters, which need the attach records:
 * call it after np_state_open(). 0 or an error already reported.
 */
int np_query_bind(struct np_query *q);
/* The text of kw's value (NP_M_DEV: the name, NP_M_STR), NULL if not given. */
const char *np_query_str(const struct np_query *q, const char *kw);
/* True if the keyword kw was given; *v gets its value (NP_M_OPT, UINT, FLAG: 1). */
bool np_query_has(const struct np_query *q, const char *kw, __u64 *v);
/* Sets the order when the command line gave none (word of t->sorts; NULL: none). */
void np_query_default_sort(struct np_query *q, const char *word);
/*
 * Readies the query for rows: emit gets each row that passes, at once
 * (no sort, no top) or from np_query_end() in order.
 */
void np_query_start(struct np_query *q, void (*emit)(struct np_query *q, const void *rec,
						     void *arg), void *arg);
/* True if rec passes every filter. */
bool np_query_match(struct np_query *q, const void *rec);
/* One record: filtered, then emitted or kept. 0, -ENOMEM, or -EPIPE once
 * the output is gone (| head): the iterator stops. */
int np_query_add(struct np_query *q, const void *rec);
/* Sorts what was kept and emits the first top rows. Returns rows emitted. */
__u64 np_query_end(struct np_query *q);
/* The kept rows (after np_query_end: sorted, at most top). */
const void *np_query_row(const struct np_query *q, size_t i);
size_t np_query_rows(const struct np_query *q);
void np_query_free(struct np_query *q);

/* The names of rec's numbers (a pointer into the query, valid until the next call). */
const struct np_names *np_query_names(struct np_query *q, const void *rec);
/* The device resolver on its own: the name of ifindex in network namespace netns. */
const char *np_query_dev_name(struct np_query *q, __u32 ifindex, __u32 netns);

/*
 * Turns on the k8s resolver (lib/k8s_resolve.c): what (NP_K8S_PODS, ...)
 * read under host_root (NULL: $NETPROBE_HOST_ROOT or /); its notes go to
 * warnings. Filters of kind NP_M_K8S_* turn it on themselves.
 */
int np_query_k8s(struct np_query *q, const char *host_root, unsigned what);
/* The k8s resolver's part of np_query_names(); k8s_resolve.c. */
void np_k8s_res_names(struct np_query *q, const void *rec, struct np_names *n);
bool np_k8s_res_match(struct np_query *q, const void *rec, const struct np_filter_val *val);
void np_k8s_res_free(struct np_query *q);
/* An end as JSON: {"kind", "namespace", "name", "port", "port_name", "node"}, keys of what is known. */
typedef struct json_t json_t;
json_t *np_k8s_who_json(const struct np_k8s_who *w);
/* An end for people: "shop/web-0", "svc:shop/web:http", "node:self", else the address. */
/* The pod of a row's netns at col: {"namespace", "name"} in JSON, "ns/name" in plain. */
void np_out_pod(struct np_out *o, int col, const struct np_k8s_pod *p);
const char *np_k8s_who_text(const struct np_k8s_who *w, const char *addr, char *buf, size_t n);

/* Reads a field of up to 8 bytes as a number. */
__u64 np_field_u64(const void *rec, struct np_field f);

#endif /* NP_MODEL_H */
