// SPDX-License-Identifier: GPL-2.0
/* Unit tests of src/lib/inet.c: the one protocol table and address formatter. */
#include <arpa/inet.h>
#include <string.h>

#include "lib/inet.h"
#include "unit.h"

static void test_protocols(void)
{
	char buf[16];

	CHECK(np_proto_parse("tcp") == 6);
	CHECK(np_proto_parse("ICMPv6") == 58);
	CHECK(np_proto_parse("ipv6-icmp") == 58);
	CHECK(np_proto_parse("132") == 132);
	CHECK(np_proto_parse("010") == 10);	/* decimal, never octal */
	CHECK(np_proto_parse("256") == -1);
	CHECK(np_proto_parse("-1") == -1);
	CHECK(np_proto_parse("0x6") == -1);
	CHECK(!strcmp(np_proto_str(17, buf, sizeof(buf)), "udp"));
	CHECK(!strcmp(np_proto_str(253, buf, sizeof(buf)), "253"));
	CHECK(np_proto_has_ports(33) && !np_proto_has_ports(1));
	CHECK(np_l3_parse("ipv6") == 0x86dd);
	CHECK(np_l3_parse("tcp") == -1);
	CHECK(!strcmp(np_l3_name(0x0806, buf, sizeof(buf)), "arp"));
	CHECK(!strcmp(np_l3_name(0x88b5, buf, sizeof(buf)), "0x88b5"));
}

static void test_addresses(void)
{
	static const char *const v6[] = { "2001:db8::1", "::1", "::", "fe80::1:2:3:4",
					  "2001:db8:0:1:1:1:1:1", "1::", "::1:2", "0:0:0:0:0:1:0:0",
					  "::1.2.3.4" };
	char buf[64], ref[64];
	__u8 a[16] = { 0 };

	memcpy(a, np_v4mapped_prefix, 12);
	inet_pton(AF_INET, "10.0.2.255", a + 12);
	CHECK(np_addr_is_v4(a));
	CHECK(!strcmp(np_addr_str(a, buf, sizeof(buf)), "10.0.2.255"));
	for (size_t i = 0; i < sizeof(v6) / sizeof(v6[0]); i++) {
		CHECK(inet_pton(AF_INET6, v6[i], a) == 1);
		inet_ntop(AF_INET6, a, ref, sizeof(ref));
		/* glibc's inet_ntop is the oracle. */
		CHECK(!strcmp(np_addr_str(a, buf, sizeof(buf)), ref));
	}
}

int main(void)
{
	test_protocols();
	test_addresses();
	UNIT_DONE();
}
