// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netfilter.h"

const struct np_nf_family np_nf_families[NP_NF_NFAMILIES] = {
	{ "ipv4", 2 },	/* NFPROTO_IPV4 */
	{ "ipv6", 10 },	/* NFPROTO_IPV6 */
};

const char *const np_nf_family_words[NP_NF_NFAMILIES + 1] = { "ipv4", "ipv6", NULL };

const char *const np_nf_hooks[NP_NF_NHOOKS + 1] = {
	"prerouting", "input", "forward", "output", "postrouting", NULL,
};

void np_nf_pin_name(char *buf, size_t n, int family, int hook, __u32 netns)
{
	snprintf(buf, n, "%s_%s_%u", np_nf_families[family].name, np_nf_hooks[hook], netns);
}

int np_nf_pin_parse(const char *name, int *family, int *hook, __u32 *netns)
{
	char fam[8], hk[16];
	unsigned long v;
	char *end;
	const char *p;

	if (sscanf(name, "%7[^_]_%15[^_]_", fam, hk) != 2)
		return -EINVAL;
	p = strrchr(name, '_');
	v = strtoul(p + 1, &end, 10);
	if (*end || end == p + 1 || v > 0xffffffffUL)
		return -EINVAL;
	*netns = v;
	*family = *hook = -1;
	for (int f = 0; f < NP_NF_NFAMILIES; f++)
		if (!strcmp(fam, np_nf_families[f].name))
			*family = f;
	for (int h = 0; h < NP_NF_NHOOKS; h++)
		if (!strcmp(hk, np_nf_hooks[h]))
			*hook = h;
	return *family < 0 || *hook < 0 ? -EINVAL : 0;
}
