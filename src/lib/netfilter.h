/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The netfilter hooks netprobe links to, and the names of their pins:
 * links/netfilter/<family>_<hook>_<netns inode>, e.g. ipv4_input_4026531840.
 */
#ifndef NP_NETFILTER_H
#define NP_NETFILTER_H

#include <stddef.h>
#include <linux/types.h>

#define NP_NF_NFAMILIES	2
#define NP_NF_NHOOKS	5	/* NF_INET_PRE_ROUTING .. NF_INET_POST_ROUTING */
#define NP_NF_PIN_MAX	48

struct np_nf_family {
	const char *name;	/* "ipv4", "ipv6" */
	__u8 pf;		/* NFPROTO_* */
};

extern const struct np_nf_family np_nf_families[NP_NF_NFAMILIES];
/* The family names alone, indexed as np_nf_families, NULL-terminated (keyword values). */
extern const char *const np_nf_family_words[NP_NF_NFAMILIES + 1];
/* Indexed by NF_INET_* hook number; NULL-terminated (keyword values). */
extern const char *const np_nf_hooks[NP_NF_NHOOKS + 1];

void np_nf_pin_name(char *buf, size_t n, int family, int hook, __u32 netns);
/* Splits a pin name into family index, hook number and netns; 0 or -EINVAL. */
int np_nf_pin_parse(const char *name, int *family, int *hook, __u32 *netns);

#endif /* NP_NETFILTER_H */
