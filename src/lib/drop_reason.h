/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Drop reasons as the running kernel names them: enum skb_drop_reason from
 * its BTF, read at run time so the names fit every kernel version.
 */
#ifndef NP_DROP_REASON_H
#define NP_DROP_REASON_H

#include <stddef.h>
#include <linux/types.h>
#include <bpf/btf.h>

struct np_drop_reasons {
	struct btf *btf;		/* vmlinux BTF, NULL if the kernel has none */
	const struct btf_type *type;	/* enum skb_drop_reason, NULL if absent */
};

/* Loads the kernel's BTF; returns 0 or -errno (then every lookup is numeric). */
int np_drop_reasons_load(struct np_drop_reasons *r);
void np_drop_reasons_free(struct np_drop_reasons *r);
/* "NO_SOCKET" for SKB_DROP_REASON_NO_SOCKET, else the number; into buf. */
const char *np_drop_reason_name(const struct np_drop_reasons *r, __u32 reason, char *buf,
				size_t n);
/* Name (any case, prefix optional) or number; returns 0 or -ENOENT. */
int np_drop_reason_parse(const struct np_drop_reasons *r, const char *s, __u32 *reason);
/*
 * Whether the kfree_skb tracepoint passes a reason: 1 yes, 0 no (before
 * 5.17), -ENOENT if the kernel's BTF has no such tracepoint.
 */
int np_kfree_skb_has_reason(const struct btf *btf);

#endif /* NP_DROP_REASON_H */
