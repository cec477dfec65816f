// SPDX-License-Identifier: GPL-2.0
/* Addresses and protocol names: the one table and the one formatter. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>

#include "inet.h"
#include "out.h"

const __u8 np_v4mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

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


static const struct {
	const char *name;
	__u16 ethertype;
} l3protos[] = {
	{ "ipv4", 0x0800 }, { "ipv6", 0x86dd }, { "arp", 0x0806 }, { "vlan", 0x8100 },
	{ "qinq", 0x88a8 }, { "lldp", 0x88cc }, { "mpls", 0x8847 },
};

long np_parse_decimal(const char *s, long max)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	return errno || *end || v > max ? -1 : v;
}

int np_l3_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(l3protos) / sizeof(l3protos[0]); i++)
		if (!strcasecmp(s, l3protos[i].name))
			return l3protos[i].ethertype;
	return -1;
}

const char *np_l3_name(__u16 ethertype, char *buf, size_t n)
{
	for (size_t i = 0; i < sizeof(l3protos) / sizeof(l3protos[0]); i++)
		if (l3protos[i].ethertype == ethertype)
			return l3protos[i].name;
	snprintf(buf, n, "0x%04x", ethertype);
	return buf;
}

const char *np_proto_str(__u8 proto, char *buf, size_t n)
{
	const char *name = np_proto_name(proto);

	if (name)
		return name;
	snprintf(buf, n, "%u", proto);
	return buf;
}

bool np_addr_is_v4(const __u8 addr[16])
{
	return !memcmp(addr, np_v4mapped_prefix, sizeof(np_v4mapped_prefix));
}

int np_proto_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (!strcasecmp(s, protos[i].name))
			return protos[i].proto;
	if (!strcasecmp(s, "ipv6-icmp"))
		return IPPROTO_ICMPV6;
	return np_parse_decimal(s, 255);
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

const char *np_addr_str(const __u8 addr[16], char *buf, size_t n)
{
	if (np_addr_is_v4(addr))
		ipv4_str(addr + 12, buf, n);
	else
		ipv6_str(addr, buf, n);
	return buf;
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

void np_out_proto(struct np_out *o, int col, int num_col, __u8 proto)
{
	char buf[8];

	out_str(o, col, np_proto_str(proto, buf, sizeof(buf)));
	out_u64(o, num_col, proto);
}

void np_out_ports(struct np_out *o, int scol, int dcol, bool later_fragment, __u16 sport,
		  __u16 dport)
{
	if (later_fragment && out_format(o) == NP_FMT_PLAIN) {
		out_str(o, scol, "frag");
		out_str(o, dcol, "frag");
	} else if (later_fragment) {
		out_null(o, scol);
		out_null(o, dcol);
	} else {
		out_u64(o, scol, sport);
		out_u64(o, dcol, dport);
	}
}
