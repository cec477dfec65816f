// SPDX-License-Identifier: GPL-2.0
/* Unit tests of src/lib/flowfilter.c and the top-N collector of flowtable.c. */
#undef NDEBUG
#include <arpa/inet.h>
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "lib/flowfilter.h"
#include "lib/flowtable.h"

static struct np_flow_key key4(const char *src, const char *dst, __u8 proto, __u16 sport,
			       __u16 dport)
{
	struct np_flow_key k = { .proto = proto, .sport = sport, .dport = dport, .ifindex = 3 };

	k.src[10] = k.src[11] = k.dst[10] = k.dst[11] = 0xff;
	assert(inet_pton(AF_INET, src, &k.src[12]) == 1);
	assert(inet_pton(AF_INET, dst, &k.dst[12]) == 1);
	return k;
}

static struct np_flow_key key6(const char *src, const char *dst, __u8 proto)
{
	struct np_flow_key k = { .proto = proto, .sport = 1000, .dport = 53, .ifindex = 3 };

	assert(inet_pton(AF_INET6, src, k.src) == 1);
	assert(inet_pton(AF_INET6, dst, k.dst) == 1);
	return k;
}

static void test_cidr_parse(void)
{
	struct np_cidr c;

	assert(!np_cidr_parse("10.0.0.0/8", &c) && c.prefix == 104);
	assert(c.addr[10] == 0xff && c.addr[11] == 0xff && c.addr[12] == 10);
	assert(!np_cidr_parse("10.1.2.3", &c) && c.prefix == 128);
	/* Host bits are cleared, as ip(8) would read the prefix. */
	assert(!np_cidr_parse("10.1.2.3/16", &c) && c.addr[13] == 1 && !c.addr[14] && !c.addr[15]);
	assert(!np_cidr_parse("0.0.0.0/0", &c) && c.prefix == 96);
	assert(!np_cidr_parse("2001:db8::/32", &c) && c.prefix == 32);
	assert(!np_cidr_parse("::/0", &c) && c.prefix == 0);
	assert(!np_cidr_parse("fe80::1", &c) && c.prefix == 128);
	assert(!np_cidr_parse("2001:db8::ff/121", &c) && c.addr[15] == 0x80);

	assert(np_cidr_parse("", &c));
	assert(np_cidr_parse("/8", &c));
	assert(np_cidr_parse("10.0.0.0/", &c));
	assert(np_cidr_parse("10.0.0.0/33", &c));
	assert(np_cidr_parse("10.0.0.0/-1", &c));
	assert(np_cidr_parse("10.0.0.0/+8", &c));
	assert(np_cidr_parse("10.0.0.0/8x", &c));
	assert(np_cidr_parse("10.0.0.0/ 8", &c));
	assert(np_cidr_parse("300.1.1.1", &c));
	assert(np_cidr_parse("10.0.0", &c));
	assert(np_cidr_parse("abc", &c));
	assert(np_cidr_parse("2001:db8::/129", &c));
	assert(np_cidr_parse("2001:db8:::1", &c));
	assert(np_cidr_parse("10.0.0.0/8/8", &c));
}

static void test_cidr_match(void)
{
	struct np_flow_key k = key4("10.1.2.3", "192.168.7.9", IPPROTO_TCP, 1, 2);
	struct np_flow_key k6 = key6("2001:db8:1::5", "fe80::1", IPPROTO_UDP);
	struct np_cidr c;

	np_cidr_parse("10.0.0.0/8", &c);
	assert(np_cidr_match(&c, k.src) && !np_cidr_match(&c, k.dst));
	np_cidr_parse("10.1.2.2/31", &c);
	assert(np_cidr_match(&c, k.src));
	np_cidr_parse("10.1.2.4/31", &c);
	assert(!np_cidr_match(&c, k.src));
	np_cidr_parse("192.168.7.9", &c);
	assert(np_cidr_match(&c, k.dst));
	/* An IPv4 prefix never matches IPv6 addresses, ::/0 matches both. */
	np_cidr_parse("0.0.0.0/0", &c);
	assert(np_cidr_match(&c, k.src) && !np_cidr_match(&c, k6.src));
	np_cidr_parse("::/0", &c);
	assert(np_cidr_match(&c, k.src) && np_cidr_match(&c, k6.src));
	np_cidr_parse("2001:db8::/32", &c);
	assert(np_cidr_match(&c, k6.src) && !np_cidr_match(&c, k6.dst));
	np_cidr_parse("2001:db8:1::/49", &c);
	assert(np_cidr_match(&c, k6.src));
	np_cidr_parse("2001:db8:1:8000::/49", &c);
	assert(!np_cidr_match(&c, k6.src));
}

static void test_proto(void)
{
	assert(np_proto_parse("tcp") == IPPROTO_TCP);
	assert(np_proto_parse("UDP") == IPPROTO_UDP);
	assert(np_proto_parse("icmp") == IPPROTO_ICMP);
	assert(np_proto_parse("icmpv6") == IPPROTO_ICMPV6);
	assert(np_proto_parse("ipv6-icmp") == IPPROTO_ICMPV6);
	assert(np_proto_parse("gre") == IPPROTO_GRE);
	assert(np_proto_parse("0") == 0);
	assert(np_proto_parse("47") == 47);
	assert(np_proto_parse("255") == 255);
	assert(np_proto_parse("256") == -1);
	assert(np_proto_parse("-1") == -1);
	assert(np_proto_parse("0x6") == -1);
	assert(np_proto_parse("tc") == -1);
	assert(np_proto_parse("") == -1);
	assert(!strcmp(np_proto_name(IPPROTO_ICMPV6), "icmpv6"));
	assert(!strcmp(np_proto_name(IPPROTO_TCP), "tcp"));
	assert(np_proto_name(253) == NULL);
	assert(np_proto_has_ports(IPPROTO_SCTP) && !np_proto_has_ports(IPPROTO_ICMP));
}

static void test_text(void)
{
	struct np_flow_key k = key4("10.0.0.255", "1.2.3.4", IPPROTO_TCP, 1, 2);
	struct np_flow_key k6 = key6("2001:db8:0:0:1:0:0:1", "::1", IPPROTO_UDP);
	char buf[64];

	np_addr_str(k.src, buf, sizeof(buf));
	assert(!strcmp(buf, "10.0.0.255"));
	np_addr_str(k6.src, buf, sizeof(buf));
	assert(!strcmp(buf, "2001:db8::1:0:0:1"));
	np_addr_str(k6.dst, buf, sizeof(buf));
	assert(!strcmp(buf, "::1"));
	memset(k6.src, 0, 16);
	np_addr_str(k6.src, buf, sizeof(buf));
	assert(!strcmp(buf, "::"));
	np_addr_str(k.src, buf, 4);		/* too small: empty, not cut */
	assert(!strcmp(buf, ""));

	np_tcp_flags_str(0x12, buf, sizeof(buf));	/* SYN+ACK */
	assert(!strcmp(buf, "...A..S."));
	np_tcp_flags_str(0x1ff, buf, sizeof(buf));	/* NS is not shown */
	assert(!strcmp(buf, "CEUAPRSF"));
	np_tcp_flags_str(0, buf, sizeof(buf));
	assert(!strcmp(buf, "........"));
}

static void test_filter(void)
{
	struct np_flow_key tcp = key4("10.1.2.3", "192.168.7.9", IPPROTO_TCP, 40000, 443);
	struct np_flow_key icmp = key4("10.1.2.3", "192.168.7.9", IPPROTO_ICMP, 8, 0);
	struct np_flow_key udp6 = key6("2001:db8::5", "2001:db8::53", IPPROTO_UDP);
	struct np_flow_filter f;

	np_flow_filter_init(&f);
	assert(np_flow_match(&f, &tcp) && np_flow_match(&f, &icmp) && np_flow_match(&f, &udp6));

	f.proto = IPPROTO_TCP;
	assert(np_flow_match(&f, &tcp) && !np_flow_match(&f, &icmp) && !np_flow_match(&f, &udp6));

	np_flow_filter_init(&f);
	f.port = 443;
	assert(np_flow_match(&f, &tcp) && !np_flow_match(&f, &udp6));
	f.port = 40000;
	assert(np_flow_match(&f, &tcp));
	/* ICMP type/code are not ports. */
	f.port = 8;
	assert(!np_flow_match(&f, &icmp));
	f.port = 53;
	assert(np_flow_match(&f, &udp6));

	np_flow_filter_init(&f);
	f.has_src = true;
	np_cidr_parse("10.0.0.0/8", &f.src);
	assert(np_flow_match(&f, &tcp) && !np_flow_match(&f, &udp6));
	f.has_dst = true;
	np_cidr_parse("192.168.0.0/16", &f.dst);
	assert(np_flow_match(&f, &tcp));
	np_cidr_parse("192.169.0.0/16", &f.dst);
	assert(!np_flow_match(&f, &tcp));

	/* Combined: all must hold. */
	np_flow_filter_init(&f);
	f.proto = IPPROTO_UDP;
	f.port = 53;
	f.has_dst = true;
	np_cidr_parse("2001:db8::/32", &f.dst);
	assert(np_flow_match(&f, &udp6) && !np_flow_match(&f, &tcp));
	f.ifindex = 4;
	assert(!np_flow_match(&f, &udp6));
	f.ifindex = 3;
	assert(np_flow_match(&f, &udp6));
}

static struct np_flow flow(__u32 n, __u64 bytes, __u64 packets, __u64 last)
{
	struct np_flow f = { .key = key4("10.0.0.1", "10.0.0.2", IPPROTO_UDP, n, 53) };

	f.val.bytes = bytes;
	f.val.packets = packets;
	f.val.last_seen = last;
	return f;
}

static void test_top(void)
{
	struct np_flow_top t;
	struct np_flow f;

	/* Top 10 of 1000 by bytes: the heap keeps exactly the biggest. */
	np_flow_top_init(&t, NP_SORT_BYTES, 10);
	for (__u32 i = 0; i < 1000; i++) {
		f = flow(i, (i * 7919) % 1000, 1, 0);
		assert(!np_flow_top_add(&t, &f));
	}
	assert(t.n == 10 && t.cap <= 10);
	np_flow_top_sort(&t);
	for (size_t i = 0; i < t.n; i++)
		assert(t.v[i].val.bytes == 999 - i);
	np_flow_top_free(&t);

	/* By packets, then last seen; ties fall back to bytes. */
	np_flow_top_init(&t, NP_SORT_PACKETS, 2);
	f = flow(1, 100, 5, 0);
	np_flow_top_add(&t, &f);
	f = flow(2, 900, 1, 0);
	np_flow_top_add(&t, &f);
	f = flow(3, 50, 5, 0);
	np_flow_top_add(&t, &f);
	np_flow_top_sort(&t);
	assert(t.n == 2 && t.v[0].key.sport == 1 && t.v[1].key.sport == 3);
	np_flow_top_free(&t);

	np_flow_top_init(&t, NP_SORT_LAST, 0);
	for (__u32 i = 0; i < 5000; i++) {
		f = flow(i, 1, 1, (i * 31) % 5000);
		np_flow_top_add(&t, &f);
	}
	assert(t.n == 5000);
	np_flow_top_sort(&t);
	for (size_t i = 1; i < t.n; i++)
		assert(t.v[i - 1].val.last_seen > t.v[i].val.last_seen);
	np_flow_top_free(&t);
}

int main(void)
{
	test_cidr_parse();
	test_cidr_match();
	test_proto();
	test_text();
	test_filter();
	test_top();
	printf("flowfilter: ok\n");
	return 0;
}
