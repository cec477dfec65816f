/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VXLAN overlay as this node sees it (DESIGN.md §5), read over
 * rtnetlink in the current network namespace:
 *   vxlan links        IFLA_INFO_KIND "vxlan": VNI, UDP port, local address
 *   FDB entries        AF_BRIDGE neighbours of a vxlan link: VTEP MAC -> node IP
 *   neighbours         ARP/ND entries of a vxlan link: gateway IP -> VTEP MAC
 *   routes             pod CIDR via gateway dev <vxlan link> (onlink)
 * and Flannel's subnet.env (NETPROBE_FLANNEL_SUBNET_ENV overrides the path).
 * Flannel joins them so: node IP <- FDB <- MAC <- neighbour <- gateway <- route.
 * Addresses are 16 bytes, IPv4 stored v4-mapped as in the BPF maps.
 */
#ifndef NP_OVERLAY_H
#define NP_OVERLAY_H

#include <stdbool.h>
#include <stdio.h>
#include <net/if.h>
#include <linux/types.h>

#define NP_FLANNEL_SUBNET_ENV	"/run/flannel/subnet.env"

struct np_vxlan_link {
	char name[IF_NAMESIZE];
	int ifindex;
	__u32 vni;
	__u16 port;		/* UDP destination port, host order */
	bool has_local;
	__u8 local[16];
	int underlay;		/* IFLA_VXLAN_LINK ifindex, 0 if none */
	__u8 mac[6];
	__u32 mtu;
	bool learning;
};

struct np_fdb {
	int ifindex;
	__u8 mac[6];
	__u8 dst[16];		/* remote VTEP (node) address */
	__u32 vni;		/* NDA_VNI, 0 if absent (the link's VNI) */
	__u16 state;
};

struct np_neigh {
	int ifindex;
	__u8 ip[16];
	__u8 mac[6];
	__u16 state;
};

struct np_route {
	int ifindex;
	__u8 dst[16];
	__u8 dst_len;		/* prefix length in the address family */
	bool v6;
	bool has_gw;
	__u8 gw[16];
	bool onlink;
	__u32 table;
};

/* A bigger subnet.env is refused: Flannel's is a few lines. */
#define NP_FLANNEL_ENV_MAX	(64 * 1024)
#define NP_FLANNEL_NOTES	8

/*
 * Flannel's subnet.env, checked: a value that is not what its key holds is
 * left out (empty, or 0) and noted, and so is a line that is not KEY=VALUE.
 */
struct np_flannel_env {
	bool present;		/* read; a refused file is not */
	char path[256];
	char network[256];	/* FLANNEL_NETWORK: IPv4 CIDRs, comma-separated */
	char subnet[64];	/* FLANNEL_SUBNET: this node's IPv4 CIDR */
	char ipv6_network[256];	/* FLANNEL_IPV6_NETWORK: IPv6 CIDRs */
	char ipv6_subnet[64];	/* FLANNEL_IPV6_SUBNET */
	__u32 mtu;		/* FLANNEL_MTU: 68..65535, 0 if absent */
	char ipmasq[8];		/* FLANNEL_IPMASQ: "true", "false" or "" */
	/* Why the file or a value was refused, printable ASCII, for warnings. */
	char notes[NP_FLANNEL_NOTES][256];
	int nnotes;		/* may exceed NP_FLANNEL_NOTES: the rest are counted */
};

struct np_overlay {
	struct np_vxlan_link *links;
	int nlinks;
	struct np_fdb *fdb;
	int nfdb;
	struct np_neigh *neigh;
	int nneigh;
	struct np_route *routes;
	int nroutes;
	struct np_flannel_env env;
};

/* Reads the vxlan links and what hangs off them; -errno on failure. */
int np_overlay_read(struct np_overlay *ov);
void np_overlay_free(struct np_overlay *ov);

/*
 * Parses len bytes of subnet.env text into env (which it does not clear).
 * Unknown keys, blank lines and # comments are skipped.
 */
void np_flannel_env_parse(const char *text, size_t len, struct np_flannel_env *env);
/*
 * Reads the subnet.env at path: a regular file (never a FIFO or a device,
 * which could block or never end) of at most NP_FLANNEL_ENV_MAX bytes, and
 * not through a symbolic link. Returns 0, also when there is no such file
 * (present stays false), or -errno with a note saying why it was refused.
 */
int np_flannel_env_load(const char *path, struct np_flannel_env *env);
/* np_flannel_env_load() of $NETPROBE_FLANNEL_SUBNET_ENV, else the default path. */
void np_flannel_env_read(struct np_flannel_env *env);

/* Pod CIDRs (and gateways) kept per VTEP: more than a node routes. */
#define NP_OVERLAY_CIDRS_MAX	32
#define NP_OVERLAY_CIDRS_LEN	(NP_OVERLAY_CIDRS_MAX * 44)	/* "addr/len," each */

/* What the topology says about a remote VTEP address on a VNI. */
struct np_overlay_peer {
	const struct np_vxlan_link *link;
	const struct np_fdb *fdb;	/* first FDB entry pointing at the address */
	char pod_cidr[NP_OVERLAY_CIDRS_LEN];	/* routed pod CIDRs, comma-separated, "" if none */
	char gateway[NP_OVERLAY_CIDRS_LEN];	/* their gateways */
};

/* True if addr is a remote VTEP of a vxlan link with this VNI. */
bool np_overlay_peer(const struct np_overlay *ov, const __u8 addr[16], __u32 vni,
		     struct np_overlay_peer *p);
/* Pod CIDRs routed through the VTEP with this MAC on link (comma-separated). */
void np_overlay_cidrs(const struct np_overlay *ov, int ifindex, const __u8 mac[6],
		      char *cidrs, size_t n, char *gws, size_t gn);
/*
 * Splits one of those comma-separated lists in place, for a JSON array:
 * items[] point into list. Returns the number of items (at most max).
 */
int np_overlay_split(char *list, const char **items, int max);

/* "10.0.0.1" for v4-mapped, else IPv6 text. buf of at least 46 bytes. */
/* "aa:bb:cc:dd:ee:ff". buf of at least 18 bytes. */
const char *np_overlay_mac_str(const __u8 mac[6], char *buf, size_t n);
/* A route's destination as CIDR text. */
const char *np_overlay_route_cidr(const struct np_route *r, char *buf, size_t n);

#endif /* NP_OVERLAY_H */
