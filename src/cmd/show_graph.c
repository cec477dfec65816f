// SPDX-License-Identifier: GPL-2.0
/*
 * netprobe show graph [the filters of show flows] [k8s]
 *
 * Who talks to whom: the flow table folded into a graph. A node is an end
 * of a flow: its address, or with k8s the pod, service, node or outside
 * address the Kubernetes resolver names. An edge is every flow entry from
 * one node to another: bytes, packets and entries summed, the devices it
 * was seen on, and with k8s its direction class. Plain output is Graphviz
 * DOT (`| dot -Tsvg`), -j the same graph as {"nodes": [...], "edges": [...]}.
 *
 * Like the flow table it reads, an edge counts a flow once per hook that
 * saw it: a flow through a0 egress and b0 ingress is two entries of one
 * edge. `dev DEV` and `dir` give one vantage point.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cmd.h"
#include "lib/flowtable.h"
#include "lib/inet.h"
#include "lib/maps.h"
#include "lib/model.h"
#include "lib/out.h"
#include "lib/state.h"

extern const struct np_table np_graph_table;
int np_flows_query_open(struct np_query *q, struct np_ctx *ctx);

const char *np_show_graph_synopsis(void);

#define LABEL_MAX 160

struct gnode {
	char label[LABEL_MAX];
	const char *kind;
};

struct gedge {
	int src, dst;			/* indexes into nodes */
	__u64 bytes, packets, flows;
	const char *class;		/* k8s direction class, or NULL */
	__u32 *ifindex;			/* the devices it was seen on */
	int nif;
};

struct graph {
	struct np_ctx *ctx;
	struct np_query q;
	struct gnode *nodes;
	int nnodes, cap_nodes;
	struct gedge *edges;
	int nedges, cap_edges;
	/* Open hashing over labels (nodes) and node pairs (edges); sizes are powers of 2. */
	int *node_slot, *edge_slot;
	size_t node_mask, edge_mask;
	int err;
};

static __u64 hash_str(const char *s)
{
	__u64 h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static __u64 hash_pair(int a, int b)
{
	__u64 h = ((__u64)(unsigned)a << 32 | (unsigned)b) * 0x9e3779b97f4a7c15ull;

	return h ^ (h >> 29);
}

/* slots (mask + 1 of them, -1 empty) twice as many, the n entries re-placed. */
static int rehash(int **slots, size_t *mask, int n, __u64 (*key)(struct graph *, int),
		  struct graph *g)
{
	size_t size = *slots ? (*mask + 1) * 2 : 64;
	int *s = malloc(size * sizeof(*s));

	if (!s)
		return -ENOMEM;
	memset(s, 0xff, size * sizeof(*s));
	for (int i = 0; i < n; i++) {
		size_t j = key(g, i) & (size - 1);

		while (s[j] >= 0)
			j = (j + 1) & (size - 1);
		s[j] = i;
	}
	free(*slots);
	*slots = s;
	*mask = size - 1;
	return 0;
}

static __u64 node_key(struct graph *g, int i)
{
	return hash_str(g->nodes[i].label);
}

static __u64 edge_key(struct graph *g, int i)
{
	return hash_pair(g->edges[i].src, g->edges[i].dst);
}

static bool grow(void **v, int *cap, int n, size_t size)
{
	void *p;

	if (n < *cap)
		return true;
	p = realloc(*v, (size_t)(*cap ? *cap * 2 : 64) * size);
	if (!p)
		return false;
	*v = p;
	*cap = *cap ? *cap * 2 : 64;
	return true;
}

/* The node of label, made on first sight; -ENOMEM. */
static int node_of(struct graph *g, const char *label, const char *kind)
{
	size_t j;

	if (!g->node_slot || (size_t)g->nnodes * 2 >= g->node_mask + 1)
		if (rehash(&g->node_slot, &g->node_mask, g->nnodes, node_key, g))
			return -ENOMEM;
	for (j = hash_str(label) & g->node_mask; g->node_slot[j] >= 0; j = (j + 1) & g->node_mask)
		if (!strcmp(g->nodes[g->node_slot[j]].label, label))
			return g->node_slot[j];
	if (!grow((void **)&g->nodes, &g->cap_nodes, g->nnodes, sizeof(*g->nodes)))
		return -ENOMEM;
	snprintf(g->nodes[g->nnodes].label, LABEL_MAX, "%s", label);
	g->nodes[g->nnodes].kind = kind;
	g->node_slot[j] = g->nnodes;
	return g->nnodes++;
}

static struct gedge *edge_of(struct graph *g, int src, int dst)
{
	size_t j;

	if (!g->edge_slot || (size_t)g->nedges * 2 >= g->edge_mask + 1)
		if (rehash(&g->edge_slot, &g->edge_mask, g->nedges, edge_key, g))
			return NULL;
	for (j = hash_pair(src, dst) & g->edge_mask; g->edge_slot[j] >= 0;
	     j = (j + 1) & g->edge_mask) {
		struct gedge *e = &g->edges[g->edge_slot[j]];

		if (e->src == src && e->dst == dst)
			return e;
	}
	if (!grow((void **)&g->edges, &g->cap_edges, g->nedges, sizeof(*g->edges)))
		return NULL;
	g->edges[g->nedges] = (struct gedge){ .src = src, .dst = dst };
	g->edge_slot[j] = g->nedges;
	return &g->edges[g->nedges++];
}

static int edge_add_dev(struct gedge *e, __u32 ifindex)
{
	__u32 *p;

	for (int i = 0; i < e->nif; i++)
		if (e->ifindex[i] == ifindex)
			return 0;
	p = realloc(e->ifindex, (e->nif + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	e->ifindex = p;
	e->ifindex[e->nif++] = ifindex;
	return 0;
}

/* An end's node: its k8s name and kind with k8s, else its address. */
static int end_node(struct graph *g, const __u8 addr[16], const struct np_k8s_who *who)
{
	char a[INET6_ADDRSTRLEN], label[LABEL_MAX];

	np_addr_str(addr, a, sizeof(a));
	if (!who)
		return node_of(g, a, "address");
	np_k8s_who_text(who, a, label, sizeof(label));
	return node_of(g, label, who->kind == NP_K8S_UNKNOWN ? "outside" :
			np_k8s_kind_name(who->kind));
}

static void on_row(struct np_query *q, const void *rec, void *arg)
{
	const struct np_flow *f = rec;
	const struct np_names *n = q->k8s ? np_query_names(q, rec) : NULL;
	struct graph *g = arg;
	struct gedge *e;
	int s, d;

	if (g->err)
		return;
	s = end_node(g, f->key.src, n ? &n->src_k8s : NULL);
	d = end_node(g, f->key.dst, n ? &n->dst_k8s : NULL);
	e = s >= 0 && d >= 0 ? edge_of(g, s, d) : NULL;
	if (!e || edge_add_dev(e, f->key.ifindex)) {
		g->err = -ENOMEM;
		return;
	}
	e->bytes += f->val.bytes;
	e->packets += f->val.packets;
	e->flows++;
	if (n && n->k8s_direction)
		e->class = n->k8s_direction;
}

static int on_flow(const void *key, const void *value, void *arg)
{
	struct graph *g = arg;
	struct np_flow r;

	np_flow_from_entry(&r, key, value);
	return np_query_add(&g->q, &r) ?: g->err;
}

/* Biggest edges first, then by their ends' labels: the same graph prints the same. */
static int by_bytes(const void *a, const void *b, void *arg)
{
	const struct gedge *x = a, *y = b;
	const struct graph *g = arg;
	int c;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	c = strcmp(g->nodes[x->src].label, g->nodes[y->src].label);
	return c ?: strcmp(g->nodes[x->dst].label, g->nodes[y->dst].label);
}

static int by_label(const void *a, const void *b)
{
	return strcmp(((const struct gnode *)a)->label, ((const struct gnode *)b)->label);
}

/* DOT's double-quoted ID: " and \ escaped. */
static void dot_id(char *buf, size_t n, const char *s)
{
	size_t j = 0;

	for (; *s && j + 3 < n; s++) {
		if (*s == '"' || *s == '\\')
			buf[j++] = '\\';
		buf[j++] = *s;
	}
	buf[j] = '\0';
}

static const char *shape(const char *kind)
{
	if (!strcmp(kind, "pod"))
		return "box";
	if (!strcmp(kind, "service"))
		return "ellipse";
	if (!strcmp(kind, "node"))
		return "box3d";
	return "plaintext";
}

static void devs_text(struct graph *g, const struct gedge *e, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 0; i < e->nif && len + 1 < n; i++)
		len += snprintf(buf + len, n - len, "%s%s", i ? " " : "",
				np_query_dev_name(&g->q, e->ifindex[i], 0));
}

static void print_dot(struct graph *g)
{
	struct np_out *o = g->ctx->out;
	char a[2 * LABEL_MAX], b[2 * LABEL_MAX], bytes[32], devs[256];

	out_printf(o, "digraph netprobe {\n\trankdir=LR;\n"
		   "\tnode [fontname=\"sans-serif\", fontsize=10];\n"
		   "\tedge [fontname=\"sans-serif\", fontsize=9];\n");
	for (int i = 0; i < g->nnodes; i++) {
		dot_id(a, sizeof(a), g->nodes[i].label);
		out_printf(o, "\t\"%s\" [kind=\"%s\", shape=%s];\n", a, g->nodes[i].kind,
			   shape(g->nodes[i].kind));
	}
	for (int i = 0; i < g->nedges && !out_broken(o); i++) {
		const struct gedge *e = &g->edges[i];

		dot_id(a, sizeof(a), g->nodes[e->src].label);
		dot_id(b, sizeof(b), g->nodes[e->dst].label);
		fmt_bytes(bytes, sizeof(bytes), e->bytes, false);
		devs_text(g, e, devs, sizeof(devs));
		out_printf(o, "\t\"%s\" -> \"%s\" [label=\"%s, %llu flow%s\", bytes=%llu, "
			   "packets=%llu, flows=%llu, interfaces=\"%s\"%s%s%s];\n", a, b, bytes,
			   (unsigned long long)e->flows, e->flows == 1 ? "" : "s",
			   (unsigned long long)e->bytes, (unsigned long long)e->packets,
			   (unsigned long long)e->flows, devs, e->class ? ", k8s_direction=\"" : "",
			   e->class ? e->class : "", e->class ? "\"" : "");
	}
	out_printf(o, "}\n");
}

enum { N_LABEL, N_KIND };

static const struct np_col node_cols[] = {
	[N_LABEL] = { "label", "LABEL", -24, NP_K_STR },
	[N_KIND] = { "kind", "KIND", -8, NP_K_STR },
};

enum { E_SRC, E_DST, E_BYTES, E_PKTS, E_FLOWS, E_IFS, E_CLASS };

static const struct np_col edge_cols[] = {
	[E_SRC] = { "src", "SRC", -24, NP_K_STR },
	[E_DST] = { "dst", "DST", -24, NP_K_STR },
	[E_BYTES] = { "bytes", "BYTES", 9, NP_K_BYTES },
	[E_PKTS] = { "packets", "PACKETS", 8, NP_K_COUNT },
	[E_FLOWS] = { "flows", "FLOWS", 6, NP_K_COUNT },
	[E_IFS] = { "interfaces", "INTERFACES", -12, NP_K_STR },
	[E_CLASS] = { "k8s_direction", "CLASS", -10, NP_K_STR },
};

static void print_json(struct graph *g)
{
	struct np_out *o = g->ctx->out;

	out_object_begin(o);
	out_table_begin(o, "nodes", node_cols, ARRAY_SIZE(node_cols), NP_LAYOUT_TABLE);
	for (int i = 0; i < g->nnodes; i++) {
		out_row_begin(o);
		out_str(o, N_LABEL, g->nodes[i].label);
		out_str(o, N_KIND, g->nodes[i].kind);
		out_row_end(o);
	}
	out_table_end(o);
	out_table_begin(o, "edges", edge_cols, ARRAY_SIZE(edge_cols), NP_LAYOUT_TABLE);
	for (int i = 0; i < g->nedges && !out_broken(o); i++) {
		const struct gedge *e = &g->edges[i];
		const char *devs[64];
		int n = e->nif < 64 ? e->nif : 64;

		for (int k = 0; k < n; k++)
			devs[k] = np_query_dev_name(&g->q, e->ifindex[k], 0);
		out_row_begin(o);
		out_str(o, E_SRC, g->nodes[e->src].label);
		out_str(o, E_DST, g->nodes[e->dst].label);
		out_u64(o, E_BYTES, e->bytes);
		out_u64(o, E_PKTS, e->packets);
		out_u64(o, E_FLOWS, e->flows);
		out_strv(o, E_IFS, devs, n);
		if (e->class)
			out_str(o, E_CLASS, e->class);
		out_row_end(o);
	}
	out_table_end(o);
	out_object_end(o);
}

/* Node indexes change with the sort: edges are moved to labels' new places. */
static int sort_nodes(struct graph *g)
{
	int *newpos = malloc((g->nnodes ? g->nnodes : 1) * sizeof(*newpos));
	struct { struct gnode n; int old; } *tmp = malloc((g->nnodes ? g->nnodes : 1) * sizeof(*tmp));

	if (!newpos || !tmp) {
		free(newpos);
		free(tmp);
		return -ENOMEM;
	}
	for (int i = 0; i < g->nnodes; i++)
		tmp[i].n = g->nodes[i], tmp[i].old = i;
	if (g->nnodes)
		qsort(tmp, g->nnodes, sizeof(*tmp), by_label);
	for (int i = 0; i < g->nnodes; i++) {
		g->nodes[i] = tmp[i].n;
		newpos[tmp[i].old] = i;
	}
	for (int i = 0; i < g->nedges; i++) {
		g->edges[i].src = newpos[g->edges[i].src];
		g->edges[i].dst = newpos[g->edges[i].dst];
	}
	free(newpos);
	free(tmp);
	return 0;
}

const char *np_show_graph_synopsis(void)
{
	static char buf[512];

	return buf[0] ? buf : np_table_synopsis(&np_graph_table, buf, sizeof(buf));
}

static void graph_free(struct graph *g)
{
	for (int i = 0; i < g->nedges; i++)
		free(g->edges[i].ifindex);
	free(g->edges);
	free(g->nodes);
	free(g->node_slot);
	free(g->edge_slot);
	np_query_free(&g->q);
}

int cmd_show_graph(struct np_ctx *ctx, int argc, char **argv)
{
	struct graph g = { .ctx = ctx };
	int fd, err;

	if (argc && np_is_help(argv[0]))
		return np_cmd_help_self(ctx, "Plain output is Graphviz DOT: netprobe show graph | "
					"dot -Tsvg > graph.svg\n");
	if (out_format(ctx->out) == NP_FMT_PROM)
		return np_usage(ctx, "show graph has no Prometheus form (show flows top N has "
				"per-flow series)");
	err = np_query_parse(&g.q, ctx, &np_graph_table, argc, argv);
	if (err || (err = np_flows_query_open(&g.q, ctx)))
		goto out;
	fd = np_map_open(ctx, "np_flows");
	if (fd == -ENOENT) {
		err = np_err(ctx, "no flow table: attach a device first ('netprobe attach DEV')");
		goto out;
	}
	if (fd < 0) {
		err = np_err(ctx, "cannot open the flow table: %s", strerror(-fd));
		goto out;
	}
	np_query_start(&g.q, on_row, &g);
	err = np_flow_table_walk(fd, on_flow, &g);
	close(fd);
	np_query_end(&g.q);
	/* qsort_r() wants an array, even of nothing. */
	if (!err && !(err = sort_nodes(&g)) && g.nedges)
		qsort_r(g.edges, g.nedges, sizeof(*g.edges), by_bytes, &g);
	if (err) {
		err = np_err(ctx, err == -ENOMEM ? "out of memory" : "cannot read the flow table: %s",
			     strerror(-err));
		goto out;
	}
	if (out_format(ctx->out) == NP_FMT_JSON)
		print_json(&g);
	else
		print_dot(&g);
	err = NP_EXIT_OK;
out:
	graph_free(&g);
	return err;
}
