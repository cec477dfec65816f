// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "drop_reason.h"
#include "../../bpf/netprobe.h"

#define PREFIX "SKB_DROP_REASON_"

int np_drop_reasons_load(struct np_drop_reasons *r)
{
	int id;

	r->type = NULL;
	r->btf = btf__load_vmlinux_btf();
	if (!r->btf)
		return -errno;
	id = btf__find_by_name_kind(r->btf, "skb_drop_reason", BTF_KIND_ENUM);
	if (id > 0)
		r->type = btf__type_by_id(r->btf, id);
	return 0;
}

void np_drop_reasons_free(struct np_drop_reasons *r)
{
	btf__free(r->btf);
	r->btf = NULL;
	r->type = NULL;
}

const char *np_drop_reason_name(const struct np_drop_reasons *r, __u32 reason, char *buf,
				size_t n)
{
	const struct btf_enum *e;

	if (reason == NP_DROP_REASON_UNAVAILABLE) {
		snprintf(buf, n, "unavailable");
		return buf;
	}
	snprintf(buf, n, "%u", reason);
	if (!r->type)
		return buf;
	e = btf_enum(r->type);
	for (int i = 0; i < btf_vlen(r->type); i++, e++) {
		const char *name = btf__name_by_offset(r->btf, e->name_off);

		if ((__u32)e->val != reason || !name)
			continue;
		if (!strncmp(name, PREFIX, strlen(PREFIX)))
			name += strlen(PREFIX);
		snprintf(buf, n, "%s", name);
		break;
	}
	return buf;
}

int np_drop_reason_parse(const struct np_drop_reasons *r, const char *s, __u32 *reason)
{
	const struct btf_enum *e;
	__u64 v;

	if (!strncasecmp(s, PREFIX, strlen(PREFIX)))
		s += strlen(PREFIX);
	if (np_decimal_u64(s, &v) && v <= 0xffffffffUL) {
		*reason = v;
		return 0;
	}
	if (!r->type)
		return -ENOENT;
	e = btf_enum(r->type);
	for (int i = 0; i < btf_vlen(r->type); i++, e++) {
		const char *name = btf__name_by_offset(r->btf, e->name_off);

		if (!name)
			continue;
		if (!strncmp(name, PREFIX, strlen(PREFIX)))
			name += strlen(PREFIX);
		if (!strcasecmp(name, s)) {
			*reason = e->val;
			return 0;
		}
	}
	return -ENOENT;
}

int np_kfree_skb_has_reason(const struct btf *btf)
{
	const struct btf_type *t;
	int id;

	id = btf__find_by_name_kind(btf, "btf_trace_kfree_skb", BTF_KIND_TYPEDEF);
	if (id <= 0)
		return -ENOENT;
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
	if (!t || !btf_is_ptr(t))
		return -ENOENT;
	t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_func_proto(t))
		return -ENOENT;
	/* (void *ctx, skb, location[, reason[, rx_sk]]) */
	return btf_vlen(t) >= 4;
}
