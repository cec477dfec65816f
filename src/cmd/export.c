// SPDX-License-Identifier: GPL-2.0
/*
 * netprobe export ipfix HOST:PORT [proto udp|tcp] [k8s]
 *
 * Sends the flows that moved since the last export to an IPFIX collector
 * (RFC 7011), with delta counts, and remembers per flow what it sent in
 * the pinned np_flow_exported hash (bpf/netprobe.h). Order of the steps,
 * under the state lock:
 *
 *   1. read the flow table and the exported state, make the deltas;
 *   2. encode every record (lib/ipfix.c) and send every message;
 *   3. only then record the counts as exported, and forget flows that
 *      left the table.
 *
 * A crash or a failed send before 3 leaves the state as it was: the next
 * export sends those packets again (counted twice by the collector if the
 * first send did arrive) but never loses one. UDP says nothing of
 * delivery; netprobe connects its socket, so that a collector's ICMP port
 * unreachable fails the export (ECONNREFUSED) instead of recording flows
 * nobody received. Packets of a flow the full table evicted before an
 * export are lost to it, as they are to `show flows`.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "lib/cmd.h"
#include "lib/flowtable.h"
#include "lib/ipfix.h"
#include "lib/maps.h"
#include "lib/model.h"
#include "lib/out.h"
#include "lib/state.h"

#define UDP_MTU		1400	/* a message per datagram, under a 1500-byte path */
#define TCP_MSG_MAX	32768

struct export_rec {
	struct np_flow_key key;
	struct np_flow_value val;
	struct np_flow_exported prev;	/* what the collector has of it */
	struct np_flow_exported now;	/* what it will have */
};

/* For the k8s resolver only: the ends of a record and when it began. */
#define R(m) NP_FIELD(struct export_rec, m)
static const struct np_filter_def no_filters[] = { { 0 } };
static const struct np_table export_table = {
	.what = "export ipfix",
	.rec_size = sizeof(struct export_rec),
	.filters = no_filters,
	.ifindex = R(key.ifindex),
	.src = R(key.src), .dst = R(key.dst), .sport = R(key.sport), .dport = R(key.dport),
	.proto = R(key.proto), .first_seen = R(val.first_seen), .mono_first_seen = true,
};
#undef R

struct export {
	struct np_ctx *ctx;
	const char *collector;		/* as given */
	char host[256], port[8];
	bool tcp, k8s;
	int exported_fd;
	struct export_rec *recs;
	size_t n, cap;
	__u64 flows;			/* in the table */
	__u64 packets, bytes;		/* deltas sent */
	struct np_export_state st;
	struct np_ipfix *ipfix;
	const struct np_ipfix_msg *msgs;
	size_t nmsgs;
	__u64 sent_bytes;
};

static int parse_collector(struct export *x, const char *s)
{
	const char *colon, *host = s;
	size_t hlen;
	__u64 port;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end || end[1] != ':')
			return np_usage(x->ctx, "export ipfix: '%s' is not [ADDR]:PORT", s);
		host = s + 1;
		hlen = end - host;
		colon = end + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || colon == s)
			return np_usage(x->ctx, "export ipfix: '%s' is not HOST:PORT", s);
		if (memchr(s, ':', colon - s))
			return np_usage(x->ctx, "export ipfix: write an IPv6 collector as "
					"[ADDR]:PORT, not '%s'", s);
		hlen = colon - s;
	}
	if (!hlen || hlen >= sizeof(x->host))
		return np_usage(x->ctx, "export ipfix: '%s' has no host", s);
	if (!np_decimal_u64(colon + 1, &port) || port < 1 || port > 65535)
		return np_usage(x->ctx, "export ipfix: '%s': the port is a number 1-65535", s);
	memcpy(x->host, host, hlen);
	x->host[hlen] = 0;
	snprintf(x->port, sizeof(x->port), "%llu", (unsigned long long)port);
	x->collector = s;
	return 0;
}

static int parse_args(struct export *x, int argc, char **argv)
{
	static const char *const words[] = { "proto", "k8s", NULL };
	static const char *const protos[] = { "udp", "tcp", NULL };
	__u64 seen = 0;
	const char *v;
	int err, k;

	if (!argc)
		return np_usage(x->ctx, "export ipfix: which collector? (HOST:PORT)");
	if ((err = parse_collector(x, argv[0])))
		return err;
	for (int i = 1; i < argc; i++) {
		if ((k = np_kw_once(x->ctx, argv[i], words, "export ipfix", &seen)) < 0)
			return NP_EXIT_USAGE;
		if (k == 1) {
			x->k8s = true;
			continue;
		}
		if ((err = np_arg_next(x->ctx, "export ipfix", argc, argv, &i, &v)))
			return err;
		if ((k = np_kw_noun(x->ctx, v, protos, "export ipfix", "transport")) < 0)
			return NP_EXIT_USAGE;
		x->tcp = k == 1;
	}
	return 0;
}

/* The exported-state maps: opened, or made and pinned by the first export. */
static int open_or_make(struct np_ctx *ctx, const char *name, enum bpf_map_type type,
			__u32 key_size, __u32 value_size, __u32 max_entries)
{
	char rel[64];
	int fd, err;

	fd = np_map_open(ctx, name);
	if (fd >= 0) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);

		/* Another layout's map: never read its entries into ours. */
		if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.type != type ||
		    info.key_size != key_size || info.value_size != value_size) {
			close(fd);
			return -EPROTO;
		}
		return fd;
	}
	if (fd != -ENOENT)
		return fd;
	fd = bpf_map_create(type, name, key_size, value_size, max_entries, NULL);
	if (fd < 0)
		return -errno;
	snprintf(rel, sizeof(rel), "maps/%s", name);
	err = np_pin_atomic(ctx, fd, rel);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

static int state_err(struct export *x, const char *map, int err)
{
	if (err == -EPROTO)
		return np_err(x->ctx, "maps/%s has another layout: 'netprobe detach all' first", map);
	return np_err(x->ctx, "cannot open maps/%s: %s", map, strerror(-err));
}

static int open_state(struct export *x, int flows_fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), zero = 0;
	int fd;

	if (bpf_obj_get_info_by_fd(flows_fd, &info, &len))
		return np_err(x->ctx, "cannot read the flow table: %s", strerror(errno));
	x->exported_fd = open_or_make(x->ctx, "np_flow_exported", BPF_MAP_TYPE_HASH,
				      sizeof(struct np_flow_key), sizeof(struct np_flow_exported),
				      info.max_entries);
	if (x->exported_fd < 0)
		return state_err(x, "np_flow_exported", x->exported_fd);
	fd = open_or_make(x->ctx, "np_export_state", BPF_MAP_TYPE_ARRAY, sizeof(__u32),
			  sizeof(struct np_export_state), 1);
	if (fd < 0)
		return state_err(x, "np_export_state", fd);
	if (bpf_map_lookup_elem(fd, &zero, &x->st))
		memset(&x->st, 0, sizeof(x->st));
	close(fd);
	if (x->st.layout && x->st.layout != NP_LAYOUT_VERSION)
		return np_err(x->ctx, "the export state has layout %u, this netprobe %u: "
			      "'netprobe detach all' first", x->st.layout, NP_LAYOUT_VERSION);
	return 0;
}

/* arr with room for one more element (n used of *cap); NULL, arr intact, when out of memory. */
static void *grow(void *arr, size_t *cap, size_t n, size_t size)
{
	size_t c = *cap ? 2 * *cap : 256;
	void *p;

	if (n < *cap)
		return arr;
	p = realloc(arr, c * size);
	if (p)
		*cap = c;
	return p;
}

/* One flow of the table: kept if it moved since what was exported of it. */
static int on_flow(const void *key, const void *value, void *arg)
{
	struct export *x = arg;
	struct export_rec r = { 0 };
	void *p;

	memcpy(&r.key, key, sizeof(r.key));
	memcpy(&r.val, value, sizeof(r.val));
	x->flows++;
	if (bpf_map_lookup_elem(x->exported_fd, &r.key, &r.prev) ||
	    r.prev.first_seen != r.val.first_seen || r.prev.packets > r.val.packets ||
	    r.prev.bytes > r.val.bytes)
		/* Never exported, or a new flow under the old key: all of it. */
		r.prev = (struct np_flow_exported){ .first_seen = r.val.first_seen,
						    .last_seen = r.val.first_seen };
	if (r.prev.packets == r.val.packets && r.prev.bytes == r.val.bytes)
		return 0;
	r.now = (struct np_flow_exported){ .packets = r.val.packets, .bytes = r.val.bytes,
					   .first_seen = r.val.first_seen,
					   .last_seen = r.val.last_seen };
	p = grow(x->recs, &x->cap, x->n, sizeof(*x->recs));
	if (!p)
		return -ENOMEM;
	x->recs = p;
	x->recs[x->n++] = r;
	return 0;
}

static void k8s_name(const struct np_k8s_who *w, const __u8 addr[16], char *buf, size_t n)
{
	char a[64];

	buf[0] = 0;
	if (w->kind == NP_K8S_POD || w->kind == NP_K8S_SERVICE || w->kind == NP_K8S_NODE)
		np_k8s_who_text(w, np_addr_str(addr, a, sizeof(a)), buf, n);
}

static int encode(struct export *x)
{
	__u64 off = np_mono_to_real_offset();
	struct np_query q;
	const char *err = NULL;
	int ret = 0;

	memset(&q, 0, sizeof(q));
	if (x->k8s) {
		ret = np_query_parse(&q, x->ctx, &export_table, 0, NULL);
		ret = ret ?: np_query_k8s(&q, x->ctx->host_root, NP_K8S_ALL);
		if (ret)
			goto out;
	}
	x->ipfix = np_ipfix_new(x->tcp ? TCP_MSG_MAX : UDP_MTU, 0, x->st.sequence,
				(__u32)time(NULL), &err);
	if (!x->ipfix) {
		ret = np_err(x->ctx, "%s", err);
		goto out;
	}
	for (size_t i = 0; i < x->n; i++) {
		const struct export_rec *r = &x->recs[i];
		char src[192], dst[192];
		struct np_ipfix_flow f = {
			.sport = r->key.sport, .dport = r->key.dport, .proto = r->key.proto,
			.egress = r->key.dir == NP_HOOK_TC_EGRESS, .tcp_flags = r->val.tcp_flags,
			.ifindex = r->key.ifindex,
			.packets = r->now.packets - r->prev.packets,
			.bytes = r->now.bytes - r->prev.bytes,
			.start_ms = (r->prev.last_seen + off) / 1000000,
			.end_ms = (r->now.last_seen + off) / 1000000,
		};

		memcpy(f.src, r->key.src, 16);
		memcpy(f.dst, r->key.dst, 16);
		if (x->k8s) {
			const struct np_names *names = np_query_names(&q, r);

			k8s_name(&names->src_k8s, r->key.src, src, sizeof(src));
			k8s_name(&names->dst_k8s, r->key.dst, dst, sizeof(dst));
			f.src_k8s = src;
			f.dst_k8s = dst;
		}
		if (np_ipfix_add(x->ipfix, &f, &err)) {
			ret = np_err(x->ctx, "%s", err);
			goto out;
		}
		x->packets += f.packets;
		x->bytes += f.bytes;
	}
	if (np_ipfix_finish(x->ipfix, &x->msgs, &x->nmsgs, &err))
		ret = np_err(x->ctx, "%s", err);
out:
	np_query_free(&q);
	return ret;
}

static int connect_collector(struct export *x)
{
	struct addrinfo hints = {
		.ai_socktype = x->tcp ? SOCK_STREAM : SOCK_DGRAM,
		.ai_flags = AI_NUMERICSERV,
	}, *res, *ai;
	int fd = -1, err, saved = 0;

	err = getaddrinfo(x->host, x->port, &hints, &res);
	if (err) {
		np_err(x->ctx, "export ipfix: %s: %s", x->host, gai_strerror(err));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd >= 0 && !connect(fd, ai->ai_addr, ai->ai_addrlen))
			break;
		saved = errno;
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		np_err(x->ctx, "export ipfix: cannot reach %s: %s", x->collector, strerror(saved));
	return fd;
}

/* A pending socket error, e.g. the ICMP port unreachable of a UDP collector. */
static int socket_error(int fd, int wait_ms)
{
	struct pollfd p = { .fd = fd, .events = 0 };
	socklen_t len = sizeof(int);
	int e = 0;

	poll(&p, 1, wait_ms);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len))
		return errno;
	return e;
}

/* TCP: the collector has read everything once it closes after our FIN. */
static int tcp_drain(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[256];
	ssize_t r;

	if (shutdown(fd, SHUT_WR))
		return errno;
	while (poll(&p, 1, 2000) > 0) {
		r = read(fd, buf, sizeof(buf));
		if (r == 0)
			return 0;
		if (r < 0)
			return errno == ECONNRESET ? ECONNRESET : 0;
	}
	return 0;	/* still open: every byte was handed to the kernel */
}

static int send_all(struct export *x)
{
	int fd = connect_collector(x), e = 0;

	if (fd < 0)
		return NP_EXIT_FAIL;
	for (size_t i = 0; i < x->nmsgs && !e; i++) {
		const __u8 *p = x->msgs[i].buf;
		size_t left = x->msgs[i].len;

		while (left && !e) {
			ssize_t w = send(fd, p, left, MSG_NOSIGNAL);

			if (w < 0 && errno != EINTR)
				e = errno;
			else if (w > 0) {
				p += w;
				left -= w;
			}
		}
		x->sent_bytes += x->msgs[i].len - left;
	}
	if (!e)
		e = x->tcp ? tcp_drain(fd) : socket_error(fd, 20);
	close(fd);
	if (e)
		return np_err(x->ctx, "export ipfix: sending to %s: %s (nothing recorded as "
			      "exported)", x->collector, strerror(e));
	return 0;
}

/* After the send: the counts as exported, and no entry for a flow that left the table. */
struct stale {
	int flows_fd;
	struct np_flow_key *gone;
	size_t n, cap;
};

static int on_exported(const void *key, const void *value, void *arg)
{
	struct np_flow_value v;
	struct stale *s = arg;
	void *p;

	(void)value;
	if (!bpf_map_lookup_elem(s->flows_fd, key, &v))
		return 0;
	p = grow(s->gone, &s->cap, s->n, sizeof(*s->gone));
	if (!p)
		return -ENOMEM;
	s->gone = p;
	memcpy(&s->gone[s->n++], key, sizeof(*s->gone));
	return 0;
}

static int record(struct export *x, int flows_fd)
{
	struct stale s = { .flows_fd = flows_fd };
	__u32 zero = 0;
	int fd, err = 0;

	for (size_t i = 0; i < x->n && !err; i++)
		if (bpf_map_update_elem(x->exported_fd, &x->recs[i].key, &x->recs[i].now, BPF_ANY))
			err = -errno;
	x->st.layout = NP_LAYOUT_VERSION;
	x->st.sequence += x->n;
	x->st.exports++;
	x->st.last_export_ns = np_now_ns();
	fd = np_map_open(x->ctx, "np_export_state");
	if (fd < 0 || bpf_map_update_elem(fd, &zero, &x->st, BPF_ANY))
		err = err ?: (fd < 0 ? fd : -errno);
	if (fd >= 0)
		close(fd);
	if (err)
		return np_err(x->ctx, "export ipfix: sent, but cannot record it: %s (the next "
			      "export sends these flows again)", strerror(-err));
	/* A lookup of an LRU entry from user space leaves its place in the LRU alone. */
	err = np_map_walk(x->exported_fd, sizeof(struct np_flow_key),
			  sizeof(struct np_flow_exported), false, on_exported, &s);
	for (size_t i = 0; !err && i < s.n; i++)
		bpf_map_delete_elem(x->exported_fd, &s.gone[i]);
	free(s.gone);
	if (err)
		np_warn(x->ctx, "export ipfix: cannot forget flows that left the table: %s",
			strerror(-err));
	return 0;
}

static const struct np_col tmpl_cols[] = {
	{ .key = "id", .header = "TEMPLATE", .width = 8, .kind = NP_K_U64 },
	{ .key = "family", .header = "FAMILY", .width = -6, .kind = NP_K_STR },
	{ .key = "k8s", .header = "K8S", .width = -5, .kind = NP_K_BOOL },
	{ .key = "records", .header = "RECORDS", .width = 8, .kind = NP_K_COUNT },
};

static void report(struct export *x)
{
	static const char *const fam[NP_IPFIX_T_MAX] = { "ipv4", "ipv6", "ipv4", "ipv6" };
	struct np_out *o = x->ctx->out;

	out_object_begin(o);
	out_kv_str(o, "collector", "collector:", x->collector);
	out_kv_str(o, "transport", "transport:", x->tcp ? "tcp" : "udp");
	out_kv_u64(o, "flows", "flows in table:", x->flows);
	out_kv_u64(o, "records", "records sent:", x->n);
	out_kv_u64(o, "packets", "packets (delta):", x->packets);
	out_kv_u64(o, "bytes", "bytes (delta):", x->bytes);
	out_kv_u64(o, "messages", "IPFIX messages:", x->nmsgs);
	out_kv_u64(o, "message_bytes", "IPFIX bytes:", x->sent_bytes);
	out_kv_u64(o, "sequence", "next sequence:", x->st.sequence);
	out_kv_u64(o, "exports", "exports so far:", x->st.exports);
	out_table_begin(o, "templates", tmpl_cols, ARRAY_SIZE(tmpl_cols), NP_LAYOUT_TABLE);
	for (int t = 0; t < NP_IPFIX_T_MAX; t++) {
		out_row_begin(o);
		out_u64(o, 0, NP_IPFIX_TID_BASE + t);
		out_str(o, 1, fam[t]);
		out_bool(o, 2, t >= NP_IPFIX_T_V4_K8S);
		out_u64(o, 3, np_ipfix_tmpl_records(x->ipfix, t));
		out_row_end(o);
	}
	out_table_end(o);
	out_object_end(o);
}

int cmd_export_ipfix(struct np_ctx *ctx, int argc, char **argv)
{
	struct export x = { .ctx = ctx, .exported_fd = -1 };
	int flows_fd = -1, err;

	if (argc && np_is_help(argv[0]))
		return np_cmd_help_self(ctx, "Sends the flows that moved since the last export, "
					"with delta counts; see netprobe-export(8).\n");
	if ((err = parse_args(&x, argc, argv)))
		return err;
	err = np_state_open(ctx, NP_ST_MAY_BE_EMPTY);
	if (err == NP_STATE_EMPTY)
		return np_err(ctx, "no flow table: attach a device first ('netprobe attach DEV')");
	err = err ?: np_state_open(ctx, NP_ST_WRITE);
	if (err)
		return err;
	flows_fd = np_map_open(ctx, "np_flows");
	if (flows_fd < 0) {
		err = flows_fd == -ENOENT ?
		      np_err(ctx, "no flow table: attach a device first ('netprobe attach DEV')") :
		      np_err(ctx, "cannot open the flow table: %s", strerror(-flows_fd));
		goto out;
	}
	if ((err = open_state(&x, flows_fd)))
		goto out;
	err = np_flow_table_walk(flows_fd, on_flow, &x);
	if (err) {
		err = np_err(ctx, "cannot read the flow table: %s", strerror(-err));
		goto out;
	}
	err = encode(&x) ?: send_all(&x) ?: record(&x, flows_fd);
	if (!err)
		report(&x);
out:
	np_ipfix_free(x.ipfix);
	free(x.recs);
	if (x.exported_fd >= 0)
		close(x.exported_fd);
	if (flows_fd >= 0)
		close(flows_fd);
	np_state_close(ctx);
	return err;
}
