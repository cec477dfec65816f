// SPDX-License-Identifier: GPL-2.0
/*
 * netprobe show pods [namespace NS] [host-network]
 * netprobe show services [namespace NS] [kind K]
 * netprobe query ip ADDR [port N] [proto P]
 *
 * Kubernetes as this node knows it (lib/k8s.h): no pins, no attach, no API
 * server. Under --host-root DIR (a DaemonSet's /host) every source is read
 * there. A source that cannot be read is a warning; the rest is printed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lib/cmd.h"
#include "lib/inet.h"
#include "lib/k8s.h"
#include "lib/maps.h"
#include "lib/model.h"
#include "lib/out.h"
#include "lib/state.h"

/* Warnings for what could not be read, once. */
static void k8s_notes(struct np_ctx *ctx, const struct np_k8s *k)
{
	for (int i = 0; i < k->nnotes && i < NP_K8S_NOTES; i++)
		np_warn(ctx, "%s", k->notes[i]);
	if (k->nnotes > NP_K8S_NOTES)
		np_warn(ctx, "%d more sources could not be read", k->nnotes - NP_K8S_NOTES);
}

static const char *host_root(struct np_ctx *ctx)
{
	return ctx->host_root;
}

/* ---- show pods ---- */

enum { P_NS, P_NAME, P_UID, P_IPS, P_IF, P_NETNS, P_HOSTNET, P_SANDBOX, P_CREATED, P_SOURCE };

static const struct np_col pod_cols[] = {
	[P_NS] = { "namespace", "NAMESPACE", -16, NP_K_STR },
	[P_NAME] = { "name", "NAME", -24, NP_K_STR },
	[P_UID] = { "uid", NULL, 0, NP_K_STR },
	[P_IPS] = { "ips", "IPS", -16, NP_K_STR },
	[P_IF] = { "interface", "INTERFACE", -15, NP_K_STR },
	[P_NETNS] = { "netns", "NETNS", 10, NP_K_U64 },
	[P_HOSTNET] = { "host_network", "HOSTNET", -7, NP_K_BOOL },
	[P_SANDBOX] = { "sandbox_id", NULL, 0, NP_K_STR },
	[P_CREATED] = { "created", NULL, 0, NP_K_TIME },
	[P_SOURCE] = { "source", NULL, 0, NP_K_STR },
};

#define P(m) NP_FIELD(struct np_k8s_pod, m)

static const struct np_filter_def pod_filters[] = {
	{ "namespace", NP_M_STR, P(namespace), .meta = "NS" },
	{ "host-network", NP_M_FLAG, P(host_network), .meta = NULL },
	{ 0 },
};

#undef P

static const struct np_table pods_table = {
	.what = "show pods",
	.rec_size = sizeof(struct np_k8s_pod),
	.filters = pod_filters,
};

const char *np_show_pods_synopsis(void)
{
	static char buf[128];

	return buf[0] ? buf : np_table_synopsis(&pods_table, buf, sizeof(buf));
}

static void ips_out(struct np_out *o, int col, const __u8 (*ips)[16], int n)
{
	char text[NP_K8S_IPS_MAX][INET6_ADDRSTRLEN];
	const char *v[NP_K8S_IPS_MAX];

	for (int i = 0; i < n && i < NP_K8S_IPS_MAX; i++)
		v[i] = np_addr_str(ips[i], text[i], sizeof(text[i]));
	out_strv(o, col, v, n);
}

static void print_pod(struct np_query *q, const void *rec, void *arg)
{
	const struct np_k8s_pod *p = rec;
	struct np_out *o = q->ctx->out;

	(void)arg;
	out_row_begin(o);
	out_str(o, P_NS, p->namespace[0] ? p->namespace : NULL);
	out_str(o, P_NAME, p->name[0] ? p->name : NULL);
	out_str(o, P_UID, p->uid[0] ? p->uid : NULL);
	ips_out(o, P_IPS, (const __u8 (*)[16])p->ips, p->nips);
	out_str(o, P_IF, p->interface[0] ? p->interface : NULL);
	if (p->netns)
		out_u64(o, P_NETNS, p->netns);
	else
		out_null(o, P_NETNS);
	out_bool(o, P_HOSTNET, p->host_network);
	out_str(o, P_SANDBOX, p->sandbox_id);
	if (p->created_ns)
		out_u64(o, P_CREATED, p->created_ns);
	out_str(o, P_SOURCE, p->source);
	out_row_end(o);
}

int cmd_show_pods(struct np_ctx *ctx, int argc, char **argv)
{
	struct np_query q;
	struct np_k8s k;
	int err;

	if (argc && np_is_help(argv[0]))
		return np_cmd_help_self(ctx, "Pods of this node, from the runtime's sandbox bundles, "
					"the libcni cache and\nhost-local IPAM (under --host-root).\n");
	err = np_query_parse(&q, ctx, &pods_table, argc, argv);
	if (err)
		return err;
	np_k8s_load(&k, host_root(ctx), NP_K8S_PODS);
	k8s_notes(ctx, &k);
	np_query_start(&q, print_pod, NULL);
	out_table_begin(ctx->out, NULL, pod_cols, ARRAY_SIZE(pod_cols), NP_LAYOUT_TABLE);
	for (int i = 0; i < k.npods && !np_query_add(&q, &k.pods[i]); i++)
		;
	np_query_end(&q);
	out_table_end(ctx->out);
	np_query_free(&q);
	np_k8s_free(&k);
	return NP_EXIT_OK;
}

/* ---- show services ---- */

enum { S_NS, S_NAME, S_PORT_NAME, S_KIND, S_IP, S_PORT, S_PROTO, S_PROTO_NUM, S_ENDPOINTS };

static const struct np_col svc_cols[] = {
	[S_NS] = { "namespace", "NAMESPACE", -16, NP_K_STR },
	[S_NAME] = { "name", "NAME", -20, NP_K_STR },
	[S_PORT_NAME] = { "port_name", "PORT NAME", -10, NP_K_STR },
	[S_KIND] = { "kind", "KIND", -13, NP_K_STR },
	[S_IP] = { "ip", "IP", -15, NP_K_STR },
	[S_PORT] = { "port", "PORT", 5, NP_K_U64 },
	[S_PROTO] = { "proto", "PROTO", -5, NP_K_STR },
	[S_PROTO_NUM] = { "proto_number", NULL, 0, NP_K_U64 },
	[S_ENDPOINTS] = { "endpoints", "ENDPOINTS", -1, NP_K_STR },
};

static const char *const svc_kind_words[] = {
	"cluster-ip", "external-ip", "load-balancer", "node-port", NULL,
};

#define S(m) NP_FIELD(struct np_k8s_svc, m)

static const struct np_filter_def svc_filters[] = {
	{ "namespace", NP_M_STR, S(namespace), .meta = "NS" },
	{ "kind", NP_M_WORD, S(kind), .words = svc_kind_words },
	{ 0 },
};

#undef S

static const struct np_table services_table = {
	.what = "show services",
	.rec_size = sizeof(struct np_k8s_svc),
	.filters = svc_filters,
};

const char *np_show_services_synopsis(void)
{
	static char buf[128];

	return buf[0] ? buf : np_table_synopsis(&services_table, buf, sizeof(buf));
}

static void print_svc(struct np_query *q, const void *rec, void *arg)
{
	const struct np_k8s_svc *s = rec;
	struct np_out *o = q->ctx->out;
	const char *eps[NP_K8S_ENDPOINTS_MAX];
	char ip[INET6_ADDRSTRLEN];

	(void)arg;
	for (int i = 0; i < s->nendpoints; i++)
		eps[i] = s->endpoints[i];
	out_row_begin(o);
	out_str(o, S_NS, s->namespace);
	out_str(o, S_NAME, s->name);
	out_str(o, S_PORT_NAME, s->port_name[0] ? s->port_name : NULL);
	out_str(o, S_KIND, np_k8s_svc_kind_name(s->kind));
	if (s->kind == NP_SVC_NODE_PORT)
		out_null(o, S_IP);	/* every address of the node */
	else
		out_str(o, S_IP, np_addr_str(s->ip, ip, sizeof(ip)));
	out_u64(o, S_PORT, s->port);
	np_out_proto(o, S_PROTO, S_PROTO_NUM, s->proto);
	out_strv(o, S_ENDPOINTS, eps, s->nendpoints);
	out_row_end(o);
}

int cmd_show_services(struct np_ctx *ctx, int argc, char **argv)
{
	struct np_query q;
	struct np_k8s k;
	int err;

	if (argc && np_is_help(argv[0]))
		return np_cmd_help_self(ctx, "Service ports from kube-proxy's rules: iptables-save "
					"and nft -j in this network\nnamespace "
					"($NETPROBE_KUBE_PROXY_RULES: iptables, nft or files).\n");
	err = np_query_parse(&q, ctx, &services_table, argc, argv);
	if (err)
		return err;
	np_k8s_load(&k, host_root(ctx), NP_K8S_SERVICES);
	k8s_notes(ctx, &k);
	np_query_start(&q, print_svc, NULL);
	out_table_begin(ctx->out, NULL, svc_cols, ARRAY_SIZE(svc_cols), NP_LAYOUT_TABLE);
	for (int i = 0; i < k.nsvcs && !np_query_add(&q, &k.svcs[i]); i++)
		;
	np_query_end(&q);
	out_table_end(ctx->out);
	np_query_free(&q);
	np_k8s_free(&k);
	return NP_EXIT_OK;
}

/* ---- query ip ---- */

static bool parse_ip(const char *s, __u8 out[16])
{
	struct in_addr a4;

	memset(out, 0, 16);
	if (inet_pton(AF_INET, s, &a4) == 1) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &a4, 4);
		return true;
	}
	return inet_pton(AF_INET6, s, out) == 1;
}

/* The who of an address as members of the open object (query ip, flows). */
void np_k8s_who_out(struct np_out *o, const struct np_k8s_who *w)
{
	char buf[INET6_ADDRSTRLEN];

	out_kv_str(o, "kind", "kind:", np_k8s_kind_name(w->kind));
	if (w->pod) {
		out_kv_str(o, "namespace", "namespace:", w->pod->namespace);
		out_kv_str(o, "name", "name:", w->pod->name);
		if (w->pod->uid[0])
			out_kv_str(o, "uid", "uid:", w->pod->uid);
	} else if (w->svc) {
		out_kv_str(o, "namespace", "namespace:", w->svc->namespace);
		out_kv_str(o, "name", "name:", w->svc->name);
		out_kv_str(o, "service_kind", "service kind:", np_k8s_svc_kind_name(w->svc->kind));
		out_kv_u64(o, "port", "port:", w->svc->port);
		if (w->svc->port_name[0])
			out_kv_str(o, "port_name", "port name:", w->svc->port_name);
	}
	if (w->node && !w->node->self)
		out_kv_str(o, "node", "node:", np_addr_str(w->node->ip, buf, sizeof(buf)));
	else if (w->node)
		out_kv_str(o, "node", "node:", "self");
	if (w->matches > 1)
		out_kv_u64(o, "matches", "pods with this address:", w->matches);
	if (w->reused)
		out_kv_bool(o, "reused", "address reused:", true);
}

int cmd_query_ip(struct np_ctx *ctx, int argc, char **argv)
{
	static const char *const words[] = { "port", "proto", NULL };
	char node[256];
	struct np_k8s_who w;
	struct np_k8s k;
	__u64 port = 0, seen = 0;
	int proto = 0, err;
	__u8 addr[16];

	if (argc && np_is_help(argv[0]))
		return np_cmd_help_self(ctx, "Who ADDR is: a service (with port: that port), a pod "
					"of this node, a node, a pod\nof another node's pod CIDR, or "
					"outside the cluster.\n");
	if (!argc)
		return np_usage(ctx, "query ip: which address? (e.g. 10.244.1.5)");
	if (!parse_ip(argv[0], addr))
		return np_usage(ctx, "query ip: '%s' is not an IPv4 or IPv6 address", argv[0]);
	for (int i = 1; i < argc; i++) {
		const char *v;
		int kw = np_kw_once(ctx, argv[i], words, "query ip", &seen);

		if (kw < 0)
			return NP_EXIT_USAGE;
		if ((err = np_arg_next(ctx, "query ip", argc, argv, &i, &v)))
			return err;
		if (kw == 0 && (err = np_arg_u64(ctx, "port", v, 1, 65535, &port)))
			return err;
		if (kw == 1 && (proto = np_proto_parse(v)) < 0)
			return np_usage(ctx, "proto: '%s' is not a protocol name or number", v);
	}
	np_k8s_load(&k, host_root(ctx), NP_K8S_ALL);
	np_k8s_load_api(&k, ctx->kubeconfig, np_k8s_node_name(node, sizeof(node)));
	k8s_notes(ctx, &k);
	np_k8s_who(&k, addr, port, proto, 0, &w);
	out_object_begin(ctx->out);
	out_kv_str(ctx->out, "ip", "ip:", argv[0]);
	np_k8s_who_out(ctx->out, &w);
	out_object_end(ctx->out);
	np_k8s_free(&k);
	return NP_EXIT_OK;
}

/* ---- the kernel's classes: k8s sync, show k8s ---- */

/*
 * Deletes the keys (of size ksz) of fd that keep() refuses. The walk
 * restarts after each delete (LPM tries have no stable order across
 * deletes), bounded by twice the map's size (max).
 */
static int del_stale(int fd, size_t ksz, int max, bool (*keep)(const void *key, const void *v,
							       int n),
		     const void *v, int n, __u64 *removed)
{
	char key[64], next[64];
	bool first = true;

	if (ksz > sizeof(key))
		return -EINVAL;
	for (int guard = 0; guard < 2 * max; guard++) {
		if (bpf_map_get_next_key(fd, first ? NULL : key, next))
			return 0;
		first = false;
		if (!keep(next, v, n) && !bpf_map_delete_elem(fd, next)) {
			(*removed)++;
			first = true;
			continue;
		}
		memcpy(key, next, ksz);
	}
	return -E2BIG;
}

static bool cidr_kept(const void *key, const void *entries, int n)
{
	const struct np_k8s_cidr_key *k = key;
	const struct np_k8s_cidr_entry *v = entries;

	for (int i = 0; i < n; i++)
		if (k->prefixlen == v[i].cidr.prefix && !memcmp(k->addr, v[i].cidr.addr, 16))
			return true;
	return false;
}

static bool port_kept(const void *key, const void *entries, int n)
{
	const struct np_k8s_port_entry *v = entries;

	for (int i = 0; i < n; i++)
		if (!memcmp(key, &v[i].key, sizeof(v[i].key)))
			return true;
	return false;
}

/* The per-pod and per-service maps of one traffic probe's pins. */
struct owner_maps {
	int owners, flows, ports;
};

static void owner_maps_close(struct owner_maps *m);

static void owner_maps_open(struct np_ctx *ctx, struct owner_maps *m)
{
	/* Pins of a traffic probe from before the per-pod counters: classes only. */
	m->owners = np_map_open(ctx, "np_k8s_owners");
	m->flows = np_map_open(ctx, "np_k8s_owner_flows");
	m->ports = np_map_open(ctx, "np_k8s_svc_ports");
	if (m->owners < 0 || m->flows < 0 || m->ports < 0)
		owner_maps_close(m);
}

static void owner_maps_close(struct owner_maps *m)
{
	int *fds[] = { &m->owners, &m->flows, &m->ports };

	for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/* Service ports: the slot of each written, then the stale ones go. */
static int ports_write(const struct owner_maps *m, struct np_k8s_assign *a,
		       const struct np_k8s_port_entry *pv, int np)
{
	int err = 0;

	for (int i = 0; i < np && !err; i++) {
		__u32 slot;

		err = np_k8s_owner_slot(m->owners, m->flows, a, &pv[i].owner, &slot);
		if (!err && slot && bpf_map_update_elem(m->ports, &pv[i].key, &slot, BPF_ANY))
			err = -errno;
	}
	return err ?: del_stale(m->ports, sizeof(struct np_k8s_port_key), NP_K8S_SVC_PORTS_MAX,
				port_kept, pv, np, &(__u64){ 0 });
}

/*
 * Writes np_k8s_cidrs (and the per-pod and per-service maps) from the
 * node's sources and turns the classes on (or off, when the node has no
 * Kubernetes). The caller holds the state lock. Returns 0 or -errno.
 */
int np_k8s_sync(struct np_ctx *ctx, __u64 *entries, __u64 *removed, bool *enabled)
{
	struct owner_maps m = { -1, -1, -1 };
	struct np_k8s_port_entry *pv = NULL;
	struct np_k8s_cidr_entry *v = NULL;
	struct np_k8s_config cfg = { 0 };
	struct np_k8s_assign a = { 0 };
	int fd, cfd, n = 0, np = 0, err = 0;
	struct np_k8s k;
	__u32 zero = 0;

	*entries = *removed = 0;
	fd = np_map_open(ctx, "np_k8s_cidrs");
	cfd = fd >= 0 ? np_map_open(ctx, "np_k8s_config") : fd;
	if (fd < 0 || cfd < 0) {
		err = fd < 0 ? fd : cfd;
		goto out;
	}
	owner_maps_open(ctx, &m);
	/* kube-proxy's rules (two commands run) only on a node with pods or a cluster network. */
	np_k8s_load(&k, host_root(ctx), NP_K8S_PODS | NP_K8S_NODES);
	if (k.npods || k.ncluster) {
		np_k8s_free(&k);
		np_k8s_load(&k, host_root(ctx), NP_K8S_ALL);
	}
	k8s_notes(ctx, &k);
	*enabled = np_k8s_present(&k);
	if (*enabled)
		err = np_k8s_cidr_entries(&k, &v, &n) ?: np_k8s_port_entries(&k, &pv, &np);
	if (!err && (n > NP_K8S_CIDRS_MAX || np > NP_K8S_SVC_PORTS_MAX))
		err = -E2BIG;
	if (!err && m.owners >= 0)
		err = np_k8s_owners_begin(m.owners, &a);
	/* New prefixes first, then the stale ones go: no moment without the old. */
	for (int i = 0; i < n && !err; i++) {
		struct np_k8s_cidr_key key = { .prefixlen = v[i].cidr.prefix };
		struct np_k8s_cidr_val val = { .where = v[i].where };

		memcpy(key.addr, v[i].cidr.addr, 16);
		if (m.owners >= 0)
			err = np_k8s_owner_slot(m.owners, m.flows, &a, &v[i].owner, &val.owner);
		if (!err && bpf_map_update_elem(fd, &key, &val, BPF_ANY))
			err = -errno;
	}
	if (!err && m.owners >= 0)
		err = ports_write(&m, &a, pv, np);
	np_k8s_free(&k);
	err = err ?: del_stale(fd, sizeof(struct np_k8s_cidr_key), NP_K8S_CIDRS_MAX, cidr_kept, v,
				n, removed);
	/* The maps no longer name the slots of pods and services gone: free them. */
	if (!err && m.owners >= 0)
		err = np_k8s_owners_release(m.owners, &a);
	if (a.unowned)
		np_warn(ctx, "%llu pods and services have no counter of their own: all %d slots are "
			"taken", (unsigned long long)a.unowned, NP_K8S_OWNERS_MAX - 1);
	*entries = n;
	/* A new generation: flows classified before are classified again. */
	if (bpf_map_lookup_elem(cfd, &zero, &cfg))
		memset(&cfg, 0, sizeof(cfg));
	cfg.generation = cfg.generation % 255 + 1;
	cfg.enabled = *enabled && !err;
	cfg.synced_ns = np_now_ns();
	if (!err && bpf_map_update_elem(cfd, &zero, &cfg, BPF_ANY))
		err = -errno;
out:
	if (fd >= 0)
		close(fd);
	if (cfd >= 0)
		close(cfd);
	owner_maps_close(&m);
	np_k8s_assign_free(&a);
	free(pv);
	free(v);
	return err;
}

int cmd_k8s_sync(struct np_ctx *ctx, int argc, char **argv)
{
	__u64 entries, removed;
	bool enabled;
	int err;

	if (argc && np_is_help(argv[0]))
		return np_cmd_help_self(ctx, "Writes the cluster's prefixes (pod CIDRs, node and "
					"service addresses) into the\nkernel's class trie, as attach "
					"does; run it when pods, services or nodes change.\n");
	if (argc)
		return np_usage(ctx, "k8s sync: unexpected '%s'", argv[0]);
	err = np_state_open(ctx, NP_ST_WRITE);
	if (err)
		return err;
	err = np_k8s_sync(ctx, &entries, &removed, &enabled);
	if (err == -ENOENT)
		return np_err(ctx, "no traffic probe is attached: 'netprobe attach DEV' first");
	if (err)
		return np_err(ctx, "cannot write the class trie: %s", strerror(-err));
	out_object_begin(ctx->out);
	out_kv_bool(ctx->out, "enabled", "classes counted:", enabled);
	out_kv_u64(ctx->out, "prefixes", "prefixes:", entries);
	out_kv_u64(ctx->out, "removed", "stale prefixes removed:", removed);
	out_object_end(ctx->out);
	return NP_EXIT_OK;
}

enum { K_CLASS, K_PACKETS, K_BYTES, K_FLOWS };

static const struct np_col class_cols[] = {
	[K_CLASS] = { "class", "CLASS", -12, NP_K_STR },
	[K_PACKETS] = { "packets", "PACKETS", 10, NP_K_COUNT },
	[K_BYTES] = { "bytes", "BYTES", 10, NP_K_BYTES },
	[K_FLOWS] = { "flows", "FLOWS", 8, NP_K_COUNT },
};

static const char *const class_names[NP_K8S_CLASSES] = {
	[NP_K8S_INTRA_NODE] = "intra-node", [NP_K8S_INTER_NODE] = "inter-node",
	[NP_K8S_INGRESS] = "ingress", [NP_K8S_EGRESS] = "egress",
};

#define CM(cls, what, help) { cls "_" what, NULL, 0, NP_K_U64, NP_P_COUNTER, \
	"netprobe_k8s_" cls "_" what "_total", help }

/* Prometheus: one series per class and figure, the seed's names. */
static const struct np_col class_prom[] = {
	CM("intra_node", "packets", "Packets with both ends on this node (pods, node, local services)."),
	CM("intra_node", "bytes", "Bytes (frames) with both ends on this node."),
	CM("intra_node", "flows", "New flows with both ends on this node."),
	CM("inter_node", "packets", "Packets with one end elsewhere in the cluster."),
	CM("inter_node", "bytes", "Bytes (frames) with one end elsewhere in the cluster."),
	CM("inter_node", "flows", "New flows with one end elsewhere in the cluster."),
	CM("ingress", "packets", "Packets from outside the cluster."),
	CM("ingress", "bytes", "Bytes (frames) from outside the cluster."),
	CM("ingress", "flows", "New flows from outside the cluster."),
	CM("egress", "packets", "Packets to outside the cluster."),
	CM("egress", "bytes", "Bytes (frames) to outside the cluster."),
	CM("egress", "flows", "New flows to outside the cluster."),
};

enum { I_NS, I_POD, I_UID, I_IP, I_NODE, I_VALUE };

static const struct np_col info_cols[] = {
	[I_NS] = { "namespace", NULL, 0, NP_K_STR, NP_P_LABEL },
	[I_POD] = { "pod", NULL, 0, NP_K_STR, NP_P_LABEL },
	[I_UID] = { "uid", NULL, 0, NP_K_STR, NP_P_LABEL },
	[I_IP] = { "pod_ip", NULL, 0, NP_K_STR, NP_P_LABEL },
	[I_NODE] = { "node", NULL, 0, NP_K_STR, NP_P_LABEL },
	[I_VALUE] = { "info", NULL, 0, NP_K_U64, NP_P_GAUGE, "netprobe_k8s_pod_info",
		      "1 for each pod of this node and address, as kube_pod_info." },
};

static void pod_info(struct np_ctx *ctx)
{
	char node[256], ip[INET6_ADDRSTRLEN];
	struct np_k8s k;

	np_k8s_load(&k, host_root(ctx), NP_K8S_PODS);
	np_k8s_node_name(node, sizeof(node));
	out_table_begin(ctx->out, NULL, info_cols, ARRAY_SIZE(info_cols), NP_LAYOUT_TABLE);
	for (int i = 0; i < k.npods; i++) {
		const struct np_k8s_pod *p = &k.pods[i];

		for (int a = 0; a < p->nips && !p->host_network && p->name[0]; a++) {
			out_row_begin(ctx->out);
			out_str(ctx->out, I_NS, p->namespace);
			out_str(ctx->out, I_POD, p->name);
			out_str(ctx->out, I_UID, p->uid);
			out_str(ctx->out, I_IP, np_addr_str(p->ips[a], ip, sizeof(ip)));
			out_str(ctx->out, I_NODE, node);
			out_u64(ctx->out, I_VALUE, 1);
			out_row_end(ctx->out);
		}
	}
	out_table_end(ctx->out);
	np_k8s_free(&k);
}

enum { O_NS, O_NAME, O_FLOWS, O_SINCE };

static const struct np_col owner_cols[] = {
	[O_NS] = { "namespace", "NAMESPACE", -16, NP_K_STR, NP_P_LABEL },
	[O_NAME] = { "name", "NAME", -32, NP_K_STR, NP_P_LABEL },
	[O_FLOWS] = { "flows", "FLOWS", 8, NP_K_COUNT, NP_P_COUNTER },
	[O_SINCE] = { "since", "SINCE", -19, NP_K_TIME, NP_P_NONE },
};

static const struct np_col pod_prom[] = {
	[O_NS] = { "namespace", NULL, 0, NP_K_STR, NP_P_LABEL },
	[O_NAME] = { "pod", NULL, 0, NP_K_STR, NP_P_LABEL },
	[O_FLOWS] = { "flows", NULL, 0, NP_K_U64, NP_P_COUNTER, "netprobe_k8s_pod_flows_total",
		      "New flows with the pod's address at either end, since its first sync." },
};

static const struct np_col svc_prom[] = {
	[O_NS] = { "namespace", NULL, 0, NP_K_STR, NP_P_LABEL },
	[O_NAME] = { "service", NULL, 0, NP_K_STR, NP_P_LABEL },
	[O_FLOWS] = { "flows", NULL, 0, NP_K_U64, NP_P_COUNTER,
		      "netprobe_k8s_service_flows_total",
		      "New flows to or from the service's addresses, since its first sync "
		      "(services with flows only)." },
};

/*
 * The kernel's new flows per pod or per service (kind): every slot in JSON
 * and plain text; in Prometheus every pod of this node, and only the
 * services that had a flow (a node's trie holds every service of the
 * cluster: a series each would be the cluster's services times its nodes).
 */
static int owners_out(struct np_ctx *ctx, __u32 kind)
{
	bool prom = out_format(ctx->out) == NP_FMT_PROM;
	struct np_k8s_slot *v = NULL;
	int ofd, ffd, n = 0, err;

	ofd = np_map_open(ctx, "np_k8s_owners");
	ffd = ofd >= 0 ? np_map_open(ctx, "np_k8s_owner_flows") : -1;
	if (ofd < 0 || ffd < 0) {
		if (ofd >= 0)
			close(ofd);
		if (prom)
			return NP_EXIT_OK;
		return np_err(ctx, "these pins count no flows per pod or service: 'netprobe "
			      "detach all' and attach again");
	}
	err = np_k8s_owners_read(ofd, ffd, &v, &n);
	close(ofd);
	close(ffd);
	if (err)
		return np_err(ctx, "cannot read the counters: %s", strerror(-err));
	out_table_begin(ctx->out, NULL, prom ? (kind == NP_K8S_OWNER_POD ? pod_prom : svc_prom) :
			owner_cols, prom ? 3 : ARRAY_SIZE(owner_cols), NP_LAYOUT_TABLE);
	for (int i = 0; i < n; i++) {
		if (v[i].owner.kind != kind || (prom && kind == NP_K8S_OWNER_SERVICE &&
						!v[i].flows))
			continue;
		out_row_begin(ctx->out);
		out_str(ctx->out, O_NS, v[i].owner.namespace);
		out_str(ctx->out, O_NAME, v[i].owner.name);
		out_u64(ctx->out, O_FLOWS, v[i].flows);
		if (!prom)
			out_u64(ctx->out, O_SINCE, v[i].owner.assigned_ns);
		out_row_end(ctx->out);
	}
	out_table_end(ctx->out);
	free(v);
	return NP_EXIT_OK;
}

int cmd_show_k8s(struct np_ctx *ctx, int argc, char **argv)
{
	struct np_k8s_class_stats sum[NP_K8S_CLASSES] = { 0 };
	struct np_k8s_config cfg = { 0 };
	int ncpu = libbpf_num_possible_cpus(), fd, err;
	struct np_k8s_class_stats *per;
	__u32 zero = 0, kind = 0;

	if (argc && np_is_help(argv[0]))
		return np_cmd_help_self(ctx, "Packets, bytes and new flows per class, counted by the "
					"TC and XDP programs\n(netprobe k8s sync writes what they "
					"classify by); pods, services: new flows per pod\nof this "
					"node and per service. --prom prints them all, with "
					"netprobe_k8s_pod_info.\n");
	if (argc && !strcmp(argv[0], "pods"))
		kind = NP_K8S_OWNER_POD;
	else if (argc && !strcmp(argv[0], "services"))
		kind = NP_K8S_OWNER_SERVICE;
	if (argc > !!kind)
		return np_usage(ctx, "show k8s: unexpected '%s'", argv[!!kind]);
	err = np_state_open(ctx, 0);
	if (err)
		return err;
	if (kind) {
		if (!np_pin_exists(ctx, "maps/np_k8s_stats"))
			return np_err(ctx, "no traffic probe is attached: 'netprobe attach DEV' first");
		return owners_out(ctx, kind);
	}
	fd = np_map_open(ctx, "np_k8s_config");
	if (fd >= 0) {
		bpf_map_lookup_elem(fd, &zero, &cfg);
		close(fd);
	}
	fd = np_map_open(ctx, "np_k8s_stats");
	if (fd < 0)
		return np_err(ctx, "no traffic probe is attached: 'netprobe attach DEV' first");
	per = ncpu > 0 ? calloc(ncpu, sizeof(*per)) : NULL;
	for (__u32 c = 0; per && c < NP_K8S_CLASSES; c++) {
		if (bpf_map_lookup_elem(fd, &c, per))
			continue;
		for (int i = 0; i < ncpu; i++) {
			sum[c].packets += per[i].packets;
			sum[c].bytes += per[i].bytes;
			sum[c].flows += per[i].flows;
		}
	}
	close(fd);
	free(per);
	if (!cfg.enabled && out_format(ctx->out) != NP_FMT_PROM)
		np_warn(ctx, "the classes are off: no Kubernetes found at the last attach or "
			"'netprobe k8s sync'");
	if (out_format(ctx->out) == NP_FMT_PROM) {
		out_table_begin(ctx->out, NULL, class_prom, ARRAY_SIZE(class_prom), NP_LAYOUT_TABLE);
		out_row_begin(ctx->out);
		for (int c = 0; c < NP_K8S_CLASSES; c++) {
			out_u64(ctx->out, c * 3, sum[c].packets);
			out_u64(ctx->out, c * 3 + 1, sum[c].bytes);
			out_u64(ctx->out, c * 3 + 2, sum[c].flows);
		}
		out_row_end(ctx->out);
		out_table_end(ctx->out);
		owners_out(ctx, NP_K8S_OWNER_POD);
		owners_out(ctx, NP_K8S_OWNER_SERVICE);
		pod_info(ctx);
		return NP_EXIT_OK;
	}
	out_table_begin(ctx->out, NULL, class_cols, ARRAY_SIZE(class_cols), NP_LAYOUT_TABLE);
	for (int c = 0; c < NP_K8S_CLASSES; c++) {
		out_row_begin(ctx->out);
		out_str(ctx->out, K_CLASS, class_names[c]);
		out_u64(ctx->out, K_PACKETS, sum[c].packets);
		out_u64(ctx->out, K_BYTES, sum[c].bytes);
		out_u64(ctx->out, K_FLOWS, sum[c].flows);
		out_row_end(ctx->out);
	}
	out_table_end(ctx->out);
	return NP_EXIT_OK;
}
