// SPDX-License-Identifier: GPL-2.0
/*
 * The k8s resolver of the model (lib/model.h): who each end of a row is
 * (lib/k8s.h's np_k8s_who), the pod of a row's network namespace, and the
 * row's direction class. Addresses are looked up once each: a hash keyed by
 * the address, and by port and protocol too for service addresses only, so
 * a million flows with ephemeral ports cost a few thousand lookups.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "conntrack.h"
#include "inet.h"
#include "maps.h"
#include "out.h"
#include "model.h"

/* One answer, with its JSON text made once: most addresses share a few answers. */
struct answer {
	struct np_k8s_who who;
	bool here;			/* on this node (a service: all its endpoints) */
	char *json;
};

#define MEMO_SLOTS	4096

struct np_k8s_res {
	struct np_k8s k;
	__u64 mono_to_real;
	bool *svc_here;			/* per service: every endpoint a pod of this node */
	struct answer *memo;		/* by the answer's content, MEMO_SLOTS of them */
	struct answer scratch[2];	/* when the memo is full: one per end */
	/* A row's own JSON of an end, when it has an snat object (per row, not memoised). */
	char row_json[2][1024];
	char snat_text[2][96];
	bool ct_off;			/* conntrack cannot be asked: do not try again */
	/* The last lookup of each end: rows in a row often share an end. */
	struct last_end {
		bool valid;
		__u8 addr[16];
		__u16 port;
		__u8 proto;
		const struct answer *a;
	} last[2];
};

static bool local(const struct np_k8s_who *w)
{
	return (w->kind == NP_K8S_POD || w->kind == NP_K8S_NODE) && w->node && w->node->self;
}

/* A service is on this node when every endpoint is a pod of this node. */
static bool svc_local(struct np_k8s_res *r, const struct np_k8s_svc *s)
{
	if (!s->nendpoints)
		return false;
	for (int i = 0; i < s->nendpoints; i++) {
		struct np_k8s_who w;
		struct np_cidr c;
		char ip[64];

		snprintf(ip, sizeof(ip), "%s", s->endpoints[i]);
		/* "10.244.1.5:80", "[2001:db8::1]:80" */
		if (ip[0] == '[') {
			memmove(ip, ip + 1, strlen(ip));
			ip[strcspn(ip, "]")] = '\0';
		} else {
			ip[strcspn(ip, ":")] = '\0';
		}
		if (np_cidr_parse(ip, &c))	/* an address is a full-length prefix */
			return false;
		np_k8s_who(&r->k, c.addr, 0, 0, 0, &w);
		if (!local(&w))
			return false;
	}
	return true;
}

int np_query_k8s(struct np_query *q, const char *host_root, unsigned what)
{
	struct np_k8s_res *r;

	if (q->k8s)
		return 0;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	np_k8s_load(&r->k, host_root, what);
	if (what & NP_K8S_PODS) {
		char node[256];

		np_k8s_load_api(&r->k, q->ctx->kubeconfig, np_k8s_node_name(node, sizeof(node)));
	}
	for (int i = 0; i < r->k.nnotes && i < NP_K8S_NOTES; i++)
		np_warn(q->ctx, "%s", r->k.notes[i]);
	r->mono_to_real = np_mono_to_real_offset();
	r->memo = calloc(MEMO_SLOTS, sizeof(*r->memo));
	r->svc_here = calloc(r->k.nsvcs + 1, sizeof(*r->svc_here));
	for (int i = 0; r->svc_here && i < r->k.nsvcs; i++)
		r->svc_here[i] = svc_local(r, &r->k.svcs[i]);
	q->k8s = r;
	return 0;
}

void np_k8s_res_free(struct np_query *q)
{
	if (!q->k8s)
		return;
	np_k8s_free(&q->k8s->k);
	for (int i = 0; q->k8s->memo && i < MEMO_SLOTS; i++)
		free(q->k8s->memo[i].json);
	free(q->k8s->memo);
	free(q->k8s->scratch[0].json);
	free(q->k8s->scratch[1].json);
	free(q->k8s->svc_here);
	if (!q->k8s->ct_off)
		np_ct_close();
	free(q->k8s);
	q->k8s = NULL;
}

static const char *direction(const struct answer *s, const struct answer *d)
{
	if (s->who.kind == NP_K8S_UNKNOWN || d->who.kind == NP_K8S_UNKNOWN)
		return NULL;
	if (s->who.kind == NP_K8S_EXTERNAL)
		return "ingress";
	if (d->who.kind == NP_K8S_EXTERNAL)
		return "egress";
	return s->here && d->here ? "intra-node" : "inter-node";
}

static size_t who_hash(const struct np_k8s_who *w)
{
	__u64 h = (__u64)(uintptr_t)w->pod * 31 + (uintptr_t)w->svc;

	h = h * 31 + (uintptr_t)w->node;
	h = h * 31 + (w->kind | w->matches << 4 | w->reused << 12);
	return (h ^ h >> 29) * 0xbf58476d1ce4e5b9ull;
}

static bool who_eq(const struct np_k8s_who *a, const struct np_k8s_who *b)
{
	return a->kind == b->kind && a->pod == b->pod && a->svc == b->svc && a->node == b->node &&
	       a->matches == b->matches && a->reused == b->reused;
}

static const struct answer *remember(struct last_end *l, const __u8 addr[16], __u16 port,
				     __u8 proto, const struct answer *a)
{
	/* Not an answer that a pod's creation time made: the next row may be older. */
	l->valid = !a->who.reused && !(a->who.pod && a->who.pod->created_ns) &&
		   a->who.matches <= 1;
	memcpy(l->addr, addr, 16);
	l->port = port;
	l->proto = proto;
	l->a = a;
	return a;
}

/* Who addr is, as of seen_ns (realtime), with its JSON text. */
static const struct answer *who(struct np_k8s_res *r, const __u8 addr[16], __u16 port,
				__u8 proto, __u64 seen_ns, int end)
{
	struct last_end *l = &r->last[end];
	struct np_k8s_who w;
	struct answer *a = NULL;
	json_t *j;

	/* The same end as the last row's, and an answer that does not depend on time. */
	if (l->valid && !memcmp(l->addr, addr, 16) && l->port == port && l->proto == proto)
		return l->a;
	np_k8s_who(&r->k, addr, port, proto, seen_ns, &w);
	for (size_t h = who_hash(&w), n = 0; r->memo && n < 8; h++, n++) {
		a = &r->memo[h % MEMO_SLOTS];
		if (a->json && who_eq(&a->who, &w))
			return remember(l, addr, port, proto, a);
		if (!a->json)
			break;
		a = NULL;
	}
	if (!a) {
		a = &r->scratch[end];
		free(a->json);
	}
	a->who = w;
	a->here = local(&w) || (w.kind == NP_K8S_SERVICE && r->svc_here &&
				r->svc_here[w.svc - r->k.svcs]);
	j = np_k8s_who_json(&w);
	a->json = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	return remember(l, addr, port, proto, a);
}

/* A service with NodePort, load-balancer or external addresses has this endpoint. */
static const struct np_k8s_svc *outside_svc_of(const struct np_k8s *k, const __u8 addr[16],
					       __u16 port)
{
	char ep[INET6_ADDRSTRLEN + 8], ip[INET6_ADDRSTRLEN];
	bool v6 = !np_addr_is_v4(addr);

	snprintf(ep, sizeof(ep), v6 ? "[%s]:%u" : "%s:%u", np_addr_str(addr, ip, sizeof(ip)),
		 port);
	for (int i = 0; i < k->nsvcs; i++) {
		const struct np_k8s_svc *s = &k->svcs[i];

		if (s->kind == NP_SVC_CLUSTER_IP)
			continue;
		for (int e = 0; e < s->nendpoints; e++)
			if (!strcmp(s->endpoints[e], ep))
				return s;
	}
	return NULL;
}

/*
 * The row is between a node (end ne) and a pod of this node: does the node
 * stand for another client, masqueraded (kube-proxy's SNAT of a NodePort,
 * load-balancer or external address)? On this node conntrack knows: the
 * connection whose reply goes from the pod to the node's address, and its
 * original source. For another node, only that the pod's port is an
 * endpoint of such a service: the client is known on that node. Adds an
 * snat object to the node end's JSON (in r->row_json) and a note for plain
 * text. The JSON contract: snat.by ("self" or the node), and from conntrack
 * client, client_port, client_kind and to (what the client addressed);
 * else service ("ns/name").
 */
static void snat(struct np_k8s_res *r, struct np_names *n, int ne, const __u8 *addr[2],
		 const __u16 port[2], __u8 proto, const struct answer *a[2])
{
	const struct np_k8s_who *node = &a[ne]->who, *pod = &a[!ne]->who;
	char ip[INET6_ADDRSTRLEN], to[INET6_ADDRSTRLEN];
	json_t *o;
	char *text;
	size_t len;

	if (node->kind != NP_K8S_NODE || !node->node || pod->kind != NP_K8S_POD || !pod->node ||
	    !pod->node->self || !port[0] || !port[1] || !a[ne]->json)
		return;
	o = json_object();
	if (!o)
		return;
	if (node->node->self) {
		struct np_ct_tuple reply = { .sport = port[!ne], .dport = port[ne], .proto = proto };
		struct np_ct_tuple orig;
		struct np_k8s_who cw;
		int err;

		if (r->ct_off)
			goto none;
		/* The reply direction: from the pod to the node's address. */
		memcpy(reply.src, addr[!ne], 16);
		memcpy(reply.dst, addr[ne], 16);
		err = np_ct_orig_of_reply(&reply, &orig);
		if (err && err != -ENOENT) {
			r->ct_off = true;
			np_ct_close();
		}
		if (err || !memcmp(orig.src, addr[ne], 16))
			goto none;	/* no connection known, or the node itself */
		np_k8s_who(&r->k, orig.src, orig.sport, proto, 0, &cw);
		json_object_set_new(o, "by", json_string("self"));
		json_object_set_new(o, "client", json_string(np_addr_str(orig.src, ip, sizeof(ip))));
		json_object_set_new(o, "client_port", json_integer(orig.sport));
		json_object_set_new(o, "client_kind", json_string(np_k8s_kind_name(cw.kind)));
		np_addr_str(orig.dst, to, sizeof(to));
		snprintf(to + strlen(to), sizeof(to) - strlen(to), ":%u", orig.dport);
		json_object_set_new(o, "to", json_string(to));
		snprintf(r->snat_text[ne], sizeof(r->snat_text[ne]), "(snat:%s:%u)", ip, orig.sport);
	} else {
		const struct np_k8s_svc *s = outside_svc_of(&r->k, addr[!ne], port[!ne]);
		char svc[NP_K8S_NAME_MAX + 72];

		if (!s)
			goto none;
		json_object_set_new(o, "by", json_string(np_addr_str(node->node->ip, ip, sizeof(ip))));
		snprintf(svc, sizeof(svc), "%s/%s", s->namespace, s->name);
		json_object_set_new(o, "service", json_string(svc));
		snprintf(r->snat_text[ne], sizeof(r->snat_text[ne]), "(snat)");
	}
	text = json_dumps(o, JSON_COMPACT);
	len = strlen(a[ne]->json);
	/* {"kind":"node",...} + ,"snat":{...}} */
	if (text && len > 1 && len + strlen(text) + 10 < sizeof(r->row_json[ne])) {
		snprintf(r->row_json[ne], sizeof(r->row_json[ne]), "%.*s,\"snat\":%s}",
			 (int)len - 1, a[ne]->json, text);
		if (ne)
			n->dst_json = r->row_json[ne];
		else
			n->src_json = r->row_json[ne];
		if (ne)
			n->dst_snat = r->snat_text[ne];
		else
			n->src_snat = r->snat_text[ne];
	}
	free(text);
none:
	json_decref(o);
}

void np_k8s_res_names(struct np_query *q, const void *rec, struct np_names *n)
{
	const struct np_table *t = q->t;
	struct np_k8s_res *r = q->k8s;
	const struct answer *ws, *wd;
	__u64 seen = 0;

	n->k8s = true;
	if (t->netns.size)
		n->pod = np_k8s_pod_of_netns(&r->k, np_field_u64(rec, t->netns));
	if (!t->src.size || !t->dst.size)
		return;
	if (t->first_seen.size && (seen = np_field_u64(rec, t->first_seen)) && t->mono_first_seen)
		seen += r->mono_to_real;
	ws = who(r, (const __u8 *)rec + t->src.off, t->sport.size ? np_field_u64(rec, t->sport) : 0,
		 t->proto.size ? np_field_u64(rec, t->proto) : 0, seen, 0);
	wd = who(r, (const __u8 *)rec + t->dst.off, t->dport.size ? np_field_u64(rec, t->dport) : 0,
		 t->proto.size ? np_field_u64(rec, t->proto) : 0, seen, 1);
	n->src_k8s = ws->who;
	n->dst_k8s = wd->who;
	n->src_json = ws->json;
	n->dst_json = wd->json;
	n->src_snat = n->dst_snat = NULL;
	n->k8s_direction = direction(ws, wd);
	if (ws->who.kind == NP_K8S_NODE || wd->who.kind == NP_K8S_NODE) {
		const __u8 *addr[2] = { (const __u8 *)rec + t->src.off, (const __u8 *)rec + t->dst.off };
		const __u16 port[2] = { t->sport.size ? np_field_u64(rec, t->sport) : 0,
					t->dport.size ? np_field_u64(rec, t->dport) : 0 };
		const struct answer *a[2] = { ws, wd };

		snat(r, n, ws->who.kind == NP_K8S_NODE ? 0 : 1, addr, port,
		     t->proto.size ? np_field_u64(rec, t->proto) : 0, a);
	}
}

static bool named(const char *ns, const char *name, const char *want)
{
	size_t l = strlen(ns);

	return ns[0] && !strncmp(want, ns, l) && want[l] == '/' && !strcmp(want + l + 1, name);
}

bool np_k8s_res_match(struct np_query *q, const void *rec, const struct np_filter_val *val)
{
	const struct np_names *n;
	const struct np_k8s_who *e[2];

	if (!q->k8s && np_query_k8s(q, q->ctx->host_root, NP_K8S_ALL))
		return false;
	n = np_query_names(q, rec);
	e[0] = &n->src_k8s;
	e[1] = &n->dst_k8s;
	switch (val->def->how) {
	case NP_M_K8S_NS:
		if (n->pod && !strcmp(n->pod->namespace, val->str))
			return true;
		for (int i = 0; i < 2; i++)
			if ((e[i]->pod && !strcmp(e[i]->pod->namespace, val->str)) ||
			    (e[i]->svc && !strcmp(e[i]->svc->namespace, val->str)))
				return true;
		return false;
	case NP_M_K8S_POD:
		if (n->pod && named(n->pod->namespace, n->pod->name, val->str))
			return true;
		for (int i = 0; i < 2; i++)
			if (e[i]->pod && named(e[i]->pod->namespace, e[i]->pod->name, val->str))
				return true;
		return false;
	case NP_M_K8S_SVC:
		return e[1]->svc && named(e[1]->svc->namespace, e[1]->svc->name, val->str);
	case NP_M_K8S_DIR:
		return n->k8s_direction && !strcmp(n->k8s_direction, val->str);
	default:
		return true;
	}
}

json_t *np_k8s_who_json(const struct np_k8s_who *w)
{
	json_t *o = json_object();
	char ip[INET6_ADDRSTRLEN];

	if (!o)
		return NULL;
	json_object_set_new(o, "kind", json_string(np_k8s_kind_name(w->kind)));
	if (w->pod || w->svc) {
		const char *ns = w->pod ? w->pod->namespace : w->svc->namespace;
		const char *name = w->pod ? w->pod->name : w->svc->name;

		if (ns[0])
			json_object_set_new(o, "namespace", json_string(ns));
		if (name[0])
			json_object_set_new(o, "name", json_string(name));
	}
	if (w->svc) {
		json_object_set_new(o, "port", json_integer(w->svc->port));
		if (w->svc->port_name[0])
			json_object_set_new(o, "port_name", json_string(w->svc->port_name));
	}
	if (w->node)
		json_object_set_new(o, "node", json_string(w->node->self ? "self" :
							   np_addr_str(w->node->ip, ip, sizeof(ip))));
	if (w->matches > 1)
		json_object_set_new(o, "matches", json_integer(w->matches));
	if (w->reused)
		json_object_set_new(o, "reused", json_true());
	return o;
}

const char *np_k8s_who_text(const struct np_k8s_who *w, const char *addr, char *buf, size_t n)
{
	char ip[INET6_ADDRSTRLEN];

	if (w->pod && w->pod->name[0])
		snprintf(buf, n, "%s/%s", w->pod->namespace, w->pod->name);
	else if (w->svc)
		snprintf(buf, n, "svc:%s/%s:%s", w->svc->namespace, w->svc->name,
			 w->svc->port_name[0] ? w->svc->port_name : "");
	else if (w->kind == NP_K8S_NODE)
		snprintf(buf, n, "node:%s", w->node && !w->node->self ?
			 np_addr_str(w->node->ip, ip, sizeof(ip)) : "self");
	else if (w->kind == NP_K8S_POD && w->node && !w->node->self)
		snprintf(buf, n, "pod@%s:%s", np_addr_str(w->node->ip, ip, sizeof(ip)), addr);
	else
		snprintf(buf, n, "%s", addr);
	if (w->svc && !w->svc->port_name[0])
		snprintf(buf + strlen(buf), n - strlen(buf), "%u", w->svc->port);
	return buf;
}

void np_out_pod(struct np_out *o, int col, const struct np_k8s_pod *p)
{
	char text[NP_K8S_NAME_MAX + 72];
	json_t *v;

	if (!p || !p->name[0])
		return;
	v = json_object();
	if (!v)
		return;
	json_object_set_new(v, "namespace", json_string(p->namespace));
	json_object_set_new(v, "name", json_string(p->name));
	snprintf(text, sizeof(text), "%s/%s", p->namespace, p->name);
	out_obj(o, col, v, text);
}
