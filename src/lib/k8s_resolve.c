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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "inet.h"
#include "maps.h"
#include "out.h"
#include "model.h"

struct who_slot {
	bool used;
	__u8 addr[16];
	__u16 port;
	__u8 proto;
	struct np_k8s_who who;
};

struct np_k8s_res {
	struct np_k8s k;
	__u64 mono_to_real;
	struct who_slot *slots;
	size_t nslots, used;		/* nslots a power of two */
};

int np_query_k8s(struct np_query *q, const char *host_root, unsigned what)
{
	struct np_k8s_res *r;

	if (q->k8s)
		return 0;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	np_k8s_load(&r->k, host_root, what);
	for (int i = 0; i < r->k.nnotes && i < NP_K8S_NOTES; i++)
		np_warn(q->ctx, "%s", r->k.notes[i]);
	r->mono_to_real = np_mono_to_real_offset();
	q->k8s = r;
	return 0;
}

void np_k8s_res_free(struct np_query *q)
{
	if (!q->k8s)
		return;
	np_k8s_free(&q->k8s->k);
	free(q->k8s->slots);
	free(q->k8s);
	q->k8s = NULL;
}

static bool is_service_ip(const struct np_k8s *k, const __u8 addr[16])
{
	for (int i = 0; i < k->nsvcs; i++)
		if (!memcmp(k->svcs[i].ip, addr, 16))
			return true;
	return false;
}

static size_t slot_hash(const __u8 addr[16], __u16 port, __u8 proto)
{
	__u64 h = 1469598103934665603ull;

	for (int i = 0; i < 16; i++)
		h = (h ^ addr[i]) * 1099511628211ull;
	h = (h ^ port) * 1099511628211ull;
	return (h ^ proto) * 1099511628211ull;
}

static bool grow(struct np_k8s_res *r)
{
	size_t n = r->nslots ? r->nslots * 2 : 1024;
	struct who_slot *ns = calloc(n, sizeof(*ns));

	if (!ns)
		return false;
	for (size_t i = 0; i < r->nslots; i++) {
		struct who_slot *s = &r->slots[i];
		size_t h;

		if (!s->used)
			continue;
		for (h = slot_hash(s->addr, s->port, s->proto) & (n - 1); ns[h].used;
		     h = (h + 1) & (n - 1))
			;
		ns[h] = *s;
	}
	free(r->slots);
	r->slots = ns;
	r->nslots = n;
	return true;
}

/* Who addr is as of seen_ns (realtime), from the cache where the answer cannot depend on time. */
static void who(struct np_k8s_res *r, const __u8 addr[16], __u16 port, __u8 proto,
		__u64 seen_ns, struct np_k8s_who *w)
{
	struct who_slot *s;
	size_t h;

	if (!is_service_ip(&r->k, addr)) {
		port = 0;
		proto = 0;
	}
	if (r->used * 2 >= r->nslots && !grow(r)) {
		np_k8s_who(&r->k, addr, port, proto, seen_ns, w);
		return;
	}
	for (h = slot_hash(addr, port, proto) & (r->nslots - 1);; h = (h + 1) & (r->nslots - 1)) {
		s = &r->slots[h];
		if (!s->used)
			break;
		if (!memcmp(s->addr, addr, 16) && s->port == port && s->proto == proto)
			goto found;
	}
	s->used = true;
	memcpy(s->addr, addr, 16);
	s->port = port;
	s->proto = proto;
	np_k8s_who(&r->k, addr, port, proto, 0, &s->who);
	r->used++;
found:
	*w = s->who;
	/* A pod made after the row began did not have its address then. */
	if (seen_ns && ((w->pod && w->pod->created_ns > seen_ns) || w->matches > 1))
		np_k8s_who(&r->k, addr, port, proto, seen_ns, w);
}

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

static const char *direction(struct np_k8s_res *r, const struct np_k8s_who *s,
			     const struct np_k8s_who *d)
{
	bool sl, dl;

	if (s->kind == NP_K8S_UNKNOWN || d->kind == NP_K8S_UNKNOWN)
		return NULL;
	if (s->kind == NP_K8S_EXTERNAL)
		return "ingress";
	if (d->kind == NP_K8S_EXTERNAL)
		return "egress";
	sl = local(s) || (s->kind == NP_K8S_SERVICE && svc_local(r, s->svc));
	dl = local(d) || (d->kind == NP_K8S_SERVICE && svc_local(r, d->svc));
	return sl && dl ? "intra-node" : "inter-node";
}

void np_k8s_res_names(struct np_query *q, const void *rec, struct np_names *n)
{
	const struct np_table *t = q->t;
	struct np_k8s_res *r = q->k8s;
	__u64 seen = 0;

	n->k8s = true;
	if (t->netns.size)
		n->pod = np_k8s_pod_of_netns(&r->k, np_field_u64(rec, t->netns));
	if (!t->src.size || !t->dst.size)
		return;
	if (t->first_seen.size && (seen = np_field_u64(rec, t->first_seen)) && t->mono_first_seen)
		seen += r->mono_to_real;
	who(r, (const __u8 *)rec + t->src.off,
	    t->sport.size ? np_field_u64(rec, t->sport) : 0,
	    t->proto.size ? np_field_u64(rec, t->proto) : 0, seen, &n->src_k8s);
	who(r, (const __u8 *)rec + t->dst.off,
	    t->dport.size ? np_field_u64(rec, t->dport) : 0,
	    t->proto.size ? np_field_u64(rec, t->proto) : 0, seen, &n->dst_k8s);
	n->k8s_direction = direction(r, &n->src_k8s, &n->dst_k8s);
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
