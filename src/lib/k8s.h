/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kubernetes, as the node itself knows it (no API server): pods from the
 * container runtime's sandbox bundles (containerd, k3s' containerd, CRI-O),
 * the libcni result cache and host-local IPAM files; services from
 * kube-proxy's rules (iptables or nftables mode); nodes and pod CIDRs from
 * Flannel's subnet.env and the VXLAN routes and FDB (lib/overlay.h).
 *
 * Every path is the host's, found under a host root (--host-root, else
 * $NETPROBE_HOST_ROOT, else /), and each can be moved by an environment
 * variable where runtimes differ (np_k8s_source_env[]). A source that is
 * absent is no error; one that cannot be read is a note, and the rest
 * still works. Addresses are 16 bytes, IPv4 v4-mapped.
 */
#ifndef NP_K8S_H
#define NP_K8S_H

#include <stdbool.h>
#include <net/if.h>
#include <linux/types.h>
#include "flowfilter.h"
#include "../../bpf/netprobe.h"

#define NP_K8S_NAME_MAX		254	/* a DNS subdomain, 253 + NUL */
#define NP_K8S_IPS_MAX		4

struct np_k8s_pod {
	char namespace[64];
	char name[NP_K8S_NAME_MAX];
	char uid[40];
	char sandbox_id[72];
	__u8 ips[NP_K8S_IPS_MAX][16];
	int nips;
	__u32 netns;			/* inode of its network namespace, 0 if none known */
	char netns_path[256];		/* as the runtime wrote it (host path) */
	char interface[IF_NAMESIZE];	/* the host side veth, "" if unknown */
	bool host_network;		/* shares the node's namespace: it is the node */
	__u64 created_ns;		/* CLOCK_REALTIME ns: when its sandbox was made */
	const char *source;		/* "containerd", "cri-o", "cni-cache", "host-local",
					 * "api-server" (a pod of another node) */
	/* A pod of another node (from the API server): its node. */
	char node_name[64];
	__u8 host_ip[16];
};

enum np_k8s_svc_kind {
	NP_SVC_CLUSTER_IP,
	NP_SVC_EXTERNAL_IP,
	NP_SVC_LOAD_BALANCER,
	NP_SVC_NODE_PORT,
};

#define NP_K8S_ENDPOINTS_MAX	32

struct np_k8s_svc {
	char namespace[64];
	char name[NP_K8S_NAME_MAX];
	char port_name[64];		/* "" for an unnamed port */
	enum np_k8s_svc_kind kind;
	__u8 ip[16];			/* all zero for a NodePort (every node address) */
	__u16 port;
	__u8 proto;			/* IPPROTO_TCP, _UDP, _SCTP */
	char endpoints[NP_K8S_ENDPOINTS_MAX][64];	/* "10.244.1.5:80" */
	int nendpoints;
	char chain[64];			/* KUBE-SVC-... / service-... it jumps to */
};

struct np_k8s_node {
	__u8 ip[16];			/* its underlay address (a VTEP) */
	struct np_cidr pod_cidr[4];
	int ncidrs;
	bool self;
};

#define NP_K8S_NOTES	8

struct np_k8s {
	char host_root[256];
	struct np_k8s_pod *pods;
	int npods;
	struct np_k8s_svc *svcs;
	int nsvcs;
	struct np_k8s_node *nodes;	/* [0] is this node when self_known */
	int nnodes;
	__u8 (*self_ips)[16];		/* this node's own addresses */
	int nself_ips;
	struct np_cidr cluster[4];	/* FLANNEL_NETWORK (and the IPv6 one) */
	int ncluster;
	const char *rules;		/* where the services came from: "iptables", "nft", a file */
	/* Pod and service addresses, sorted (np_k8s_load): lookups by bsearch. */
	struct np_k8s_ipref {
		__u8 addr[16];
		int pod, svc;		/* index in pods or svcs, -1 for the other */
	} *ipidx;
	int nipidx;
	/* Pods of other nodes, from the API server (np_k8s_load_api), and their addresses. */
	struct np_k8s_pod *rpods;
	int nrpods;
	struct np_k8s_ipref *ripidx;
	int nripidx;
	bool api;			/* the API server answered */
	char notes[NP_K8S_NOTES][256];
	int nnotes;
};

/* What np_k8s_load() reads. */
#define NP_K8S_PODS	(1u << 0)
#define NP_K8S_SERVICES	(1u << 1)
#define NP_K8S_NODES	(1u << 2)
#define NP_K8S_ALL	(NP_K8S_PODS | NP_K8S_SERVICES | NP_K8S_NODES)

/*
 * Reads what is asked for under host_root (NULL: $NETPROBE_HOST_ROOT or
 * /). Returns 0 (notes say what could not be read) or -ENOMEM.
 */
int np_k8s_load(struct np_k8s *k, const char *host_root, unsigned what);
void np_k8s_free(struct np_k8s *k);
/* This node's name in buf: $NODE_NAME (a DaemonSet's downward API), else the hostname. */
const char *np_k8s_node_name(char *buf, size_t n);
/* A note for the user (what could not be read), kept in k. */
void np_k8s_note(struct np_k8s *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Adds the pods of other nodes from the API server (k8s_api.c), when a
 * kubeconfig (kubeconfig, else $NETPROBE_KUBECONFIG) or a service account
 * says where it is; self_name: this node's name, whose pods are skipped.
 * Failures are notes. 0 or -ENOMEM.
 */
int np_k8s_load_api(struct np_k8s *k, const char *kubeconfig, const char *self_name);
/* Builds the address index (np_k8s_load does; call again after adding by hand). */
int np_k8s_index(struct np_k8s *k);

/* The sources and the variables that move them (for help and notes). */
struct np_k8s_source {
	const char *env;		/* e.g. "NETPROBE_CNI_CACHE_DIR" */
	const char *dflt;		/* host path(s), ':'-separated */
	const char *what;
};
extern const struct np_k8s_source np_k8s_sources[];

enum np_k8s_kind {
	NP_K8S_UNKNOWN,
	NP_K8S_POD,
	NP_K8S_SERVICE,
	NP_K8S_NODE,
	NP_K8S_EXTERNAL,
};

/* Who an address is. */
struct np_k8s_who {
	enum np_k8s_kind kind;
	const struct np_k8s_pod *pod;	/* a pod of this node, named */
	const struct np_k8s_svc *svc;	/* the service port (with port/proto), else NULL */
	const struct np_k8s_node *node;	/* the node it is or runs on, NULL if unknown */
	int matches;			/* pods that hold the address (> 1: ambiguous) */
	bool reused;			/* held now by a pod newer than the flow */
};

/*
 * addr (with port and proto when the caller has them, else 0) as of a flow
 * first seen at seen_ns (CLOCK_REALTIME, 0: now): a service, a pod (a
 * hostNetwork pod is its node), a node, a pod of another node's pod CIDR,
 * or outside the cluster. The order: service, pod, node, pod CIDR.
 */
void np_k8s_who(const struct np_k8s *k, const __u8 addr[16], __u16 port, __u8 proto,
		__u64 seen_ns, struct np_k8s_who *w);
/* The pod whose network namespace has this inode, NULL if none. */
const struct np_k8s_pod *np_k8s_pod_of_netns(const struct np_k8s *k, __u32 inode);
/* "pod", "service", ... */
const char *np_k8s_kind_name(enum np_k8s_kind kind);
const char *np_k8s_svc_kind_name(enum np_k8s_svc_kind kind);

/*
 * Where the kernel's classes see each address (np_k8s_cidrs): one entry per
 * prefix, HERE or CLUSTER, and the pod an address is (the first one, if
 * several claim it). *n gets the count; free *out, and keep k while the
 * entries are used. -ENOMEM.
 */
/* A pod or service the kernel counts flows for; the strings are k's. */
struct np_k8s_owner_ref {
	__u32 kind;		/* enum np_k8s_owner_kind, 0: none */
	const char *ns;
	const char *name;
};

struct np_k8s_cidr_entry {
	struct np_cidr cidr;
	__u32 where;		/* enum np_k8s_where (bpf/netprobe.h) */
	struct np_k8s_owner_ref owner;	/* the pod of a /128 */
};
int np_k8s_cidr_entries(const struct np_k8s *k, struct np_k8s_cidr_entry **out, int *n);

/*
 * The service ports the kernel counts flows of (np_k8s_svc_ports): each
 * ClusterIP, external and load-balancer address with its port, and every
 * address of this node with each NodePort. As np_k8s_cidr_entries.
 */
struct np_k8s_port_entry {
	struct np_k8s_port_key key;
	struct np_k8s_owner_ref owner;
};
int np_k8s_port_entries(const struct np_k8s *k, struct np_k8s_port_entry **out, int *n);
/* True if the node has any Kubernetes at all (pods, services, a cluster network). */
bool np_k8s_present(const struct np_k8s *k);

/* ---- the per-pod and per-service counters' slots (k8s_owners.c) ---- */

struct np_k8s_slot {
	__u32 slot;
	struct np_k8s_owner owner;
	__u64 flows;			/* np_k8s_owner_flows[slot] */
};

/*
 * Every slot in use, sorted by kind, namespace, name; flows read from
 * flows_fd unless it is -1. Free *out. 0 or -ENOMEM.
 */
int np_k8s_owners_read(int owners_fd, int flows_fd, struct np_k8s_slot **out, int *n);

/* One sync's slots: those found again, those given out, those to free. */
struct np_k8s_assign {
	struct np_k8s_slot *old;	/* in use before, sorted */
	int nold;
	bool *kept;			/* [nold]: found again */
	struct np_k8s_slot *new;	/* given out now */
	int nnew, capnew;
	__u32 next_free;
	__u64 now_ns;
	__u8 taken[NP_K8S_OWNERS_MAX / 8];
	__u64 unowned;			/* owners left without a slot: all taken */
	__u64 released;
};

/*
 * A sync: np_k8s_owners_begin() reads the slots in use; np_k8s_owner_slot()
 * gives each owner its slot (*slot, 0 if ref is none or all are taken):
 * kept if the owner had one, else given out (counter zeroed, owner
 * written); after the maps are written, np_k8s_owners_release() frees the
 * slots of owners gone. 0 or -errno.
 */
int np_k8s_owners_begin(int owners_fd, struct np_k8s_assign *a);
int np_k8s_owner_slot(int owners_fd, int flows_fd, struct np_k8s_assign *a,
		      const struct np_k8s_owner_ref *ref, __u32 *slot);
int np_k8s_owners_release(int owners_fd, struct np_k8s_assign *a);
void np_k8s_assign_free(struct np_k8s_assign *a);

/* Parsers, for unit tests: they add to k. */
int np_k8s_parse_iptables(struct np_k8s *k, const char *text);
int np_k8s_parse_nft(struct np_k8s *k, const char *json_text);

#endif /* NP_K8S_H */
