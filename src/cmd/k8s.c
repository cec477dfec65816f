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
#include <string.h>

#include "lib/cmd.h"
#include "lib/inet.h"
#include "lib/k8s.h"
#include "lib/model.h"
#include "lib/out.h"

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
	k8s_notes(ctx, &k);
	np_k8s_who(&k, addr, port, proto, 0, &w);
	out_object_begin(ctx->out);
	out_kv_str(ctx->out, "ip", "ip:", argv[0]);
	np_k8s_who_out(ctx->out, &w);
	out_object_end(ctx->out);
	np_k8s_free(&k);
	return NP_EXIT_OK;
}
