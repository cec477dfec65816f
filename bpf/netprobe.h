/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Types shared by the BPF programs and user space. __u* types only: this
 * header is included both after vmlinux.h (BPF side) and after
 * <linux/types.h> (user side).
 */
#ifndef NETPROBE_H
#define NETPROBE_H

/*
 * Bump when a map every object shares changes (np_meta, np_devices,
 * np_layouts): pins of another such layout are refused until `detach all`.
 */
#define NP_LAYOUT_VERSION	2

/*
 * Each feature's own maps have a layout version of their own, kept in the
 * pinned array "np_layouts" (index: enum np_feature; 0: no pins of it).
 * Bump a feature's when one of its maps' key or value layout changes: only
 * that feature's pins are then set aside (not read, not reused) until its
 * probes are detached, which removes its maps.
 */
enum np_feature {
	NP_FEAT_TRAFFIC = 0,	/* tc, xdp: np_stats, np_flows, np_flow_stats, np_k8s_*, np_icmp_* */
	NP_FEAT_VXLAN = 1,
	NP_FEAT_DROPS = 2,
	NP_FEAT_NETFILTER = 3,
	NP_FEAT_SECURITY = 4,
	NP_FEAT_SOCKET = 5,
	NP_FEAT_MAX = 8,	/* slots of np_layouts */
};
#define NP_LAYOUT_TRAFFIC	3	/* 2: np_stats by protocol class; 3: np_flow_value's handshake */
#define NP_LAYOUT_VXLAN		2
#define NP_LAYOUT_DROPS		1
#define NP_LAYOUT_NETFILTER	1
#define NP_LAYOUT_SECURITY	2
#define NP_LAYOUT_SOCKET	1

#define NP_IFNAMSIZ		16
#define NP_MAX_DEVICES		1024

/* Where a traffic counter was taken. */
enum np_hook {
	NP_HOOK_XDP = 0,
	NP_HOOK_TC_INGRESS = 1,
	NP_HOOK_TC_EGRESS = 2,
	NP_HOOK_MAX,
};

/* Bits of np_device.hooks: one per link netprobe pins for a device. */
#define NP_DEV_XDP		(1u << 0)
#define NP_DEV_TC_INGRESS	(1u << 1)
#define NP_DEV_TC_EGRESS	(1u << 2)

enum np_xdp_mode { NP_XDP_NONE = 0, NP_XDP_NATIVE = 1, NP_XDP_GENERIC = 2 };
enum np_tc_mode { NP_TC_NONE = 0, NP_TC_TCX = 1, NP_TC_CLSACT = 2 };

/* Single entry of the pinned "np_meta" array: what made this pin tree. */
struct np_meta {
	__u32 layout;		/* NP_LAYOUT_VERSION of the writer */
	__u32 flags;
	__u64 created_ns;	/* CLOCK_REALTIME, ns */
	char version[32];	/* netprobe version string of the writer */
};

/*
 * What a device counter counts by: the packet's L3 and L4 protocol. L4 is
 * the IP protocol field (IPv6: the header after the extension headers),
 * also for a later fragment; a frame that ends before it is "other".
 */
enum np_proto_class {
	NP_PC_IPV4_TCP = 0,
	NP_PC_IPV4_UDP,
	NP_PC_IPV4_ICMP,
	NP_PC_IPV4_OTHER,
	NP_PC_IPV6_TCP,
	NP_PC_IPV6_UDP,
	NP_PC_IPV6_ICMPV6,
	NP_PC_IPV6_OTHER,
	NP_PC_ARP,
	NP_PC_OTHER,		/* another ethertype, or a frame too short for one */
	NP_PC_MAX,
};

/*
 * The device counters, per (ifindex, hook, protocol class): a per-CPU
 * array slot for ifindexes below NP_STATS_IDX_DEVS ("np_stats_idx", index
 * (ifindex * NP_HOOK_MAX + hook) * NP_PC_MAX + class: the verifier inlines
 * the lookup, no hash per packet), the per-CPU "np_stats" hash for the
 * rest. A device's counters are the sum of both over the classes.
 */
#define NP_STATS_IDX_DEVS	256

/* Key of the pinned per-CPU "np_stats" hash (and of np_vxlan_counters, class 0). */
struct np_stats_key {
	__u32 ifindex;
	__u16 hook;		/* enum np_hook */
	__u16 class;		/* enum np_proto_class */
};

struct np_counter {
	__u64 packets;
	__u64 bytes;
};

/* Who made the clsact qdisc of a device that has cls_bpf filters of netprobe. */
enum np_qdisc {
	NP_QDISC_NONE = 0,	/* no clsact filter of netprobe here */
	NP_QDISC_FOREIGN = 1,	/* the qdisc was there before: never removed */
	NP_QDISC_MAKING = 2,	/* netprobe is making it (a crash may have left it) */
	NP_QDISC_OURS = 3,	/* netprobe made it: removed with the last filter */
};

/*
 * Value of the pinned "np_devices" hash, keyed by interface name
 * (char[NP_IFNAMSIZ]). Written by user space only: it records what an
 * attach did, per hook, so that status and detach can tell and undo it
 * exactly. What a cls_bpf filter or a qdisc will be is recorded before it
 * is made (pending, NP_QDISC_MAKING): a crash half-way leaves a record
 * that detach can act on. TCX and XDP links need no such care: a link
 * that was never pinned dies with the process that made it.
 */
struct np_device {
	__u32 ifindex;
	__u32 netns;		/* inode of the device's network namespace */
	__u64 attached_ns;	/* CLOCK_REALTIME, ns */
	__u32 hooks;		/* NP_DEV_* bits of hooks in place */
	__u32 clsact;		/* NP_DEV_* bits made as cls_bpf filters (else TCX links) */
	__u32 pending;		/* NP_DEV_* bits of cls_bpf filters being made */
	__u8 xdp_mode;		/* enum np_xdp_mode */
	__u8 qdisc;		/* enum np_qdisc */
	__u16 pad;
};

/*
 * A flow: one direction of a 5-tuple as one device's hook saw it. IPv4
 * addresses are stored v4-mapped (::ffff:a.b.c.d). For ICMP/ICMPv6, sport
 * holds the type and dport the code. Owned by the flow table (issue 3);
 * the VXLAN inner-flow key embeds it.
 */
struct np_flow_key {
	__u8 src[16];
	__u8 dst[16];
	__u16 sport;		/* host byte order */
	__u16 dport;		/* host byte order */
	__u8 proto;		/* IPPROTO_* */
	__u8 dir;		/* enum np_hook of the program that saw it */
	__u8 flags;		/* NP_FLOW_F_* */
	__u8 pad;
	__u32 ifindex;
};

/*
 * A later IP fragment (offset > 0): no L4 header, ports 0. Keyed apart, so
 * that an ICMP fragment is not taken for an echo reply (type 0, code 0).
 */
#define NP_FLOW_F_LATER_FRAGMENT	(1u << 0)

/*
 * ---- Kubernetes classes (issue 12) ----
 * The pinned LPM trie "np_k8s_cidrs" says where an address is: on this node
 * (its pod CIDR, its own addresses, services whose endpoints are all here)
 * or elsewhere in the cluster (other nodes, their pod CIDRs, the cluster's
 * network, other services); an address in neither is outside. User space
 * writes it at attach and on `netprobe k8s sync`. The TC and XDP programs
 * count every packet (and every new flow) of the cluster in one class of
 * the per-CPU array "np_k8s_stats", so that the totals survive the flow
 * table's evictions. Off (no lookups) while "np_k8s_config" says so.
 */
#define NP_K8S_CIDRS_MAX	16384

struct np_k8s_cidr_key {
	__u32 prefixlen;	/* bits of addr that count; IPv4 is v4-mapped: 96 + len */
	__u8 addr[16];
};

enum np_k8s_where {
	NP_K8S_OUTSIDE = 0,	/* not in the trie */
	NP_K8S_HERE = 1,
	NP_K8S_CLUSTER = 2,
};

struct np_k8s_cidr_val {
	__u32 where;		/* enum np_k8s_where */
	__u32 owner;		/* slot of the pod or service of this address, 0 if none */
};

enum np_k8s_class {
	NP_K8S_INTRA_NODE = 0,	/* both ends on this node */
	NP_K8S_INTER_NODE = 1,	/* one end elsewhere in the cluster */
	NP_K8S_INGRESS = 2,	/* from outside the cluster */
	NP_K8S_EGRESS = 3,	/* to outside the cluster */
	NP_K8S_CLASSES,
	NP_K8S_NO_CLASS = 0xff,	/* neither end in the cluster */
};

struct np_k8s_class_stats {
	__u64 packets;
	__u64 bytes;		/* frame lengths, as np_stats counts them */
	__u64 flows;		/* new entries of np_flows in this class */
};

/*
 * "np_k8s_config", an array of one: enabled when np_k8s_cidrs is written.
 * A flow keeps its class in its np_flows entry (one trie lookup per end
 * for its first packet only); each sync takes a new generation (1..255,
 * never 0), and a flow of an older one is classified again.
 */
struct np_k8s_config {
	__u32 enabled;
	__u32 generation;
	__u64 synced_ns;	/* CLOCK_REALTIME of the last sync (user space) */
};

/*
 * Per pod and per service: the address of each pod of this node has its own
 * /128 in np_k8s_cidrs, whose owner is a slot; each service port (its
 * ClusterIP, external and load-balancer addresses, and this node's addresses
 * for a NodePort) is an entry of "np_k8s_svc_ports" whose value is the
 * service's slot. "np_k8s_owners" says which pod or service a slot is
 * (written and read by user space only); "np_k8s_owner_flows" is the
 * kernel's count of new flows per slot, taken when a flow of the cluster
 * gets its np_flows entry: one for the pod at each end, one for the service
 * port at each end. A slot freed at a sync is given out again only at a
 * later one (after the maps no longer name it), and zeroed then.
 */
#define NP_K8S_OWNERS_MAX	16384	/* slots; 0 is "none" */
#define NP_K8S_SVC_PORTS_MAX	16384

enum np_k8s_owner_kind {
	NP_K8S_OWNER_POD = 1,
	NP_K8S_OWNER_SERVICE = 2,
};

struct np_k8s_port_key {
	__u8 addr[16];		/* v4-mapped for IPv4 */
	__u16 port;		/* host byte order, as np_flow_key */
	__u8 proto;
	__u8 pad;
};

struct np_k8s_owner {
	__u32 kind;		/* enum np_k8s_owner_kind */
	__u32 pad;
	__u64 assigned_ns;	/* CLOCK_REALTIME of the sync that gave the slot out */
	char namespace[64];
	char name[256];
};

/* ---- drops and netfilter (issue 5) ---- */

#define NP_DROPS_MAX		16384	/* np_drops entries */
#define NP_DROP_FLOWS_MAX	16384	/* np_drop_flows entries (LRU) */

/*
 * np_drop_key.reason on kernels whose kfree_skb tracepoint has no reason
 * argument (before 5.17). Never a real reason: those are
 * (subsystem << 16) | code with far fewer than 0xffff subsystems.
 */
#define NP_DROP_REASON_UNAVAILABLE	0xffffffffu

/*
 * Key of the pinned per-CPU "np_drops" hash (value: __u64 drops). The
 * drop happened on ifindex in the network namespace with inode netns
 * (0: the kernel freed the packet with no device and no socket).
 */
struct np_drop_key {
	__u32 reason;		/* enum skb_drop_reason of the running kernel */
	__u32 netns;
	__u32 ifindex;		/* skb->dev, else skb->skb_iif */
	__u16 l3proto;		/* ethertype, host order */
	__u8 l4proto;		/* IPPROTO_* of IPv4/IPv6 packets, else 0 */
	__u8 pad;
};

/*
 * Key of the pinned LRU "np_drop_flows" hash: one dropped 5-tuple. As in
 * np_flow_key, IPv4 is v4-mapped and ICMP puts type/code in sport/dport.
 */
struct np_drop_flow_key {
	__u8 src[16];
	__u8 dst[16];
	__u16 sport;		/* host byte order */
	__u16 dport;		/* host byte order */
	__u8 proto;		/* IPPROTO_* */
	__u8 pad[3];
	__u32 reason;
	__u32 netns;
	__u32 ifindex;
};

struct np_drop_flow {
	__u64 count;
	__u64 first_seen;	/* bpf_ktime_get_ns() */
	__u64 last_seen;
};

/*
 * Key of the pinned per-CPU "np_nf_stats" hash (value: struct np_counter).
 * Netfilter hooks are per network namespace, hence netns.
 */
struct np_nf_key {
	__u32 netns;		/* inode of the hook's network namespace */
	__u8 pf;		/* NFPROTO_IPV4 (2), NFPROTO_IPV6 (10) */
	__u8 hook;		/* NF_INET_PRE_ROUTING (0) .. NF_INET_POST_ROUTING (4) */
	__u16 pad;
};
#define NP_NF_STATS_MAX		4096
/* ---- Flow table (issue 3) ---- */

/* Size of the pinned "np_flows" LRU hash unless `attach DEV flows N` says. */
#define NP_FLOW_ENTRIES_DEFAULT	262144

/* Value of the pinned "np_flows" LRU hash, keyed by struct np_flow_key. */
struct np_flow_value {
	__u64 packets;
	__u64 bytes;		/* frame lengths, as the np_stats counters count them */
	__u64 first_seen;	/* bpf_ktime_get_coarse_ns() (CLOCK_MONOTONIC_COARSE) */
	__u64 last_seen;
	__u32 tcp_flags;	/* OR of the flags seen: FIN 0x01 ... CWR 0x80, NS 0x100 */
	__u32 truncated;	/* packets that ended before their IP length said */
	__u32 fragments;	/* non-first IP fragments (counted with ports 0) */
	__u8 k8s_class;		/* enum np_k8s_class of the flow, NP_K8S_NO_CLASS if none */
	__u8 k8s_gen;		/* the np_k8s_config generation it was classified in */
	__u8 hs_state;		/* enum np_hs_state: the TCP handshake this flow opened */
	__u8 pad;
	__u32 hs_synack_us;	/* NP_HS_DONE: SYN -> SYN-ACK, microseconds */
	__u32 hs_ack_us;	/* NP_HS_DONE: SYN-ACK -> ACK, microseconds */
};

/*
 * ---- TCP handshake latency (issue 15; bpf/rtt.bpf.h) ----
 *
 * A device's hooks (TC or XDP) stamp a SYN (without ACK) in the pinned LRU
 * hash "np_flow_hs", keyed by the SYN's np_flow_key with dir 0 (a device
 * that sends the SYN sees the SYN-ACK come in at the other hook; a device
 * in the middle sees both at one), the first SYN-ACK in the reverse
 * direction, and the first ACK after it in the SYN's own flow, which then
 * holds both halves (np_flow_value.hs_*). The flow's handshake rtt is their
 * sum: the first SYN to the ACK of the SYN-ACK, as tshark's
 * tcp.analysis.initial_rtt. Each completed handshake is counted once in the
 * per-device histogram "np_flow_hs_hist" (per-CPU hash by ifindex).
 */
enum np_hs_state {
	NP_HS_NONE = 0,		/* no SYN seen in this flow (UDP, began before attach) */
	NP_HS_SYN = 1,		/* SYN seen; no ACK of a SYN-ACK yet */
	NP_HS_DONE = 2,		/* hs_synack_us and hs_ack_us hold the handshake */
};

#define NP_FLOW_HS_MAX		65536	/* np_flow_hs entries (handshakes in flight) */

struct np_flow_hs {
	__u64 syn_ns;		/* bpf_ktime_get_ns() of the first SYN */
	__u64 synack_ns;	/* of the first SYN-ACK back; 0: none yet */
	__u32 syn_seq;		/* a SYN of another sequence number is a new connection */
	__u32 counted;		/* 1 once in the histogram (XDP and TC may both see it) */
};

/*
 * The histogram's upper bounds (inclusive, as Prometheus' le), microseconds;
 * bucket NP_HS_BUCKETS counts what is above the last.
 */
#define NP_HS_BOUNDS_US { 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, \
			  250000, 500000, 1000000, 2500000, 5000000, 10000000 }
#define NP_HS_BUCKETS		16

struct np_flow_hs_hist {
	__u64 count;		/* handshakes completed */
	__u64 sum_ns;		/* their rtt, summed */
	__u64 bucket[NP_HS_BUCKETS + 1];	/* not cumulative */
};

/*
 * What `export ipfix` sent (user space only; made by the first export,
 * under maps/, removed with the other maps). The pinned "np_flow_exported"
 * hash, keyed by struct np_flow_key, holds each flow's counts as last
 * exported; a flow whose first_seen differs is a new one (evicted or
 * flushed meanwhile). The pinned "np_export_state" array (one entry) holds
 * the IPFIX stream's sequence number.
 */
struct np_flow_exported {
	__u64 packets;
	__u64 bytes;
	__u64 first_seen;	/* of the flow table entry exported */
	__u64 last_seen;	/* as exported: where the next record's flowStart is */
};

struct np_export_state {
	__u32 layout;		/* NP_LAYOUT_VERSION of the writer */
	__u32 sequence;		/* IPFIX data records sent, modulo 2^32 */
	__u64 exports;		/* exports that were sent */
	__u64 last_export_ns;	/* CLOCK_REALTIME of the last one */
};

/* Slots of the pinned per-CPU "np_flow_stats" array. */
enum np_flow_stats_slot {
	NP_FLOW_STATS_KERNEL = 0,	/* written by the BPF programs only */
	NP_FLOW_STATS_USER = 1,		/* written by user space only (flush) */
	NP_FLOW_STATS_SLOTS,
};

/*
 * Flow table counters. The kernel cannot tell when the LRU evicts an
 * entry, but every entry ever inserted is either still in the table,
 * evicted, or deleted by `flush flows`; so
 *   evictions = inserts - deleted - entries now in the table.
 */
struct np_flow_stats {
	__u64 inserts;		/* new flows inserted by the programs */
	__u64 insert_failures;	/* inserts refused (not a race): packet in no flow */
	__u64 truncated;	/* packets cut short (still counted in their flow) */
	__u64 fragments;	/* non-first fragments (in their flow, ports 0) */
	__u64 non_ip;		/* frames neither IPv4 nor IPv6: in no flow */
	__u64 deleted;		/* entries removed by flush flows (user slot) */
};

/*
 * ---- ICMP diagnostics (issue 15): bpf/icmp.bpf.h, src/cmd/show_icmp.c ----
 *
 * The traffic programs count every ICMP and ICMPv6 packet per device, hook,
 * family, type and code in the pinned per-CPU hash "np_icmp_counts" (value:
 * struct np_counter, frame lengths as np_stats counts them). An error
 * (NP_ICMP_IS_ERROR) also makes or bumps an entry of the pinned LRU hash
 * "np_icmp_errors": who sent it, and the flow it quotes (the IP header and
 * the first 8 bytes of L4 of the packet that caused it). "np_icmp_stats"
 * (per-CPU array, np_icmp_stats_slot) counts inserts and the entries
 * flush or detach removed, so that evictions = inserts - deleted - entries.
 * ICMP later fragments carry no type: they are counted in no row here.
 */
#define NP_ICMP_COUNTS_MAX	16384
#define NP_ICMP_ERRORS_MAX	16384

/* ICMPv4 errors (RFC 792): destination unreachable, source quench, time
 * exceeded, parameter problem. ICMPv6 (RFC 4443): every type below 128. */
#define NP_ICMP4_ERROR_MASK	((1u << 3) | (1u << 4) | (1u << 11) | (1u << 12))
#define NP_ICMP_IS_ERROR(family, type)						\
	((family) == 6 ? (type) < 128 :						\
	 (type) < 32 && ((NP_ICMP4_ERROR_MASK >> (type)) & 1))

/* Key of "np_icmp_counts". */
struct np_icmp_count_key {
	__u32 ifindex;
	__u8 hook;		/* enum np_hook */
	__u8 family;		/* 4: ICMP, 6: ICMPv6 */
	__u8 type;
	__u8 code;
};

/*
 * Key of "np_icmp_errors": one (device, hook, reporter, type, code, quoted
 * flow). The quoted flow is as np_flow_key keys a flow (v4-mapped, host
 * order ports, ICMP type/code in sport/dport); flags NP_ICMP_Q_*.
 */
struct np_icmp_error_key {
	__u8 reporter[16];	/* source of the error: who reported it */
	__u8 src[16];		/* the quoted packet's source ... */
	__u8 dst[16];		/* ... and destination */
	__u16 sport;		/* host byte order; 0 unless NP_ICMP_Q_PORTS */
	__u16 dport;
	__u8 proto;		/* the quoted packet's IPPROTO_* */
	__u8 type;
	__u8 code;
	__u8 hook;		/* enum np_hook */
	__u32 ifindex;
	__u8 family;		/* 4 or 6 */
	__u8 flags;		/* NP_ICMP_Q_* */
	__u16 pad;
};

#define NP_ICMP_Q_ADDRS		(1u << 0)	/* the quoted IP header was read */
#define NP_ICMP_Q_PORTS		(1u << 1)	/* its ports (ICMP: type/code) too */
#define NP_ICMP_Q_FRAGMENT	(1u << 2)	/* it is a later fragment: no L4 */

struct np_icmp_error {
	__u64 packets;
	__u64 bytes;		/* frame lengths of the errors */
	__u64 first_seen;	/* bpf_ktime_get_coarse_ns(), as np_flows */
	__u64 last_seen;
	__u32 mtu;		/* frag-needed, packet-too-big: the MTU the last one said */
	__u32 pad;
};

enum np_icmp_stats_slot {
	NP_ICMP_STATS_KERNEL = 0,	/* written by the BPF programs only */
	NP_ICMP_STATS_USER = 1,		/* written by user space only (flush, detach) */
	NP_ICMP_STATS_SLOTS,
};

struct np_icmp_stats {
	__u64 inserts;		/* np_icmp_errors entries the programs made */
	__u64 insert_failures;	/* errors in no entry (np_icmp_errors refused) */
	__u64 count_failures;	/* packets in no row (np_icmp_counts full) */
	__u64 deleted;		/* np_icmp_errors entries removed (user slot) */
};

/*
 * ---- Security: port scans, SYN floods, failed connections (issues 7, 15;
 * bpf/security.bpf.c) ----
 *
 * Detection runs at TC ingress; thresholds live in the pinned
 * "np_security_config" array, alerts in the pinned "np_alerts" LRU (and
 * once, when raised, on the "np_alert_events" ring buffer as a struct
 * np_alert_event, for `netprobe watch alerts`). The per-source,
 * per-target and handshake tracking maps are private to security.bpf.c.
 */
#define NP_DEV_SECURITY		(1u << 6)

enum np_alert_kind {
	NP_ALERT_PORT_SCAN = 1,
	NP_ALERT_SYN_FLOOD = 2,
	NP_ALERT_UDP_SCAN = 3,		/* UDP datagrams to many ports */
	NP_ALERT_ACK_SCAN = 4,		/* TCP flags exactly ACK, no options */
	NP_ALERT_FIN_SCAN = 5,		/* TCP flags exactly FIN */
	NP_ALERT_NULL_SCAN = 6,		/* TCP flags none */
	NP_ALERT_XMAS_SCAN = 7,		/* TCP flags exactly FIN+PSH+URG */
	NP_ALERT_FAILED_CONN = 8,	/* SYNs of one source mostly not completed */
	NP_ALERT_KIND_MAX,
};

/* Defaults in force until `netprobe set security` (man/netprobe-security.8). */
#define NP_SEC_DEF_SCAN_PORTS		20
#define NP_SEC_DEF_SCAN_WINDOW_NS	3000000000ull
#define NP_SEC_DEF_SYN_RATE		1000
#define NP_SEC_DEF_SYN_COMPLETE		50
#define NP_SEC_DEF_FAIL_CONNS		20
#define NP_SEC_DEF_FAIL_PCT		80
#define NP_SEC_DEF_FAIL_TIMEOUT_NS	1000000000ull
/* SYN floods are measured per second: the syn-rate is SYNs per second. */
#define NP_SEC_FLOOD_WINDOW_NS		1000000000ull
/* Bits of the per-target source set used to estimate distinct sources. */
#define NP_SEC_SOURCE_BITS		512

/* Single entry of "np_security_config". BPF uses the defaults until set. */
struct np_sec_config {
	__u32 set;		/* 1 once user space wrote it */
	__u32 scan_ports;	/* distinct (dst, port) probes per window; 0 = off */
	__u64 scan_window_ns;
	__u32 syn_rate;		/* SYNs per second to one (dst, port); 0 = off */
	__u32 syn_complete_pct;	/* flood only while completed < pct% of SYNs */
	__u32 fail_conns;	/* failed attempts per source and scan window; 0 = off */
	__u32 fail_pct;		/* ... that are at least pct% of its attempts */
	__u64 fail_timeout_ns;	/* an attempt not completed by then has failed */
};

/* Key of "np_alerts": one entry per episode. */
struct np_alert_key {
	__u8 addr[16];		/* scans, failed-conn: the source; SYN flood: the target */
	__u16 port;		/* SYN flood: the target port; else 0 */
	__u8 kind;		/* enum np_alert_kind */
	__u8 pad;
	__u32 pad2;
	__u64 start_ns;		/* bpf_ktime_get_ns() when the episode began */
};

/* Value of "np_alerts" (and body of NP_EV_ALERT_RAISED). Times are ktime. */
struct np_alert {
	__u8 src[16];		/* scans, failed-conn: the source; SYN flood: first source */
	__u8 dst[16];		/* scans, failed-conn: first target; SYN flood: target */
	__u64 first_ns;
	__u64 last_ns;
	__u64 active_until_ns;	/* the episode ends here unless it goes on */
	__u64 ports;		/* port scan: distinct (dst, port); flood: 1 */
	__u64 hosts;		/* port scan: distinct destinations; flood: 1 */
	__u64 syns;		/* probes (scan), SYNs (flood), attempts (failed-conn) */
	__u64 completed;	/* flood, failed-conn: handshakes completed in the episode */
	__u64 peak;		/* most ports (scan), SYNs (flood), failures (failed-conn)
				 * in one window */
	__u64 window_ns;	/* the window peak was counted in */
	__u64 src_bits[NP_SEC_SOURCE_BITS / 64];	/* SYN flood: hashed sources */
	__u32 ifindex;		/* device that saw the packet that raised it */
	__u16 dport;		/* SYN flood: target port */
	__u8 kind;		/* enum np_alert_kind */
	__u8 pad;
};

/*
 * ---- Overlays (issue 6: VXLAN; issue 15: Geneve, IP-in-IP) ----
 * bpf/vxlan.bpf.c, src/cmd/attach_vxlan.c, src/cmd/show_vxlan.c. The maps
 * keep their np_vxlan_ names; a row's type says which overlay it is.
 */

/* Values of np_vxlan_ports and the type of tunnel keys and inner flows. */
enum np_tunnel_type {
	NP_TUN_VXLAN = 1,	/* UDP, RFC 7348 */
	NP_TUN_GENEVE = 2,	/* UDP, RFC 8926 */
	NP_TUN_IPIP = 3,	/* IP protocol 4 (IPv4) or 41 (IPv6) in IPv4 or IPv6 */
};

/* np_device.hooks bits of the vxlan probe (TC on the underlay device). */
#define NP_DEV_VXLAN_INGRESS	(1u << 3)
#define NP_DEV_VXLAN_EGRESS	(1u << 4)

#define NP_VXLAN_PORT_IANA	4789	/* RFC 7348 */
#define NP_VXLAN_PORT_LINUX	8472	/* Linux default, Flannel */
#define NP_GENEVE_PORT		6081	/* RFC 8926: Cilium, OVN */
#define NP_VXLAN_PORTS_MAX	4096	/* entries of np_vxlan_ports, all devices */
#define NP_VXLAN_TUNNELS_MAX	16384
#define NP_VXLAN_FLOWS_DEFAULT	65536

/* Key of the pinned "np_vxlan_ports" hash: UDP ports parsed as VXLAN or
 * Geneve on a device; the value (__u8) is the enum np_tunnel_type. */
struct np_vxlan_port_key {
	__u32 ifindex;
	__u16 port;		/* host byte order */
	__u16 pad;
};

/* Key of the pinned per-CPU "np_vxlan_tunnels" LRU hash. */
struct np_vxlan_tunnel_key {
	__u8 src[16];		/* outer source, v4-mapped for IPv4 */
	__u8 dst[16];		/* outer destination */
	__u32 vni;		/* VXLAN and Geneve; 0 for IP-in-IP */
	__u32 ifindex;		/* underlay device */
	__u8 dir;		/* enum np_hook: NP_HOOK_TC_INGRESS or _EGRESS */
	__u8 type;		/* enum np_tunnel_type */
	__u16 pad;
};

struct np_vxlan_tunnel {
	__u64 packets;
	__u64 bytes;		/* outer frames, Ethernet header and VLAN tags included */
	__u64 last_seen;	/* bpf_ktime_get_ns() */
	/* Geneve only: */
	__u64 opt_bytes;	/* bytes of options (opt_len * 4), summed */
	__u64 oam;		/* packets with the O (control) bit */
	__u64 critical;		/* packets with the C (critical options) bit */
};

/*
 * Key of the pinned "np_vxlan_flows" LRU hash: an inner flow as the flow
 * table keys it (inner.ifindex/inner.dir: the underlay device and hook),
 * plus the tunnel that carried it.
 */
struct np_vxlan_flow_key {
	struct np_flow_key inner;
	__u8 outer_src[16];
	__u8 outer_dst[16];
	__u32 vni;
	__u8 type;		/* enum np_tunnel_type */
	__u8 pad[3];
};

struct np_vxlan_flow {
	__u64 packets;
	__u64 bytes;		/* inner frames, inner Ethernet header included (IP-in-IP
				 * and Geneve without one: the inner IP packet) */
	__u64 first_seen;
	__u64 last_seen;
	__u32 tcp_flags;	/* OR of the inner TCP flags */
	__u32 pad;
};

/* Per device and hook counters ("np_vxlan_counters", per-CPU, np_stats_key). */
enum np_vxlan_counter {
	NP_VXC_PACKETS,		/* well-formed tunnel packets, every type (np_vxlan_tunnels') */
	NP_VXC_BYTES,
	NP_VXC_INNER_IPV4,
	NP_VXC_INNER_IPV6,
	NP_VXC_INNER_ARP,	/* counted in the tunnel, no inner flow */
	NP_VXC_INNER_OTHER,	/* other ethertypes or a truncated inner header: no flow */
	NP_VXC_FLOWS_NEW,	/* inner flows created in np_vxlan_flows */
	NP_VXC_BAD_FLAGS,	/* I flag (0x08) missing: not counted in any tunnel */
	NP_VXC_SHORT,		/* UDP/VXLAN/inner Ethernet header cut short */
	NP_VXC_OUTER_FRAG,	/* outer first fragment of a tunnel packet: not parsed */
	NP_VXC_CSUM_ZERO,	/* outer UDP checksum 0 (not used) */
	NP_VXC_CSUM_OK,		/* verified by netprobe */
	NP_VXC_CSUM_BAD,	/* verified by netprobe: wrong */
	NP_VXC_CSUM_TRUSTED,	/* kernel marks it verified (UNNECESSARY) or pending (PARTIAL) */
	NP_VXC_CSUM_UNCHECKED,	/* datagram larger than netprobe verifies */
	NP_VXC_GENEVE_PACKETS,	/* well-formed Geneve packets (in NP_VXC_PACKETS too) */
	NP_VXC_GENEVE_OPTIONS,	/* ... with options (opt_len > 0) */
	NP_VXC_GENEVE_OAM,	/* ... with the O bit */
	NP_VXC_GENEVE_CRITICAL,	/* ... with the C bit */
	NP_VXC_GENEVE_BAD_VERSION, /* version not 0: not counted in any tunnel */
	NP_VXC_GENEVE_SHORT,	/* UDP/Geneve header/options/inner header cut short */
	NP_VXC_IPIP_PACKETS,	/* well-formed IP-in-IP packets (in NP_VXC_PACKETS too) */
	NP_VXC_IPIP_BAD,	/* inner IP header cut short, or not of protocol 4/41's version */
	NP_VXC_MAX,
};

struct np_vxlan_counters {
	__u64 v[NP_VXC_MAX];
};


/*
 * ---- Events (ring buffers) ----
 *
 * Every ring buffer record starts with struct np_event_hdr; the type says
 * which body follows. np_events carries the socket probe's records; another
 * feature may publish its own types on a ring buffer of its own with the
 * same header, and `netprobe watch` reads any of them (src/cmd/watch.c).
 */
enum np_event_type {
	NP_EV_TCP_CONNECT = 1,	/* outgoing connection established */
	NP_EV_TCP_ACCEPT = 2,	/* incoming connection established */
	NP_EV_TCP_CLOSE = 3,	/* connection reached CLOSE */
	/* 16-31: alerts of the security probe, on np_alert_events */
	NP_EV_ALERT_FIRST = 16,
	NP_EV_ALERT_RAISED = 16,	/* an episode began: struct np_alert_event */
	NP_EV_ALERT_LAST = 31,
};

struct np_event_hdr {
	__u16 type;		/* enum np_event_type */
	__u16 size;		/* bytes of the whole record, header included */
	__u32 netns;		/* network namespace inode, 0 if not known */
	__u64 ts_ns;		/* bpf_ktime_get_ns() */
};

/*
 * Record of "np_alert_events": an alert as np_alerts held it when it was
 * raised (hdr.ts_ns = alert.last_ns). Alerts are rare, so they are
 * published whether or not anybody watches (no beat map).
 */
struct np_alert_event {
	struct np_event_hdr hdr;
	struct np_alert alert;
};

/*
 * A reader is present: `netprobe watch` writes bpf_ktime_get_ns()-clock
 * time (CLOCK_MONOTONIC) into the single __u64 of the ring buffer's
 * "<ring>_beat" array at least every NP_WATCH_BEAT_NS / 4. Producers skip
 * events when the beat is older than NP_WATCH_BEAT_NS: nobody would read
 * them, and a full buffer would only make lost-event counts meaningless.
 */
#define NP_WATCH_BEAT_NS	1000000000ull

/*
 * ---- TCP connections (socket probe, issue 4) ----
 */
#define NP_CONN_MAX		65536	/* entries of np_conns (LRU) */
#define NP_TCP_NETNS_MAX	4096	/* entries of np_tcp_totals (LRU) */
#define NP_EVENTS_BYTES		(1u << 20)
#define NP_COMM_LEN		16

/* Bits of np_conn.flags. */
#define NP_CONN_ACTIVE		(1u << 0)	/* opened by connect() here */
#define NP_CONN_PASSIVE		(1u << 1)	/* accepted from a listener here */
#define NP_CONN_PID_IO		(1u << 2)	/* pid: first task that sent/received */
#define NP_CONN_MIDLIFE		(1u << 3)	/* first seen after it opened */

/*
 * Value of the pinned LRU hash "np_conns", keyed by the socket cookie
 * (__u64, unique for the boot). Closed connections stay until evicted.
 * Counters are the kernel's own (tcp_sock), copied at each state change,
 * retransmission, send and receive of the connection.
 */
struct np_conn {
	__u8 saddr[16];		/* local; IPv4 stored v4-mapped */
	__u8 daddr[16];		/* remote */
	__u16 sport;		/* local port, host byte order */
	__u16 dport;		/* remote port, host byte order */
	__u16 family;		/* AF_INET or AF_INET6 of the socket */
	__u8 state;		/* TCP state, kernel numbering (TCP_ESTABLISHED = 1) */
	__u8 flags;		/* NP_CONN_* */
	__u32 netns;		/* network namespace inode */
	__u32 pid;		/* process (tgid); 0 = not known */
	char comm[NP_COMM_LEN];	/* "" = not known */
	__u64 opened_ns;	/* bpf_ktime_get_ns(); 0 = before the probe */
	__u64 closed_ns;	/* 0 = still open */
	__u64 bytes_sent;	/* tcp_sock.bytes_acked without SYN and FIN */
	__u64 bytes_received;	/* tcp_sock.bytes_received without FIN */
	__u32 srtt_us;		/* tcp_sock.srtt_us >> 3 */
	__u32 retransmits;	/* tcp_sock.total_retrans (segments) */
	__u32 retrans_counted;	/* part of retransmits added to np_tcp_totals */
	__u16 resets_sent;
	__u16 resets_received;
};

/* Body of NP_EV_TCP_* records in np_events. */
struct np_sock_event {
	struct np_event_hdr hdr;
	__u64 cookie;
	__u8 oldstate;		/* state before the change that made the event */
	__u8 pad[7];
	struct np_conn conn;
};

/*
 * Value of the pinned per-CPU LRU hash "np_tcp_totals", keyed by network
 * namespace inode (__u32). Same meaning as the kernel's Tcp MIB where one
 * exists (ActiveOpens, PassiveOpens, RetransSegs, OutRsts).
 */
struct np_tcp_totals {
	__u64 active_opens;	/* CLOSE -> SYN_SENT: connect() */
	__u64 passive_opens;	/* LISTEN -> SYN_RECV: accepted */
	__u64 closed;		/* connections that reached CLOSE */
	__u64 retrans_segs;	/* segments retransmitted (SYN-ACKs included) */
	__u64 resets_sent;
	__u64 resets_received;
	__u64 events_lost;	/* np_events was full while a reader was present */
};

#endif /* NETPROBE_H */
