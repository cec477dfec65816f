// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "flowfilter.h"

static const __u8 v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static const struct {
	const char *name;
	__u8 proto;
} protos[] = {
	{ "icmp", IPPROTO_ICMP },	{ "igmp", IPPROTO_IGMP },
	{ "ipip", IPPROTO_IPIP },	{ "tcp", IPPROTO_TCP },
	{ "udp", IPPROTO_UDP },		{ "ipv6", IPPROTO_IPV6 },
	{ "gre", IPPROTO_GRE },		{ "esp", IPPROTO_ESP },
	{ "ah", IPPROTO_AH },		{ "icmpv6", IPPROTO_ICMPV6 },
	{ "sctp", IPPROTO_SCTP },	{ "udplite", IPPROTO_UDPLITE },
	{ "dccp", IPPROTO_DCCP },	{ "vrrp", 112 },
	{ "ospf", 89 },			{ "pim", IPPROTO_PIM },
};

/* A decimal number without sign, spaces or leading junk; -1 if not. */
static long parse_decimal(const char *s, long max)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	return v;
}

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
		memcpy(out->addr, v4mapped, sizeof(v4mapped));
		memcpy(out->addr + 12, &a4, 4);
	} else if (inet_pton(AF_INET6, host, out->addr) != 1) {
		return -EINVAL;
	}
	if (slash && (prefix = parse_decimal(slash + 1, v4 ? 32 : 128)) < 0)
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

int np_proto_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (!strcasecmp(s, protos[i].name))
			return protos[i].proto;
	if (!strcasecmp(s, "ipv6-icmp"))
		return IPPROTO_ICMPV6;
	return parse_decimal(s, 255);
}

const char *np_proto_name(__u8 proto)
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (protos[i].proto == proto)
			return protos[i].name;
	return NULL;
}

bool np_proto_has_ports(__u8 proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_UDPLITE ||
	       proto == IPPROTO_SCTP || proto == IPPROTO_DCCP;
}

/* Dotted quad without printf: a million flows are printed at a time. */
static void ipv4_str(const __u8 *a, char *buf, size_t n)
{
	char tmp[16], *p = tmp;

	for (int i = 0; i < 4; i++) {
		if (a[i] >= 100)
			*p++ = '0' + a[i] / 100;
		if (a[i] >= 10)
			*p++ = '0' + a[i] / 10 % 10;
		*p++ = '0' + a[i] % 10;
		*p++ = i < 3 ? '.' : '\0';
	}
	if ((size_t)(p - tmp) <= n)
		memcpy(buf, tmp, p - tmp);
	else if (n)
		buf[0] = '\0';
}

/* The longest run of two or more zero groups (the first of equals), as inet_ntop. */
static void zero_run(const __u16 *w, int *base, int *len)
{
	int cur = -1;

	*base = -1;
	*len = 0;
	for (int i = 0; i <= 8; i++) {
		if (i < 8 && !w[i]) {
			cur = cur < 0 ? i : cur;
			continue;
		}
		if (cur >= 0 && i - cur > *len && i - cur >= 2) {
			*base = cur;
			*len = i - cur;
		}
		cur = -1;
	}
}

/* RFC 5952 text, as glibc's inet_ntop writes it, without its sprintf. */
static void ipv6_str(const __u8 *a, char *buf, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[INET6_ADDRSTRLEN], *p = tmp;
	int base, len;
	__u16 w[8];

	for (int i = 0; i < 8; i++)
		w[i] = a[2 * i] << 8 | a[2 * i + 1];
	zero_run(w, &base, &len);
	/* ::a.b.c.d and ::ffff:a.b.c.d: leave those to inet_ntop. */
	if (base == 0 && (len == 6 || (len == 7 && w[7] != 1) || (len == 5 && w[5] == 0xffff))) {
		inet_ntop(AF_INET6, a, buf, n);
		return;
	}
	for (int i = 0; i < 8; i++) {
		if (base >= 0 && i >= base && i < base + len) {
			if (i == base)
				*p++ = ':';
			continue;
		}
		if (i)
			*p++ = ':';
		for (int shift = 12, started = 0; shift >= 0; shift -= 4) {
			int d = w[i] >> shift & 0xf;

			if (d || started || !shift) {
				*p++ = hex[d];
				started = 1;
			}
		}
	}
	if (base >= 0 && base + len == 8)
		*p++ = ':';
	*p++ = '\0';
	if ((size_t)(p - tmp) <= n)
		memcpy(buf, tmp, p - tmp);
	else if (n)
		buf[0] = '\0';
}

void np_addr_str(const __u8 addr[16], char *buf, size_t n)
{
	if (!memcmp(addr, v4mapped, sizeof(v4mapped)))
		ipv4_str(addr + 12, buf, n);
	else
		ipv6_str(addr, buf, n);
}

void np_tcp_flags_str(__u32 flags, char *buf, size_t n)
{
	static const char letters[] = "CEUAPRSF";
	size_t i;

	for (i = 0; i < 8 && i + 1 < n; i++)
		buf[i] = flags & (0x80 >> i) ? letters[i] : '.';
	if (n)
		buf[i] = '\0';
}

void np_flow_filter_init(struct np_flow_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->proto = -1;
	f->port = -1;
}

bool np_flow_match(const struct np_flow_filter *f, const struct np_flow_key *k)
{
	if (f->ifindex && k->ifindex != f->ifindex)
		return false;
	if (f->proto >= 0 && k->proto != f->proto)
		return false;
	if (f->port >= 0 && (!np_proto_has_ports(k->proto) ||
			     (k->sport != f->port && k->dport != f->port)))
		return false;
	if (f->has_src && !np_cidr_match(&f->src, k->src))
		return false;
	return !f->has_dst || np_cidr_match(&f->dst, k->dst);
}
