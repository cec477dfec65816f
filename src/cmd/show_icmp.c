// SPDX-License-Identifier: GPL-2.0
/*
 * netprobe show icmp [errors] [dev DEV] [dir ingress|egress] [hook xdp|tc]
 *                    [family ipv4|ipv6] [type T] [reporter CIDR] [proto P]
 *                    [src CIDR] [dst CIDR] [port N] [sport N] [dport N]
 *                    [sort packets|count|bytes|last] [top N]
 *
 * ICMP and ICMPv6 as the traffic programs saw them (bpf/icmp.bpf.h),
 * through the model (lib/model.h). Without `errors`: one row per
 * np_icmp_counts entry (device, hook, family, type, code; summed over
 * CPUs). With `errors`: one row per np_icmp_errors entry, the error's
 * sender (reporter) and the flow its quote names, so that "which of my
 * flows got port unreachable or frag-needed, and from whom" is one
 * command. Both views share one record type; reporter, proto, the
 * addresses, ports and `sort last` are the errors' alone.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "lib/cmd.h"
#include "lib/device.h"
#include "lib/icmp.h"
#include "lib/inet.h"
#include "lib/maps.h"
#include "lib/model.h"
#include "lib/out.h"
#include "lib/state.h"

enum { C_IF, C_IFINDEX, C_DIR, C_HOOK, C_FAMILY, C_TYPE, C_TYPE_NUM, C_CODE, C_CODE_NUM,
       C_PKTS, C_BYTES };

static const struct np_col count_cols[] = {
	[C_IF] = { "interface", "INTERFACE", -10, NP_K_STR, NP_P_LABEL },
	[C_IFINDEX] = { "ifindex", NULL, 0, NP_K_U64 },
	[C_DIR] = { "direction", "DIR", -7, NP_K_STR, NP_P_LABEL },
	[C_HOOK] = { "hook", NULL, 0, NP_K_STR, NP_P_LABEL },
	[C_FAMILY] = { "family", "FAMILY", -6, NP_K_STR, NP_P_LABEL },
	[C_TYPE] = { "type", "TYPE", -22, NP_K_STR, NP_P_LABEL },
	[C_TYPE_NUM] = { "type_number", NULL, 0, NP_K_U64 },
	[C_CODE] = { "code", "CODE", -20, NP_K_STR, NP_P_LABEL },
	[C_CODE_NUM] = { "code_number", NULL, 0, NP_K_U64 },
	[C_PKTS] = { "packets", "PACKETS", 10, NP_K_COUNT, NP_P_COUNTER,
		     "netprobe_icmp_packets_total",
		     "ICMP and ICMPv6 packets per device, direction, family, type and code." },
	[C_BYTES] = { "bytes", "BYTES", 10, NP_K_BYTES, NP_P_COUNTER, "netprobe_icmp_bytes_total",
		      "Bytes of those packets, Ethernet header and VLAN tags included." },
};

enum { E_IF, E_IFINDEX, E_DIR, E_HOOK, E_FAMILY, E_REPORTER, E_TYPE, E_TYPE_NUM, E_CODE,
       E_CODE_NUM, E_PROTO, E_PROTO_NUM, E_SRC, E_SPORT, E_DST, E_DPORT, E_MTU, E_COUNT,
       E_BYTES, E_FIRST, E_LAST, E_LATER_FRAG };

static const struct np_col error_cols[] = {
	[E_IF] = { "interface", "INTERFACE", -10, NP_K_STR },
	[E_IFINDEX] = { "ifindex", NULL, 0, NP_K_U64 },
	[E_DIR] = { "direction", "DIR", -7, NP_K_STR },
	[E_HOOK] = { "hook", NULL, 0, NP_K_STR },
	[E_FAMILY] = { "family", NULL, 0, NP_K_STR },
	[E_REPORTER] = { "reporter", "REPORTER", -15, NP_K_STR },
	[E_TYPE] = { "type", "TYPE", -16, NP_K_STR },
	[E_TYPE_NUM] = { "type_number", NULL, 0, NP_K_U64 },
	[E_CODE] = { "code", "CODE", -18, NP_K_STR },
	[E_CODE_NUM] = { "code_number", NULL, 0, NP_K_U64 },
	[E_PROTO] = { "proto", "PROTO", -6, NP_K_STR },
	[E_PROTO_NUM] = { "proto_number", NULL, 0, NP_K_U64 },
	[E_SRC] = { "src", "SRC", -15, NP_K_STR },
	[E_SPORT] = { "sport", "SPORT", 5, NP_K_U64 },
	[E_DST] = { "dst", "DST", -15, NP_K_STR },
	[E_DPORT] = { "dport", "DPORT", 5, NP_K_U64 },
	[E_MTU] = { "mtu", "MTU", 5, NP_K_U64 },
	[E_COUNT] = { "count", "COUNT", 8, NP_K_COUNT },
	[E_BYTES] = { "bytes", NULL, 0, NP_K_BYTES },
	[E_FIRST] = { "first_seen", "FIRST SEEN", -19, NP_K_TIME },
	[E_LAST] = { "last_seen", "LAST SEEN", -19, NP_K_TIME },
	[E_LATER_FRAG] = { "later_fragment", NULL, 0, NP_K_BOOL },
};

/*
 * An ICMP row as the model sees it: an np_icmp_counts entry (quote fields
 * zero) or an np_icmp_errors entry (packets: the errors counted).
 */
struct icmp_rec {
	__u8 reporter[16], src[16], dst[16];
	__u32 ifindex, mtu;
	__u16 sport, dport;
	__u8 egress, xdp, family, type, code, proto;
	__u8 has_addrs;		/* the quote's IP header was read */
	__u8 has_ports;		/* ... and its ports (a protocol with ports) */
	__u8 has_l4;		/* ... and its ports or ICMP type/code */
	__u8 later_fragment;	/* the quoted packet is a later fragment */
	__u8 pad[2];
	__u64 packets, bytes, first_seen, last_seen;
};

static const char *const dir_words[] = { "ingress", "egress", NULL };
static const char *const hook_words[] = { "xdp", "tc", NULL };
static const unsigned hook_values[] = { 1, 0 };
static const char *const family_words[] = { "ipv4", "ipv6", NULL };
static const unsigned family_values[] = { 4, 6 };

/* type T: a type or code name of either family, N or N/CODE (lib/icmp.h). */
static int type_parse(struct np_ctx *ctx, const char *what, const char *v,
		      struct np_filter_val *val)
{
	struct np_icmp_sel sel;

	_Static_assert(sizeof(sel) <= sizeof(val->u), "a selector fits in u");
	if (np_icmp_sel_parse(v, &sel))
		return np_usage(ctx, "%s: unknown ICMP type '%s' (a name such as echo-request, "
				"dest-unreachable, port-unreachable, frag-needed, packet-too-big, "
				"ttl-exceeded, or N or N/CODE from 0 to 255)", what, v);
	memcpy(&val->u, &sel, sizeof(sel));
	return 0;
}

static bool type_match(const void *rec, const struct np_filter_val *val)
{
	const struct icmp_rec *r = rec;
	struct np_icmp_sel sel;

	memcpy(&sel, &val->u, sizeof(sel));
	return np_icmp_sel_match(&sel, r->family, r->type, r->code);
}

#define R(m) NP_FIELD(struct icmp_rec, m)

/* Every keyword; from ERROR_FILTERS on, the errors' alone. */
enum { ERROR_FILTERS = 5 };

static const struct np_filter_def icmp_filters[] = {
	{ "dev", NP_M_DEV, R(ifindex), .meta = "DEV", .scope = NP_DEV_TRAFFIC },
	{ "dir", NP_M_WORD, R(egress), .words = dir_words },
	{ "hook", NP_M_WORD, R(xdp), .words = hook_words, .values = hook_values },
	{ "family", NP_M_WORD, R(family), .words = family_words, .values = family_values },
	{ "type", NP_M_CUSTOM, R(type), .meta = "T", .parse = type_parse, .match = type_match },
	[ERROR_FILTERS] =
	{ "reporter", NP_M_CIDR, R(reporter), .meta = "CIDR" },
	{ "proto", NP_M_PROTO, R(proto), .meta = "P", .cond = R(has_addrs) },
	{ "src", NP_M_CIDR, R(src), .meta = "CIDR", .cond = R(has_addrs) },
	{ "dst", NP_M_CIDR, R(dst), .meta = "CIDR", .cond = R(has_addrs) },
	{ "port", NP_M_PORT, R(sport), R(dport), .cond = R(has_ports) },
	{ "sport", NP_M_UINT, R(sport), .max = 65535, .cond = R(has_ports) },
	{ "dport", NP_M_UINT, R(dport), .max = 65535, .cond = R(has_ports) },
	{ 0 },
};

/* packets and count are one number: what the counts and the errors call it. */
static const struct np_sort_def icmp_sorts[] = {
	{ "packets", R(packets) },
	{ "count", R(packets) },
	{ "bytes", R(bytes) },
	{ "last", R(last_seen) },	/* errors only */
	{ 0 },
};

static const struct np_table icmp_table = {
	.what = "show icmp",
	.rec_size = sizeof(struct icmp_rec),
	.filters = icmp_filters,
	.sorts = icmp_sorts,
	.top = true,
	.lead = "[errors]",
	.ifindex = R(ifindex),
};

#undef R

const char *np_show_icmp_synopsis(void)
{
	static char buf[384];

	return buf[0] ? buf : np_table_synopsis(&icmp_table, buf, sizeof(buf));
}

struct show {
	struct np_ctx *ctx;
	struct np_query q;
	bool errors;
	int ncpus;
	__u64 mono_to_real;
	struct np_col cols[ARRAY_SIZE(error_cols)];	/* as shown: widths fitted to the rows */
};

_Static_assert(ARRAY_SIZE(count_cols) <= ARRAY_SIZE(error_cols), "show.cols holds either view");
_Static_assert(C_TYPE_NUM == C_TYPE + 1 && C_CODE_NUM == C_CODE + 1 && E_TYPE_NUM == E_TYPE + 1 &&
	       E_CODE_NUM == E_CODE + 1, "out_type_code: each number follows its name");

static int max_int(int a, int b)
{
	return a > b ? a : b;
}

static const char *family_name(__u8 family)
{
	return family == 6 ? "ipv6" : "ipv4";
}

/*
 * Type and code by name, always strings (the number where there is no
 * name: one JSON type, as proto), and as numbers at the _NUM columns.
 */
static void out_type_code(struct np_out *o, int c_type, int c_code, const struct icmp_rec *r)
{
	const char *t = np_icmp_type_name(r->family, r->type);
	const char *c = np_icmp_code_name(r->family, r->type, r->code);
	char buf[8];

	if (!t)
		snprintf(buf, sizeof(buf), "%u", r->type);
	out_str(o, c_type, t ? t : buf);
	out_u64(o, c_type + 1, r->type);
	if (!c)
		snprintf(buf, sizeof(buf), "%u", r->code);
	out_str(o, c_code, c ? c : buf);
	out_u64(o, c_code + 1, r->code);
}

static int name_len(const char *name)
{
	return name ? (int)strlen(name) : 3;
}

/*
 * Plain text: the interface, type and code columns as wide as the widest
 * name shown, the address columns (c_addr: NULL none, else three) as the
 * widest address; HOOK only once some device has XDP.
 */
static void fit_columns(struct show *s, int c_if, int c_hook, int c_type, int c_code,
			const int c_addr[3])
{
	struct np_query *q = &s->q;
	struct np_dev_entry *devs;
	int w_if = -s->cols[c_if].width, w_addr = 7, w_type = 4, w_code = 4, n;

	for (size_t i = 0; i < np_query_rows(q); i++) {
		const struct icmp_rec *r = np_query_row(q, i);
		const __u8 *a[3] = { r->reporter, r->src, r->dst };
		char buf[INET6_ADDRSTRLEN];

		w_if = max_int(w_if, strlen(np_query_names(q, r)->dev));
		w_type = max_int(w_type, name_len(np_icmp_type_name(r->family, r->type)));
		w_code = max_int(w_code, name_len(np_icmp_code_name(r->family, r->type, r->code)));
		for (int k = 0; c_addr && k < 3; k++)
			w_addr = max_int(w_addr, strlen(np_addr_str(a[k], buf, sizeof(buf))));
	}
	s->cols[c_if].width = -w_if;
	s->cols[c_type].width = -w_type;
	s->cols[c_code].width = -w_code;
	for (int k = 0; c_addr && k < 3; k++)
		s->cols[c_addr[k]].width = -w_addr;
	if (np_devices_list(s->ctx, &devs, &n))
		return;
	for (int i = 0; i < n; i++)
		if (devs[i].rec.hooks & NP_DEV_XDP) {
			s->cols[c_hook].header = "HOOK";
			s->cols[c_hook].width = -4;
		}
	free(devs);
}

static void rec_where(struct icmp_rec *r, __u32 ifindex, __u8 hook, __u8 family, __u8 type,
		      __u8 code)
{
	r->ifindex = ifindex;
	r->egress = hook == NP_HOOK_TC_EGRESS;
	r->xdp = hook == NP_HOOK_XDP;
	r->family = family;
	r->type = type;
	r->code = code;
}

/* ---- per device, hook, family, type and code ---- */

static void print_count(struct np_query *q, const void *rec, void *arg)
{
	const struct icmp_rec *r = rec;
	struct show *s = arg;
	struct np_out *o = s->ctx->out;

	out_row_begin(o);
	out_str(o, C_IF, np_query_names(q, rec)->dev);
	out_u64(o, C_IFINDEX, r->ifindex);
	out_str(o, C_DIR, dir_words[r->egress]);
	out_str(o, C_HOOK, r->xdp ? "xdp" : "tc");
	out_str(o, C_FAMILY, family_name(r->family));
	out_type_code(o, C_TYPE, C_CODE, r);
	out_u64(o, C_PKTS, r->packets);
	out_u64(o, C_BYTES, r->bytes);
	out_row_end(o);
}

/* np_map_walk callback: one np_icmp_counts entry, its per-CPU counts summed. */
static int on_count(const void *key, const void *value, void *arg)
{
	const struct np_icmp_count_key *k = key;
	const struct np_counter *per_cpu = value;
	struct show *s = arg;
	struct icmp_rec r;

	/* Padding too: np_query_names() knows a row again by its bytes. */
	memset(&r, 0, sizeof(r));
	rec_where(&r, k->ifindex, k->hook, k->family, k->type, k->code);
	for (int c = 0; c < s->ncpus; c++) {
		r.packets += per_cpu[c].packets;
		r.bytes += per_cpu[c].bytes;
	}
	return np_query_add(&s->q, &r);
}

/* ---- per error, reporter and quoted flow ---- */

static void print_error(struct np_query *q, const void *rec, void *arg)
{
	const struct icmp_rec *r = rec;
	struct show *s = arg;
	struct np_out *o = s->ctx->out;
	char a[INET6_ADDRSTRLEN];

	out_row_begin(o);
	out_str(o, E_IF, np_query_names(q, rec)->dev);
	out_u64(o, E_IFINDEX, r->ifindex);
	out_str(o, E_DIR, dir_words[r->egress]);
	out_str(o, E_HOOK, r->xdp ? "xdp" : "tc");
	out_str(o, E_FAMILY, family_name(r->family));
	out_str(o, E_REPORTER, np_addr_str(r->reporter, a, sizeof(a)));
	out_type_code(o, E_TYPE, E_CODE, r);
	/* What the quote did not hold is unknown: null, "-". */
	if (r->has_addrs) {
		np_out_proto(o, E_PROTO, E_PROTO_NUM, r->proto);
		out_str(o, E_SRC, np_addr_str(r->src, a, sizeof(a)));
		out_str(o, E_DST, np_addr_str(r->dst, a, sizeof(a)));
	} else {
		out_null(o, E_PROTO);
		out_null(o, E_PROTO_NUM);
		out_null(o, E_SRC);
		out_null(o, E_DST);
	}
	if (r->has_l4 || r->later_fragment) {
		np_out_ports(o, E_SPORT, E_DPORT, r->later_fragment, r->sport, r->dport);
	} else {
		out_null(o, E_SPORT);
		out_null(o, E_DPORT);
	}
	if (r->mtu)
		out_u64(o, E_MTU, r->mtu);
	else
		out_null(o, E_MTU);
	out_u64(o, E_COUNT, r->packets);
	out_u64(o, E_BYTES, r->bytes);
	out_u64(o, E_FIRST, r->first_seen + s->mono_to_real);
	out_u64(o, E_LAST, r->last_seen + s->mono_to_real);
	out_bool(o, E_LATER_FRAG, r->later_fragment);
	out_row_end(o);
}

/* np_map_walk callback: one np_icmp_errors entry. */
static int on_error(const void *key, const void *value, void *arg)
{
	const struct np_icmp_error_key *k = key;
	const struct np_icmp_error *v = value;
	struct show *s = arg;
	struct icmp_rec r;

	memset(&r, 0, sizeof(r));
	rec_where(&r, k->ifindex, k->hook, k->family, k->type, k->code);
	memcpy(r.reporter, k->reporter, sizeof(r.reporter));
	memcpy(r.src, k->src, sizeof(r.src));
	memcpy(r.dst, k->dst, sizeof(r.dst));
	r.proto = k->proto;
	r.sport = k->sport;
	r.dport = k->dport;
	r.has_addrs = !!(k->flags & NP_ICMP_Q_ADDRS);
	r.later_fragment = !!(k->flags & NP_ICMP_Q_FRAGMENT);
	r.has_l4 = !!(k->flags & NP_ICMP_Q_PORTS);
	r.has_ports = r.has_l4 && np_proto_has_ports(k->proto);
	r.mtu = v->mtu;
	r.packets = v->packets;
	r.bytes = v->bytes;
	r.first_seen = v->first_seen;
	r.last_seen = v->last_seen;
	return np_query_add(&s->q, &r);
}

static void print_summary(struct show *s, __u64 shown)
{
	struct np_icmp_summary sum;
	char line[160];

	if (out_format(s->ctx->out) != NP_FMT_PLAIN || np_icmp_summary_read(s->ctx, s->q.seen, &sum))
		return;
	snprintf(line, sizeof(line), "%llu of %llu matching", (unsigned long long)shown,
		 (unsigned long long)s->q.matched);
	out_kv_str(s->ctx->out, "shown", "errors shown:", line);
	snprintf(line, sizeof(line), "%llu of %u entries, %llu evictions, %llu insert failures",
		 (unsigned long long)sum.entries, sum.max_entries,
		 (unsigned long long)sum.evictions, (unsigned long long)sum.kernel.insert_failures);
	out_kv_str(s->ctx->out, "error_table", "error table:", line);
}

static int show_view(struct show *s)
{
	const char *map = s->errors ? "np_icmp_errors" : "np_icmp_counts";
	static const int addr_cols[3] = { E_REPORTER, E_SRC, E_DST };
	size_t vsize;
	int fd, err;
	__u64 shown;

	fd = np_map_open(s->ctx, map);
	if (fd == -ENOENT)
		return np_err(s->ctx, "no ICMP counters: attach a device ('netprobe attach DEV'; "
			      "pins of a netprobe without them: detach it first)");
	if (fd < 0)
		return np_err(s->ctx, "cannot open %s/maps/%s: %s", s->ctx->pin_root, map,
			      strerror(-fd));
	s->ncpus = libbpf_num_possible_cpus();
	if (s->ncpus <= 0) {
		close(fd);
		return np_err(s->ctx, "cannot count the CPUs: %s", strerror(-s->ncpus));
	}
	s->mono_to_real = np_mono_to_real_offset();
	vsize = s->errors ? sizeof(struct np_icmp_error) : sizeof(struct np_counter) * s->ncpus;
	np_query_start(&s->q, s->errors ? print_error : print_count, s);
	err = np_map_walk(fd, s->errors ? sizeof(struct np_icmp_error_key) :
			  sizeof(struct np_icmp_count_key), vsize, false,
			  s->errors ? on_error : on_count, s);
	close(fd);
	if (err && err != -EPIPE)
		return np_err(s->ctx, "cannot read %s: %s", map, strerror(-err));
	if (s->errors)
		memcpy(s->cols, error_cols, sizeof(error_cols));
	else
		memcpy(s->cols, count_cols, sizeof(count_cols));
	if (out_format(s->ctx->out) == NP_FMT_PLAIN)
		fit_columns(s, s->errors ? E_IF : C_IF, s->errors ? E_HOOK : C_HOOK,
			    s->errors ? E_TYPE : C_TYPE, s->errors ? E_CODE : C_CODE,
			    s->errors ? addr_cols : NULL);
	out_table_begin(s->ctx->out, NULL, s->cols,
			s->errors ? ARRAY_SIZE(error_cols) : ARRAY_SIZE(count_cols), NP_LAYOUT_TABLE);
	shown = np_query_end(&s->q);
	out_table_end(s->ctx->out);
	if (s->errors)
		print_summary(s, shown);
	return NP_EXIT_OK;
}

/* ---- command ---- */

/* True if w stands for `errors`: no keyword of the table starts with 'e'. */
static bool is_errors_word(const char *w)
{
	size_t n = strlen(w);

	return n && !strncmp(w, "errors", n);
}

/* `errors` where a keyword stands, after the first word: a usage error. */
static int errors_first(struct np_ctx *ctx, int argc, char **argv)
{
	/* Every keyword takes one value: keywords stand at even places. */
	for (int i = 0; i < argc; i += 2)
		if (is_errors_word(argv[i]))
			return np_usage(ctx, "show icmp: 'errors' comes first");
	return 0;
}

/* The keywords that only the errors have, on the counts: usage errors. */
static int counts_only(struct np_ctx *ctx, const struct np_query *q)
{
	for (int i = 0; i < q->nf; i++)
		if (q->f[i].def >= &icmp_filters[ERROR_FILTERS])
			return np_usage(ctx, "show icmp: '%s' only with errors (show icmp errors "
					"%s ...)", q->f[i].def->kw, q->f[i].def->kw);
	if (q->sort == &icmp_sorts[3])
		return np_usage(ctx, "show icmp: 'sort last' only with errors (the counts have "
				"no time)");
	return 0;
}

int cmd_show_icmp(struct np_ctx *ctx, int argc, char **argv)
{
	struct show s = { .ctx = ctx };
	const char *dev;
	int err;

	for (int i = 0; i < argc; i++)
		if (np_is_help(argv[i]))
			return np_cmd_help_self(ctx,
				"Rows come most packets first (sort packets). errors: the ICMP "
				"errors seen, by reporter\nand the flow they quote; reporter, proto, "
				"src, dst, port, sport, dport and\nsort last need errors.\n");
	if (argc && is_errors_word(argv[0])) {
		s.errors = true;
		argc--;
		argv++;
	}
	/* Usage errors first: a bad keyword is that, attached or not. */
	err = errors_first(ctx, argc, argv);
	if (!err)
		err = np_query_parse(&s.q, ctx, &icmp_table, argc, argv);
	if (!err && !s.errors)
		err = counts_only(ctx, &s.q);
	if (!err && s.errors && out_format(ctx->out) == NP_FMT_PROM)
		err = np_usage(ctx, "show icmp errors has no Prometheus form (one series per "
			       "error and flow); --prom show icmp has the counts");
	if (err)
		goto out;
	dev = np_query_str(&s.q, "dev");
	err = np_state_open(ctx, dev ? NP_ST_MAY_BE_EMPTY : 0);
	if (err == NP_STATE_EMPTY)
		err = np_dev_not_attached(ctx, dev);
	if (err || (err = np_query_bind(&s.q)))
		goto out;
	np_query_default_sort(&s.q, "packets");
	err = show_view(&s);
out:
	np_query_free(&s.q);
	return err;
}
