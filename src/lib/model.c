// SPDX-License-Identifier: GPL-2.0
/* The model layer: see model.h. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "device.h"
#include "inet.h"
#include "maps.h"
#include "model.h"
#include "netns.h"
#include "out.h"

__u64 np_field_u64(const void *rec, struct np_field f)
{
	const unsigned char *p = (const unsigned char *)rec + f.off;
	__u8 u8;
	__u16 u16;
	__u32 u32;
	__u64 u64;

	switch (f.size) {
	case 1:
		memcpy(&u8, p, 1);
		return u8;
	case 2:
		memcpy(&u16, p, 2);
		return u16;
	case 4:
		memcpy(&u32, p, 4);
		return u32;
	case 8:
		memcpy(&u64, p, 8);
		return u64;
	}
	return 0;
}

/* ---- synopsis ---- */

const char *np_table_synopsis(const struct np_table *t, char *buf, size_t n)
{
	size_t len = 0;

#define PUT(...) (len += snprintf(buf + len, len < n ? n - len : 0, __VA_ARGS__))
	buf[0] = '\0';
	if (t->lead)
		PUT("%s", t->lead);
	for (const struct np_filter_def *d = t->filters; d && d->kw; d++) {
		PUT("%s[%s", len ? " " : "", d->kw);
		if (d->words && !d->meta) {
			for (int i = 0; d->words[i]; i++)
				PUT("%c%s", i ? '|' : ' ', d->words[i]);
		} else if (d->how != NP_M_FLAG && d->how != NP_M_SWITCH) {
			PUT(" %s", d->meta ? d->meta : "N");
		}
		PUT("]");
	}
	if (t->sorts) {
		PUT("%s[sort", len ? " " : "");
		for (int i = 0; t->sorts[i].word; i++)
			PUT("%c%s", i ? '|' : ' ', t->sorts[i].word);
		PUT("]");
	}
	if (t->top)
		PUT("%s[top N]", len ? " " : "");
#undef PUT
	return buf;
}

/* ---- parsing ---- */

static int parse_dev(struct np_query *q, const struct np_filter_def *d, const char *v,
		     struct np_filter_val *val)
{
	struct np_dev_entry *devs;
	struct np_device rec;
	int n, err;

	if (d->scope == NP_DEV_TRAFFIC) {
		err = np_dev_require_traffic(q->ctx, v, &rec);
		if (!err) {
			val->u = rec.ifindex;
			val->u2 = rec.netns;
		}
		return err;
	}
	/* An attached device by the name it was attached with (any namespace). */
	if (!np_devices_list(q->ctx, &devs, &n)) {
		for (int i = 0; i < n; i++)
			if (!strcmp(devs[i].name, v)) {
				val->u = devs[i].rec.ifindex;
				val->u2 = devs[i].rec.netns;
				free(devs);
				return 0;
			}
		free(devs);
	}
	val->u = np_dev_name_ok(v) ? if_nametoindex(v) : 0;
	if (!val->u)
		return np_err(q->ctx, "device '%s' does not exist", v);
	val->u2 = np_netns_self();
	return 0;
}

static int parse_value(struct np_query *q, const struct np_filter_def *d, const char *v,
		       struct np_filter_val *val)
{
	const char *what = q->t->what;
	__u32 ns;
	int i;

	switch (d->how) {
	case NP_M_UINT:
	case NP_M_OPT:
		return np_arg_u64(q->ctx, d->kw, v, d->min, d->max ?: ~0ull, &val->u);
	case NP_M_PORT:
		return np_arg_u64(q->ctx, d->kw, v, 0, 65535, &val->u);
	case NP_M_CIDR:
		if (np_cidr_parse(v, &val->cidr))
			return np_usage(q->ctx, "%s: '%s' is not an address or prefix (e.g. "
					"10.0.0.0/8, 2001:db8::/32)", d->kw, v);
		return 0;
	case NP_M_PROTO:
		i = np_proto_parse(v);
		if (i < 0)
			return np_usage(q->ctx, "%s: '%s' is not a protocol name (tcp, udp, icmp, "
					"icmpv6, ...) or a number from 0 to 255", d->kw, v);
		val->u = i;
		return 0;
	case NP_M_DEV:
		/* Named now, found by np_query_bind() once the state is open. */
		if (!np_dev_name_ok(v))
			return np_err(q->ctx, "device '%s' does not exist", v);
		snprintf(val->str, sizeof(val->str), "%s", v);
		return 0;
	case NP_M_NETNS:
		if (np_arg_netns(q->ctx, what, v, &ns))
			return NP_EXIT_USAGE;
		val->u = ns;
		return 0;
	case NP_M_WORD:
		i = np_kw(q->ctx, v, d->words, d->kw);
		if (i < 0)
			return NP_EXIT_USAGE;
		val->u = d->values ? d->values[i] : (unsigned)i;
		return 0;
	case NP_M_STR:
		if (strlen(v) >= sizeof(val->str) || (d->f.size && strlen(v) >= d->f.size))
			return np_usage(q->ctx, "%s: '%s' is too long", d->kw, v);
		snprintf(val->str, sizeof(val->str), "%s", v);
		return 0;
	case NP_M_FLAG:
	case NP_M_SWITCH:
		val->u = 1;
		return 0;
	case NP_M_CUSTOM:
		return d->parse(q->ctx, what, v, val);
	case NP_M_K8S_NS:
	case NP_M_K8S_POD:
	case NP_M_K8S_SVC:
		if (d->how != NP_M_K8S_NS && (!strchr(v, '/') || strchr(v, '/') == v ||
					      !strchr(v, '/')[1]))
			return np_usage(q->ctx, "%s: '%s' is not NAMESPACE/NAME", d->kw, v);
		if (strlen(v) >= sizeof(val->str))
			return np_usage(q->ctx, "%s: '%s' is too long", d->kw, v);
		snprintf(val->str, sizeof(val->str), "%s", v);
		return 0;
	case NP_M_K8S_DIR:
		i = np_kw(q->ctx, v, d->words, d->kw);
		if (i < 0)
			return NP_EXIT_USAGE;
		val->u = i;
		snprintf(val->str, sizeof(val->str), "%s", d->words[i]);
		return 0;
	}
	return 0;
}

int np_query_parse(struct np_query *q, struct np_ctx *ctx, const struct np_table *t,
		   int argc, char **argv)
{
	const char *words[NP_QUERY_MAX_FILTERS + 3];
	const struct np_filter_def *defs[NP_QUERY_MAX_FILTERS + 1];
	int nw = 0, nfilters, k_sort = -1, err;
	__u64 seen = 0;

	memset(q, 0, sizeof(*q));
	q->ctx = ctx;
	q->t = t;
	for (const struct np_filter_def *d = t->filters; d && d->kw; d++) {
		defs[nw] = d;
		words[nw++] = d->kw;
	}
	nfilters = nw;
	if (t->sorts) {
		k_sort = nw;
		words[nw++] = "sort";
	}
	if (t->top)
		words[nw++] = "top";
	words[nw] = NULL;

	for (int i = 0; i < argc; i++) {
		int k = np_kw_once(ctx, argv[i], words, t->what, &seen);
		const char *v;

		if (k < 0)
			return NP_EXIT_USAGE;
		if (k < nfilters) {
			if (defs[k]->how == NP_M_FLAG || defs[k]->how == NP_M_SWITCH)
				v = NULL;
			else if ((err = np_arg_next(ctx, t->what, argc, argv, &i, &v)))
				return err;
			q->f[q->nf].def = defs[k];
			if ((err = parse_value(q, defs[k], v, &q->f[q->nf])))
				return err;
			q->nf++;
			continue;
		}
		if ((err = np_arg_next(ctx, t->what, argc, argv, &i, &v)))
			return err;
		if (k == k_sort) {
			const char *sw[16];
			int n = 0, s;

			for (; t->sorts[n].word && n < 15; n++)
				sw[n] = t->sorts[n].word;
			sw[n] = NULL;
			if ((s = np_kw(ctx, v, sw, "sort")) < 0)
				return NP_EXIT_USAGE;
			q->sort = &t->sorts[s];
		} else if ((err = np_arg_u64(ctx, "top", v, 1, 100000000, &q->top))) {
			return err;
		}
	}
	return 0;
}

int np_query_bind(struct np_query *q)
{
	for (int i = 0; i < q->nf; i++) {
		struct np_filter_val *val = &q->f[i];
		int err;

		if (val->def->how == NP_M_DEV && (err = parse_dev(q, val->def, val->str, val)))
			return err;
	}
	return 0;
}

const char *np_query_str(const struct np_query *q, const char *kw)
{
	for (int i = 0; i < q->nf; i++)
		if (!strcmp(q->f[i].def->kw, kw))
			return q->f[i].str;
	return NULL;
}

bool np_query_has(const struct np_query *q, const char *kw, __u64 *v)
{
	for (int i = 0; i < q->nf; i++)
		if (!strcmp(q->f[i].def->kw, kw)) {
			if (v)
				*v = q->f[i].u;
			return true;
		}
	return false;
}

void np_query_default_sort(struct np_query *q, const char *word)
{
	if (q->sort || !word || !q->t->sorts)
		return;
	for (int i = 0; q->t->sorts[i].word; i++)
		if (!strcmp(q->t->sorts[i].word, word))
			q->sort = &q->t->sorts[i];
}

/* ---- filtering ---- */

static bool match_one(struct np_query *q, const void *rec, const struct np_filter_val *val)
{
	const struct np_filter_def *d = val->def;
	const char *s;

	if (d->cond.size && !np_field_u64(rec, d->cond))
		return false;
	switch (d->how) {
	case NP_M_UINT:
	case NP_M_PROTO:
	case NP_M_NETNS:
	case NP_M_WORD:
		return np_field_u64(rec, d->f) == val->u;
	case NP_M_PORT:
		return np_field_u64(rec, d->f) == val->u ||
		       (d->f2.size && np_field_u64(rec, d->f2) == val->u);
	case NP_M_CIDR:
		return np_cidr_match(&val->cidr, (const __u8 *)rec + d->f.off);
	case NP_M_DEV:
		return np_field_u64(rec, d->f) == val->u &&
		       (!d->f2.size || np_field_u64(rec, d->f2) == val->u2);
	case NP_M_STR:
		s = (const char *)rec + d->f.off;
		return !strncmp(s, val->str, d->f.size);
	case NP_M_FLAG:
		return np_field_u64(rec, d->f) != 0;
	case NP_M_OPT:
	case NP_M_SWITCH:
		return true;
	case NP_M_CUSTOM:
		return d->match(rec, val);
	case NP_M_K8S_NS:
	case NP_M_K8S_POD:
	case NP_M_K8S_SVC:
	case NP_M_K8S_DIR:
		return np_k8s_res_match(q, rec, val);
	}
	return true;
}

bool np_query_match(struct np_query *q, const void *rec)
{
	for (int i = 0; i < q->nf; i++)
		if (!match_one(q, rec, &q->f[i]))
			return false;
	return true;
}

/* ---- collecting and ordering ---- */

void np_query_start(struct np_query *q, void (*emit)(struct np_query *q, const void *rec,
						     void *arg), void *arg)
{
	q->emit = emit;
	q->arg = arg;
	q->collect = q->sort || q->top;
}

/* > 0 if a ranks before b: more of the sort key, ties by the other keys. */
static int rank(const struct np_query *q, const void *a, const void *b)
{
	const struct np_sort_def *s = q->sort;
	__u64 x, y;

	if (s) {
		x = np_field_u64(a, s->f);
		y = np_field_u64(b, s->f);
		if (x != y)
			return x > y ? 1 : -1;
		for (const struct np_sort_def *o = q->t->sorts; o->word; o++) {
			if (o == s)
				continue;
			x = np_field_u64(a, o->f);
			y = np_field_u64(b, o->f);
			if (x != y)
				return x > y ? 1 : -1;
		}
	}
	/* A total order, so that equal rows come the same way every time. */
	return -memcmp(a, b, q->t->rec_size);
}

static void *row_at(const struct np_query *q, size_t i)
{
	return q->rows + i * q->t->rec_size;
}

static void swap_rows(struct np_query *q, size_t i, size_t j)
{
	size_t sz = q->t->rec_size;
	char tmp[512];

	for (size_t off = 0; off < sz; off += sizeof(tmp)) {
		size_t c = sz - off < sizeof(tmp) ? sz - off : sizeof(tmp);

		memcpy(tmp, row_at(q, i) + off, c);
		memcpy(row_at(q, i) + off, row_at(q, j) + off, c);
		memcpy(row_at(q, j) + off, tmp, c);
	}
}

/* Min-heap by rank: the worst kept row at the root, replaced by a better one. */
static void sift_down(struct np_query *q, size_t i, size_t n)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < n && rank(q, row_at(q, l), row_at(q, m)) < 0)
			m = l;
		if (r < n && rank(q, row_at(q, r), row_at(q, m)) < 0)
			m = r;
		if (m == i)
			return;
		swap_rows(q, i, m);
		i = m;
	}
}

static void sift_up(struct np_query *q, size_t i)
{
	while (i) {
		size_t p = (i - 1) / 2;

		if (rank(q, row_at(q, i), row_at(q, p)) >= 0)
			return;
		swap_rows(q, i, p);
		i = p;
	}
}

static int keep(struct np_query *q, const void *rec)
{
	if (q->top && q->n == q->top) {
		if (rank(q, rec, row_at(q, 0)) <= 0)
			return 0;
		memcpy(row_at(q, 0), rec, q->t->rec_size);
		sift_down(q, 0, q->n);
		return 0;
	}
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 256;
		char *nv;

		if (q->top && cap > q->top)
			cap = q->top;
		nv = realloc(q->rows, cap * q->t->rec_size);
		if (!nv)
			return -ENOMEM;
		q->rows = nv;
		q->cap = cap;
	}
	memcpy(row_at(q, q->n), rec, q->t->rec_size);
	q->n++;
	if (q->top)
		sift_up(q, q->n - 1);
	return 0;
}

int np_query_add(struct np_query *q, const void *rec)
{
	q->seen++;
	if (!np_query_match(q, rec))
		return 0;
	q->matched++;
	if (q->collect)
		return keep(q, rec);
	if (q->emit)
		q->emit(q, rec, q->arg);
	return out_broken(q->ctx->out) ? -EPIPE : 0;
}

static int cmp_rows(const void *a, const void *b, void *q)
{
	return rank(q, b, a);
}

__u64 np_query_end(struct np_query *q)
{
	if (!q->collect)
		return q->matched;
	if (q->n > 1) {
		qsort_r(q->rows, q->n, q->t->rec_size, cmp_rows, q);
	}
	for (size_t i = 0; i < q->n && q->emit && !out_broken(q->ctx->out); i++)
		q->emit(q, row_at(q, i), q->arg);
	return q->n;
}

const void *np_query_row(const struct np_query *q, size_t i)
{
	return row_at(q, i);
}

size_t np_query_rows(const struct np_query *q)
{
	return q->n;
}

/* ---- resolvers ---- */

struct dev_name {
	__u32 ifindex, netns;
	char name[IF_NAMESIZE + 8];
};

struct np_resolve {
	struct np_dev_entry *recs;	/* the attach records: names as attached */
	int nrecs;
	struct dev_name *devs;		/* names found, one per (ifindex, netns) */
	int ndevs;
	__u32 self;
	struct np_names names;
	char *last;			/* the record names is for (a copy), NULL if none */
};

static struct np_resolve *resolve_get(struct np_query *q)
{
	struct np_resolve *r = q->resolve;

	if (r)
		return r;
	r = q->resolve = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	if (np_devices_list(q->ctx, &r->recs, &r->nrecs)) {
		r->recs = NULL;
		r->nrecs = 0;
	}
	r->self = np_netns_self();
	return r;
}

/* ifindex's name in the namespace netns, entered for the lookup and left. */
static bool name_in_netns(__u32 ifindex, __u32 netns, char *buf)
{
	int self, fd = np_netns_open(netns);
	bool ok = false;

	if (fd < 0)
		return false;
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self >= 0 && !setns(fd, CLONE_NEWNET)) {
		ok = if_indextoname(ifindex, buf) != NULL;
		if (setns(self, CLONE_NEWNET))
			abort();	/* never go on in the wrong namespace */
	}
	if (self >= 0)
		close(self);
	close(fd);
	return ok;
}

/*
 * The device resolver: the attach record's name (followed to the name the
 * device has now), else the name in this namespace, else in the device's
 * own namespace when it can be entered, else "if<N>".
 */
static void dev_resolve(struct np_resolve *r, struct np_ctx *ctx, __u32 ifindex, __u32 netns,
			bool has_netns, char *out)
{
	char now[IF_NAMESIZE];

	for (int i = 0; i < r->nrecs; i++) {
		const struct np_device *rec = &r->recs[i].rec;

		if (rec->ifindex == ifindex && (!has_netns || rec->netns == netns)) {
			snprintf(out, IF_NAMESIZE + 8, "%s",
				 np_dev_name_now(ctx, r->recs[i].name, rec, now));
			return;
		}
	}
	if ((!has_netns || netns == r->self) && if_indextoname(ifindex, now)) {
		snprintf(out, IF_NAMESIZE + 8, "%s", now);
		return;
	}
	if (has_netns && netns != r->self && name_in_netns(ifindex, netns, now)) {
		snprintf(out, IF_NAMESIZE + 8, "%s", now);
		return;
	}
	snprintf(out, IF_NAMESIZE + 8, "if%u", ifindex);
}

static const char *dev_name_cached(struct np_query *q, __u32 ifindex, __u32 netns,
				   bool has_netns)
{
	struct np_resolve *r = resolve_get(q);
	struct dev_name *nv;

	if (!r)
		return "?";
	for (int i = 0; i < r->ndevs; i++)
		if (r->devs[i].ifindex == ifindex && r->devs[i].netns == netns)
			return r->devs[i].name;
	nv = realloc(r->devs, (r->ndevs + 1) * sizeof(*nv));
	if (!nv)
		return "?";
	r->devs = nv;
	nv += r->ndevs++;
	nv->ifindex = ifindex;
	nv->netns = netns;
	dev_resolve(r, q->ctx, ifindex, netns, has_netns, nv->name);
	return nv->name;
}

const char *np_query_dev_name(struct np_query *q, __u32 ifindex, __u32 netns)
{
	return dev_name_cached(q, ifindex, netns, netns != 0);
}

const struct np_names *np_query_names(struct np_query *q, const void *rec)
{
	struct np_resolve *r = resolve_get(q);
	static struct np_names none;
	const struct np_table *t = q->t;
	__u32 netns;

	if (!r)
		return &none;
	/* A row asks more than once (columns, widths): answer from the last time. */
	if (r->last && !memcmp(r->last, rec, t->rec_size))
		return &r->names;
	if (!r->last)
		r->last = malloc(t->rec_size);
	if (r->last)
		memcpy(r->last, rec, t->rec_size);
	memset(&r->names, 0, sizeof(r->names));
	netns = t->netns.size ? np_field_u64(rec, t->netns) : 0;
	if (t->ifindex.size) {
		__u32 ifindex = np_field_u64(rec, t->ifindex);

		if (ifindex)
			snprintf(r->names.dev, sizeof(r->names.dev), "%s",
				 dev_name_cached(q, ifindex, netns, t->netns.size));
	}
	if (t->netns.size && netns)
		r->names.netns = np_netns_name(netns);
	if (q->k8s)
		np_k8s_res_names(q, rec, &r->names);
	return &r->names;
}

void np_query_free(struct np_query *q)
{
	np_k8s_res_free(q);
	if (q->resolve) {
		free(q->resolve->recs);
		free(q->resolve->last);
		free(q->resolve->devs);
		free(q->resolve);
	}
	for (int i = 0; i < q->nf; i++)
		free(q->f[i].custom);
	free(q->rows);
	q->rows = NULL;
	q->resolve = NULL;
	q->n = q->cap = 0;
}
