// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "flowfilter.h"
#include "inet.h"

static void cidr_mask(struct np_cidr *c)
{
	for (int i = 0; i < 16; i++) {
		int bits = c->prefix - i * 8;

		if (bits <= 0)
			c->addr[i] = 0;
		else if (bits < 8)
			c->addr[i] &= (__u8)(0xff << (8 - bits));
	}
}

int np_cidr_parse(const char *s, struct np_cidr *out)
{
	char host[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t len = slash ? (size_t)(slash - s) : strlen(s);
	struct in_addr a4;
	long prefix = -1;
	bool v4;

	if (!len || len >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, len);
	host[len] = '\0';
	memset(out, 0, sizeof(*out));
	v4 = inet_pton(AF_INET, host, &a4) == 1;
	if (v4) {
		memcpy(out->addr, np_v4mapped_prefix, sizeof(np_v4mapped_prefix));
		memcpy(out->addr + 12, &a4, 4);
	} else if (inet_pton(AF_INET6, host, out->addr) != 1) {
		return -EINVAL;
	}
	if (slash && (prefix = np_parse_decimal(slash + 1, v4 ? 32 : 128)) < 0)
		return -EINVAL;
	if (prefix < 0)
		prefix = v4 ? 32 : 128;
	out->prefix = prefix + (v4 ? 96 : 0);
	cidr_mask(out);
	return 0;
}

bool np_cidr_match(const struct np_cidr *c, const __u8 addr[16])
{
	int full = c->prefix / 8, rest = c->prefix % 8;

	if (memcmp(c->addr, addr, full))
		return false;
	return !rest || !((c->addr[full] ^ addr[full]) & (__u8)(0xff << (8 - rest)));
}
