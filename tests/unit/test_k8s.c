// SPDX-License-Identifier: GPL-2.0
/* kube-proxy's rules in both modes, as K8S-NODE.md shows them, and lookups. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "lib/k8s.h"
#include "unit.h"

static const char iptables[] =
	"*nat\n"
	":KUBE-SERVICES - [0:0]\n"
	"-A KUBE-SERVICES -d 10.96.0.50/32 -p tcp -m comment --comment \"shop/web:http cluster IP\" -m tcp --dport 80 -j KUBE-SVC-ABC\n"
	"-A KUBE-SERVICES -d 192.0.2.10/32 -p tcp -m comment --comment \"shop/web:http external IP\" -m tcp --dport 80 -j KUBE-EXT-ABC\n"
	"-A KUBE-SERVICES -d 192.0.2.20/32 -p tcp -m comment --comment \"shop/web:http loadbalancer IP\" -m tcp --dport 80 -j KUBE-EXT-ABC\n"
	"-A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment \"kube-system/kube-dns:dns cluster IP\" -m udp --dport 53 -j KUBE-SVC-DNS\n"
	"-A KUBE-SERVICES -d 10.96.0.60/32 -p tcp -m comment --comment \"old/svc: cluster IP\" -m tcp --dport 8080 -j KUBE-SVC-OLD\n"
	"-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS\n"
	"-A KUBE-NODEPORTS -p tcp -m comment --comment \"shop/web:http\" -m tcp --dport 30080 -j KUBE-EXT-ABC\n"
	"-A KUBE-EXT-ABC -m comment --comment \"masquerade traffic for shop/web:http external destinations\" -j KUBE-MARK-MASQ\n"
	"-A KUBE-EXT-ABC -j KUBE-SVC-ABC\n"
	"-A KUBE-SVC-ABC -m comment --comment \"shop/web:http -> 10.244.1.5:80\" -m statistic --mode random --probability 0.5 -j KUBE-SEP-X\n"
	"-A KUBE-SVC-ABC -m comment --comment \"shop/web:http -> 10.244.2.9:80\" -j KUBE-SEP-Y\n"
	"-A KUBE-SEP-X -p tcp -m comment --comment \"shop/web:http\" -m tcp -j DNAT --to-destination 10.244.1.5:80\n"
	"-A KUBE-SEP-Y -p tcp -m comment --comment \"shop/web:http\" -m tcp -j DNAT --to-destination 10.244.2.9:80\n"
	"-A KUBE-SVC-DNS -j KUBE-SEP-D\n"
	"-A KUBE-SEP-D -p udp -m comment --comment \"kube-system/kube-dns:dns\" -m udp -j DNAT --to-destination 10.244.1.3:53\n"
	"COMMIT\n";

static const char nft[] =
	"{\"nftables\": [{\"metainfo\": {\"version\": \"1.0.6\"}},"
	"{\"table\": {\"family\": \"ip\", \"name\": \"kube-proxy\"}},"
	"{\"map\": {\"family\": \"ip\", \"name\": \"service-ips\", \"table\": \"kube-proxy\","
	" \"type\": [\"ipv4_addr\", \"inet_proto\", \"inet_service\"], \"map\": \"verdict\","
	" \"elem\": [[{\"concat\": [\"10.96.0.50\", \"tcp\", 80]},"
	" {\"goto\": {\"target\": \"service-ULMVA6XW-shop/web/tcp/http\"}}],"
	" [{\"concat\": [\"192.0.2.10\", \"tcp\", 80]},"
	" {\"goto\": {\"target\": \"external-ULMVA6XW-shop/web/tcp/http\"}}]]}},"
	"{\"map\": {\"family\": \"ip\", \"name\": \"service-nodeports\", \"table\": \"kube-proxy\","
	" \"elem\": [[{\"concat\": [\"tcp\", 30080]},"
	" {\"goto\": {\"target\": \"external-ULMVA6XW-shop/web/tcp/http\"}}]]}},"
	"{\"chain\": {\"family\": \"ip\", \"table\": \"kube-proxy\", \"name\": \"service-ULMVA6XW-shop/web/tcp/http\"}},"
	"{\"chain\": {\"family\": \"ip\", \"table\": \"kube-proxy\", \"name\": \"endpoint-5OJB2KTY-shop/web/tcp/http__10.244.1.5/80\"}},"
	"{\"chain\": {\"family\": \"ip\", \"table\": \"kube-proxy\", \"name\": \"endpoint-AAAAAAAA-shop/web/tcp/http__10.244.2.9/80\"}}"
	"]}";

static void a4(const char *s, __u8 out[16])
{
	memset(out, 0, 16);
	out[10] = out[11] = 0xff;
	inet_pton(AF_INET, s, out + 12);
}

int main(void)
{
	struct np_k8s k = { .host_root = "/" };
	struct np_k8s_who w;
	__u8 ip[16];

	CHECK(np_k8s_parse_iptables(&k, iptables) == 6);
	CHECK(k.nsvcs == 6);
	CHECK_STR(k.svcs[0].namespace, "shop");
	CHECK_STR(k.svcs[0].name, "web");
	CHECK_STR(k.svcs[0].port_name, "http");
	CHECK(k.svcs[0].kind == NP_SVC_CLUSTER_IP && k.svcs[0].port == 80 &&
	      k.svcs[0].proto == IPPROTO_TCP);
	/* Endpoints through KUBE-SVC -> KUBE-SEP -> DNAT. */
	CHECK(k.svcs[0].nendpoints == 2);
	CHECK_STR(k.svcs[0].endpoints[0], "10.244.1.5:80");
	CHECK_STR(k.svcs[0].endpoints[1], "10.244.2.9:80");
	CHECK(k.svcs[1].kind == NP_SVC_EXTERNAL_IP && k.svcs[1].nendpoints == 2);
	CHECK(k.svcs[2].kind == NP_SVC_LOAD_BALANCER);
	CHECK(k.svcs[3].proto == IPPROTO_UDP && k.svcs[3].nendpoints == 1);
	CHECK_STR(k.svcs[3].namespace, "kube-system");
	/* An unnamed port of older releases: "ns/name:". */
	CHECK_STR(k.svcs[4].name, "svc");
	CHECK_STR(k.svcs[4].port_name, "");
	CHECK(k.svcs[5].kind == NP_SVC_NODE_PORT && k.svcs[5].port == 30080 &&
	      k.svcs[5].nendpoints == 2);

	/* The client side sees the VIP: a service, with its port. */
	CHECK(!np_k8s_index(&k));
	a4("10.96.0.50", ip);
	np_k8s_who(&k, ip, 80, IPPROTO_TCP, 0, &w);
	CHECK(w.kind == NP_K8S_SERVICE && w.svc == &k.svcs[0]);
	np_k8s_who(&k, ip, 0, 0, 0, &w);
	CHECK(w.kind == NP_K8S_SERVICE);
	np_k8s_who(&k, ip, 81, IPPROTO_TCP, 0, &w);
	CHECK(w.kind != NP_K8S_SERVICE);
	np_k8s_free(&k);

	snprintf(k.host_root, sizeof(k.host_root), "/");
	CHECK(np_k8s_parse_nft(&k, nft) == 3);
	CHECK(k.nsvcs == 3);
	CHECK_STR(k.svcs[0].namespace, "shop");
	CHECK_STR(k.svcs[0].name, "web");
	CHECK_STR(k.svcs[0].port_name, "http");
	CHECK(k.svcs[0].kind == NP_SVC_CLUSTER_IP && k.svcs[0].port == 80 &&
	      k.svcs[0].proto == IPPROTO_TCP && k.svcs[0].nendpoints == 2);
	CHECK_STR(k.svcs[0].endpoints[1], "10.244.2.9:80");
	CHECK(k.svcs[1].kind == NP_SVC_EXTERNAL_IP);
	CHECK(k.svcs[2].kind == NP_SVC_NODE_PORT && k.svcs[2].port == 30080);
	CHECK(np_k8s_parse_nft(&k, "not json") == -EINVAL);
	np_k8s_free(&k);

	/* Pods: address reuse, hostNetwork, pod CIDRs of other nodes. */
	struct np_k8s_pod pods[3] = { 0 };
	struct np_k8s_node nodes[2] = { 0 };

	snprintf(pods[0].name, sizeof(pods[0].name), "web-0");
	a4("10.244.1.5", pods[0].ips[0]);
	pods[0].nips = 1;
	pods[0].created_ns = 2000;
	snprintf(pods[1].name, sizeof(pods[1].name), "host");
	pods[1].host_network = true;
	a4("192.0.2.1", pods[1].ips[0]);
	pods[1].nips = 1;
	nodes[0].self = true;
	np_cidr_parse("10.244.1.0/24", &nodes[0].pod_cidr[0]);
	nodes[0].ncidrs = 1;
	a4("192.0.2.2", nodes[1].ip);
	np_cidr_parse("10.244.2.0/24", &nodes[1].pod_cidr[0]);
	nodes[1].ncidrs = 1;
	k.pods = pods;
	k.npods = 2;
	k.nodes = nodes;
	k.nnodes = 2;
	np_cidr_parse("10.244.0.0/16", &k.cluster[0]);
	k.ncluster = 1;
	CHECK(!np_k8s_index(&k));

	a4("10.244.1.5", ip);
	np_k8s_who(&k, ip, 0, 0, 3000, &w);
	CHECK(w.kind == NP_K8S_POD && w.pod == &pods[0] && w.matches == 1 && w.node == &nodes[0]);
	/* A flow older than the pod: the address was someone else's. */
	np_k8s_who(&k, ip, 0, 0, 1000, &w);
	CHECK(w.kind == NP_K8S_POD && !w.pod && w.reused && w.node == &nodes[0]);
	/* Two pods hold it: both counted, not hidden. */
	pods[2] = pods[0];
	k.npods = 3;
	np_k8s_index(&k);
	np_k8s_who(&k, ip, 0, 0, 0, &w);
	CHECK(w.matches == 2);
	k.npods = 2;
	np_k8s_index(&k);
	a4("10.244.2.9", ip);
	np_k8s_who(&k, ip, 0, 0, 0, &w);
	CHECK(w.kind == NP_K8S_POD && !w.pod && w.node == &nodes[1]);
	a4("192.0.2.2", ip);
	np_k8s_who(&k, ip, 0, 0, 0, &w);
	CHECK(w.kind == NP_K8S_NODE && w.node == &nodes[1]);
	/* A hostNetwork pod's address is not a pod. */
	a4("192.0.2.1", ip);
	np_k8s_who(&k, ip, 0, 0, 0, &w);
	CHECK(w.kind == NP_K8S_EXTERNAL);
	a4("10.244.7.7", ip);
	np_k8s_who(&k, ip, 0, 0, 0, &w);
	CHECK(w.kind == NP_K8S_POD && !w.node);
	a4("8.8.8.8", ip);
	np_k8s_who(&k, ip, 0, 0, 0, &w);
	CHECK(w.kind == NP_K8S_EXTERNAL);
	free(k.ipidx);
	UNIT_DONE();
}
