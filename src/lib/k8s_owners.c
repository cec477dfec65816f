// SPDX-License-Identifier: GPL-2.0-only
/*
 * The slots of the kernel's per-pod and per-service new-flow counters
 * (np_k8s_owners, np_k8s_owner_flows; see bpf/netprobe.h).
 *
 * A sync keeps the slot of every pod or service it finds again (by kind,
 * namespace and name, so a StatefulSet's web-0 made anew keeps its series),
 * gives new ones the lowest free slot with its counter zeroed first, and
 * frees the slots of the ones gone only after the trie no longer names them.
 * A slot freed at one sync is never given out again at the same one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "k8s.h"
#include "maps.h"

static bool owner_is(const struct np_k8s_owner *o, __u32 kind, const char *ns, const char *name)
{
	return o->kind == kind && !strcmp(o->namespace, ns) && !strcmp(o->name, name);
}

static int slot_cmp(const void *a, const void *b)
{
	const struct np_k8s_slot *x = a, *y = b;
	int c;

	if (x->owner.kind != y->owner.kind)
		return x->owner.kind < y->owner.kind ? -1 : 1;
	c = strcmp(x->owner.namespace, y->owner.namespace);
	return c ?: strcmp(x->owner.name, y->owner.name);
}

int np_k8s_owners_read(int owners_fd, int flows_fd, struct np_k8s_slot **out, int *n)
{
	struct np_k8s_slot *v = NULL;
	__u32 key, next;
	bool first = true;
	int cap = 0;

	*n = 0;
	while (!bpf_map_get_next_key(owners_fd, first ? NULL : &key, &next)) {
		struct np_k8s_slot s = { .slot = next };

		first = false;
		key = next;
		if (bpf_map_lookup_elem(owners_fd, &next, &s.owner))
			continue;	/* freed meanwhile */
		s.owner.namespace[sizeof(s.owner.namespace) - 1] = '\0';
		s.owner.name[sizeof(s.owner.name) - 1] = '\0';
		if (flows_fd >= 0 && bpf_map_lookup_elem(flows_fd, &next, &s.flows))
			s.flows = 0;
		if (*n == cap) {
			struct np_k8s_slot *nv = realloc(v, (cap = cap ? cap * 2 : 64) * sizeof(*nv));

			if (!nv) {
				free(v);
				*n = 0;
				return -ENOMEM;
			}
			v = nv;
		}
		v[(*n)++] = s;
	}
	if (*n > 1)
		qsort(v, *n, sizeof(*v), slot_cmp);
	*out = v;
	return 0;
}

/* The slot of an owner already in a (kept, or just given out), 0 if none. */
static __u32 slot_find(struct np_k8s_assign *a, const struct np_k8s_owner_ref *e)
{
	struct np_k8s_slot want = { .owner.kind = e->kind }, *hit;

	snprintf(want.owner.namespace, sizeof(want.owner.namespace), "%s", e->ns);
	snprintf(want.owner.name, sizeof(want.owner.name), "%s", e->name);
	hit = a->nold ? bsearch(&want, a->old, a->nold, sizeof(*a->old), slot_cmp) : NULL;
	if (hit) {
		a->kept[hit - a->old] = true;
		return hit->slot;
	}
	for (int i = a->nnew - 1; i >= 0; i--)
		if (owner_is(&a->new[i].owner, want.owner.kind, want.owner.namespace,
			     want.owner.name))
			return a->new[i].slot;
	return 0;
}

static bool slot_taken(const struct np_k8s_assign *a, __u32 slot)
{
	return a->taken[slot / 8] & (1u << (slot % 8));
}

static void slot_take(struct np_k8s_assign *a, __u32 slot)
{
	a->taken[slot / 8] |= 1u << (slot % 8);
}

/* A new slot for e: its counter zeroed, then its owner written. */
static int slot_give(int owners_fd, int flows_fd, struct np_k8s_assign *a,
		     const struct np_k8s_owner_ref *e, __u32 *slot)
{
	struct np_k8s_slot s = { 0 };
	__u64 zero = 0;

	while (a->next_free < NP_K8S_OWNERS_MAX && slot_taken(a, a->next_free))
		a->next_free++;
	if (a->next_free >= NP_K8S_OWNERS_MAX) {
		*slot = 0;
		a->unowned++;
		return 0;
	}
	s.slot = a->next_free++;
	slot_take(a, s.slot);
	s.owner.kind = e->kind;
	s.owner.assigned_ns = a->now_ns;
	snprintf(s.owner.namespace, sizeof(s.owner.namespace), "%s", e->ns);
	snprintf(s.owner.name, sizeof(s.owner.name), "%s", e->name);
	if (bpf_map_update_elem(flows_fd, &s.slot, &zero, BPF_ANY) ||
	    bpf_map_update_elem(owners_fd, &s.slot, &s.owner, BPF_ANY))
		return -errno;
	if (a->nnew == a->capnew) {
		struct np_k8s_slot *nv = realloc(a->new, (a->capnew = a->capnew ? a->capnew * 2 : 64) *
							 sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		a->new = nv;
	}
	a->new[a->nnew++] = s;
	*slot = s.slot;
	return 0;
}

int np_k8s_owners_begin(int owners_fd, struct np_k8s_assign *a)
{
	int err;

	memset(a, 0, sizeof(*a));
	a->next_free = 1;
	a->now_ns = np_now_ns();
	err = np_k8s_owners_read(owners_fd, -1, &a->old, &a->nold);
	if (err)
		return err;
	a->kept = calloc(a->nold ? a->nold : 1, sizeof(*a->kept));
	if (!a->kept)
		return -ENOMEM;
	for (int i = 0; i < a->nold; i++)
		if (a->old[i].slot < NP_K8S_OWNERS_MAX)
			slot_take(a, a->old[i].slot);
	return 0;
}

int np_k8s_owner_slot(int owners_fd, int flows_fd, struct np_k8s_assign *a,
		      const struct np_k8s_owner_ref *ref, __u32 *slot)
{
	*slot = ref->kind ? slot_find(a, ref) : 0;
	if (*slot || !ref->kind)
		return 0;
	return slot_give(owners_fd, flows_fd, a, ref, slot);
}

int np_k8s_owners_release(int owners_fd, struct np_k8s_assign *a)
{
	int err = 0;

	for (int i = 0; i < a->nold; i++) {
		if (a->kept[i])
			continue;
		if (bpf_map_delete_elem(owners_fd, &a->old[i].slot) && errno != ENOENT)
			err = err ?: -errno;
		else
			a->released++;
	}
	return err;
}

void np_k8s_assign_free(struct np_k8s_assign *a)
{
	free(a->old);
	free(a->kept);
	free(a->new);
	a->old = a->new = NULL;
	a->kept = NULL;
}
