// SPDX-License-Identifier: GPL-2.0
/* Unit tests of src/lib/flowfilter.c and of the model's filters, sort and top N. */
#undef NDEBUG
#include <arpa/inet.h>
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "lib/cmd.h"
#include "lib/flowfilter.h"
#include "lib/model.h"
#include "lib/out.h"

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

/* A flow table as show flows describes it to the model. */
struct rec {
	struct np_flow_key key;
	struct np_flow_value val;
	__u8 has_ports;
};

#define R(m) NP_FIELD(struct rec, m)

static const struct np_filter_def filters[] = {
	{ "proto", NP_M_PROTO, R(key.proto), .meta = "P" },
	{ "src", NP_M_CIDR, R(key.src), .meta = "CIDR" },
	{ "dst", NP_M_CIDR, R(key.dst), .meta = "CIDR" },
	{ "port", NP_M_PORT, R(key.sport), R(key.dport), .cond = R(has_ports) },
	{ "dport", NP_M_UINT, R(key.dport), .max = 65535, .cond = R(has_ports) },
	{ "ifindex", NP_M_UINT, R(key.ifindex), .meta = "N" },
	{ 0 },
};

static const struct np_sort_def sorts[] = {
	{ "bytes", R(val.bytes) },
	{ "packets", R(val.packets) },
	{ "last", R(val.last_seen) },
	{ 0 },
};

static const struct np_table table = {
	.what = "test", .rec_size = sizeof(struct rec), .filters = filters, .sorts = sorts,
	.top = true,
};

static struct np_ctx ctx;

/* A query of the words in line (space-separated); asserts it parses. */
static void query(struct np_query *q, const char *line)
{
	char buf[256], *argv[32], *tok, *save;
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	assert(!np_query_parse(q, &ctx, &table, argc, argv));
}

static bool matches(const char *line, struct np_flow_key k)
{
	struct rec r = { .key = k, .has_ports = np_proto_has_ports(k.proto) };
	struct np_query q;
	bool m;

	query(&q, line);
	m = np_query_match(&q, &r);
	np_query_free(&q);
	return m;
}

static void test_filter(void)
{
	struct np_flow_key tcp = key4("10.1.2.3", "192.168.7.9", IPPROTO_TCP, 40000, 443);
	struct np_flow_key icmp = key4("10.1.2.3", "192.168.7.9", IPPROTO_ICMP, 8, 0);
	struct np_flow_key udp6 = key6("2001:db8::5", "2001:db8::53", IPPROTO_UDP);
	struct np_query q;
	char *bad[] = { "port", "65536" }, *twice[] = { "top", "1", "top", "2" };

	assert(matches("", tcp) && matches("", icmp) && matches("", udp6));
	assert(matches("proto tcp", tcp) && !matches("proto tcp", icmp) &&
	       !matches("proto 6", udp6));

	assert(matches("port 443", tcp) && !matches("port 443", udp6));
	assert(matches("port 40000", tcp));
	/* ICMP type/code are not ports. */
	assert(!matches("port 8", icmp) && !matches("dport 0", icmp));
	assert(matches("port 53", udp6) && matches("dport 53", udp6) && !matches("dport 1000", udp6));

	assert(matches("src 10.0.0.0/8", tcp) && !matches("src 10.0.0.0/8", udp6));
	assert(matches("src 10.0.0.0/8 dst 192.168.0.0/16", tcp));
	assert(!matches("src 10.0.0.0/8 dst 192.169.0.0/16", tcp));

	/* Combined: all must hold. */
	assert(matches("proto udp port 53 dst 2001:db8::/32", udp6));
	assert(!matches("proto udp port 53 dst 2001:db8::/32", tcp));
	assert(!matches("proto udp port 53 dst 2001:db8::/32 ifindex 4", udp6));
	assert(matches("proto udp port 53 dst 2001:db8::/32 ifindex 3", udp6));

	/* Usage errors: out of range, a keyword twice. */
	assert(np_query_parse(&q, &ctx, &table, 2, bad) == NP_EXIT_USAGE);
	assert(np_query_parse(&q, &ctx, &table, 4, twice) == NP_EXIT_USAGE);

	/* The synopsis is made from the table. */
	char syn[256];

	np_table_synopsis(&table, syn, sizeof(syn));
	assert(!strcmp(syn, "[proto P] [src CIDR] [dst CIDR] [port N] [dport N] [ifindex N] "
		       "[sort bytes|packets|last] [top N]"));
}

static struct rec flow(__u32 n, __u64 bytes, __u64 packets, __u64 last)
{
	struct rec f = { .key = key4("10.0.0.1", "10.0.0.2", IPPROTO_UDP, n, 53) };

	f.val.bytes = bytes;
	f.val.packets = packets;
	f.val.last_seen = last;
	return f;
}

static void test_top(void)
{
	const struct rec *r;
	struct np_query q;
	struct rec f;

	/* Top 10 of 1000 by bytes: the heap keeps exactly the biggest. */
	query(&q, "sort bytes top 10");
	np_query_start(&q, NULL, NULL);
	for (__u32 i = 0; i < 1000; i++) {
		f = flow(i, (i * 7919) % 1000, 1, 0);
		assert(!np_query_add(&q, &f));
	}
	assert(np_query_end(&q) == 10 && q.cap <= 10);
	for (size_t i = 0; i < np_query_rows(&q); i++) {
		r = np_query_row(&q, i);
		assert(r->val.bytes == 999 - i);
	}
	np_query_free(&q);

	/* By packets, then the other keys: ties fall back to bytes. */
	query(&q, "sort packets top 2");
	np_query_start(&q, NULL, NULL);
	f = flow(1, 100, 5, 0);
	np_query_add(&q, &f);
	f = flow(2, 900, 1, 0);
	np_query_add(&q, &f);
	f = flow(3, 50, 5, 0);
	np_query_add(&q, &f);
	assert(np_query_end(&q) == 2);
	assert(((const struct rec *)np_query_row(&q, 0))->key.sport == 1 &&
	       ((const struct rec *)np_query_row(&q, 1))->key.sport == 3);
	np_query_free(&q);

	/* Sort without top keeps every matching row. */
	query(&q, "sort last proto udp");
	np_query_start(&q, NULL, NULL);
	for (__u32 i = 0; i < 5000; i++) {
		f = flow(i, 1, 1, (i * 31) % 5000);
		np_query_add(&q, &f);
	}
	assert(np_query_end(&q) == 5000 && q.seen == 5000 && q.matched == 5000);
	for (size_t i = 1; i < np_query_rows(&q); i++)
		assert(((const struct rec *)np_query_row(&q, i - 1))->val.last_seen >
		       ((const struct rec *)np_query_row(&q, i))->val.last_seen);
	np_query_free(&q);
}

int main(void)
{
	ctx.out = out_new(NP_FMT_PLAIN, false, false, fopen("/dev/null", "w"));
	ctx.quiet = true;
	test_cidr_parse();
	test_cidr_match();
	test_proto();
	test_text();
	test_filter();
	test_top();
	printf("flowfilter: ok\n");
	return 0;
}
