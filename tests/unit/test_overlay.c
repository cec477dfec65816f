// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the overlay helpers: subnet.env parsing, address text, the join. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/overlay.h"

static int failures;

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		failures++; \
	} \
} while (0)

static void test_env(void)
{
	const char *text = "# written by flanneld\n"
			   "FLANNEL_NETWORK=10.244.0.0/16\n"
			   "FLANNEL_SUBNET=10.244.1.1/24\r\n"
			   "FLANNEL_IPV6_NETWORK=\"fd00:10:244::/56\"\n"
			   "FLANNEL_MTU=1450\n"
			   "FLANNEL_IPMASQ=true\n"
			   "OTHER=ignored\n";
	struct np_flannel_env env = { 0 };
	FILE *f = fmemopen((void *)text, strlen(text), "r");

	np_flannel_env_parse(f, &env);
	fclose(f);
	CHECK(!strcmp(env.network, "10.244.0.0/16"));
	CHECK(!strcmp(env.subnet, "10.244.1.1/24"));
	CHECK(!strcmp(env.ipv6_network, "fd00:10:244::/56"));
	CHECK(env.ipv6_subnet[0] == '\0');
	CHECK(env.mtu == 1450);
	CHECK(!strcmp(env.ipmasq, "true"));
}

static void v4(__u8 out[16], int a, int b, int c, int d)
{
	memset(out, 0, 16);
	out[10] = out[11] = 0xff;
	out[12] = a;
	out[13] = b;
	out[14] = c;
	out[15] = d;
}

static void test_text(void)
{
	__u8 a[16] = { 0xfd, 0x00, [15] = 1 }, mac[6] = { 2, 0xfa, 0, 0, 0, 0xb };
	struct np_route r = { .dst_len = 24 };
	char buf[64];

	CHECK(!strcmp(np_overlay_addr_str(a, buf, sizeof(buf)), "fd00::1"));
	v4(a, 192, 168, 77, 2);
	CHECK(!strcmp(np_overlay_addr_str(a, buf, sizeof(buf)), "192.168.77.2"));
	CHECK(!strcmp(np_overlay_mac_str(mac, buf, sizeof(buf)), "02:fa:00:00:00:0b"));
	v4(r.dst, 10, 244, 2, 0);
	CHECK(!strcmp(np_overlay_route_cidr(&r, buf, sizeof(buf)), "10.244.2.0/24"));
}

/* Flannel's chain: node IP <- FDB <- MAC <- neighbour <- gateway <- route. */
static void test_join(void)
{
	struct np_vxlan_link link = { .name = "flannel.1", .ifindex = 5, .vni = 1 };
	struct np_fdb fdb[2] = { { .ifindex = 5, .mac = { 2, 0xfa, 0, 0, 0, 2 } },
				 { .ifindex = 5, .mac = { 2, 0xfa, 0, 0, 0, 3 } } };
	struct np_neigh ne[2] = { { .ifindex = 5, .mac = { 2, 0xfa, 0, 0, 0, 2 } },
				  { .ifindex = 5, .mac = { 2, 0xfa, 0, 0, 0, 3 } } };
	struct np_route rt[3] = { { .ifindex = 5, .dst_len = 24, .has_gw = true },
				  { .ifindex = 5, .dst_len = 24, .has_gw = true },
				  { .ifindex = 5, .dst_len = 24, .has_gw = true } };
	struct np_overlay ov = { .links = &link, .nlinks = 1, .fdb = fdb, .nfdb = 2,
				 .neigh = ne, .nneigh = 2, .routes = rt, .nroutes = 3 };
	struct np_overlay_peer p;
	__u8 node[16];

	v4(fdb[0].dst, 192, 168, 77, 2);
	v4(fdb[1].dst, 192, 168, 77, 3);
	v4(ne[0].ip, 10, 244, 2, 0);
	v4(ne[1].ip, 10, 244, 3, 0);
	v4(rt[0].dst, 10, 244, 2, 0);
	v4(rt[0].gw, 10, 244, 2, 0);
	v4(rt[1].dst, 10, 244, 3, 0);
	v4(rt[1].gw, 10, 244, 3, 0);
	v4(rt[2].dst, 10, 244, 20, 0);	/* a second CIDR via node 2 */
	v4(rt[2].gw, 10, 244, 2, 0);

	v4(node, 192, 168, 77, 2);
	CHECK(np_overlay_peer(&ov, node, 1, &p));
	CHECK(p.link == &link && p.fdb == &fdb[0]);
	CHECK(!strcmp(p.pod_cidr, "10.244.2.0/24,10.244.20.0/24"));
	CHECK(!strcmp(p.gateway, "10.244.2.0"));
	v4(node, 192, 168, 77, 3);
	CHECK(np_overlay_peer(&ov, node, 1, &p));
	CHECK(!strcmp(p.pod_cidr, "10.244.3.0/24"));
	CHECK(!np_overlay_peer(&ov, node, 2, &p));	/* another VNI */
	v4(node, 192, 168, 77, 4);
	CHECK(!np_overlay_peer(&ov, node, 1, &p));
}

int main(void)
{
	test_env();
	test_text();
	test_join();
	if (failures) {
		fprintf(stderr, "test_overlay: %d failures\n", failures);
		return 1;
	}
	printf("test_overlay: ok\n");
	return 0;
}
