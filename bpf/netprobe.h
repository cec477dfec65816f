/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Types shared by the BPF programs and user space. __u* types only: this
 * header is included both after vmlinux.h (BPF side) and after
 * <linux/types.h> (user side).
 */
#ifndef NETPROBE_H
#define NETPROBE_H

/* Bump when any pinned map's key or value layout changes. */
#define NP_LAYOUT_VERSION	1

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

/* Key of the pinned per-CPU "np_stats" hash. */
struct np_stats_key {
	__u32 ifindex;
	__u32 hook;		/* enum np_hook */
};

struct np_counter {
	__u64 packets;
	__u64 bytes;
};

/*
 * Value of the pinned "np_devices" hash, keyed by interface name
 * (char[NP_IFNAMSIZ]). Written by user space only: it records what an
 * attach did so that status and detach can tell and undo it exactly.
 */
struct np_device {
	__u32 ifindex;
	__u32 hooks;		/* NP_DEV_* bits */
	__u32 xdp_mode;		/* enum np_xdp_mode */
	__u32 tc_mode;		/* enum np_tc_mode */
	__u32 clsact_created;	/* 1 if netprobe created the clsact qdisc */
	__u32 pad;
	__u64 attached_ns;	/* CLOCK_REALTIME, ns */
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
	__u16 pad;
	__u32 ifindex;
};

/* ---- VXLAN overlays (issue 6): bpf/vxlan.bpf.c, src/cmd/attach_vxlan.c ---- */

/* np_device.hooks bits of the vxlan probe (TC on the underlay device). */
#define NP_DEV_VXLAN_INGRESS	(1u << 3)
#define NP_DEV_VXLAN_EGRESS	(1u << 4)

#define NP_VXLAN_PORT_IANA	4789	/* RFC 7348 */
#define NP_VXLAN_PORT_LINUX	8472	/* Linux default, Flannel */
#define NP_VXLAN_PORTS_MAX	4096	/* entries of np_vxlan_ports, all devices */
#define NP_VXLAN_TUNNELS_MAX	16384
#define NP_VXLAN_FLOWS_DEFAULT	65536

/* Key of the pinned "np_vxlan_ports" hash: UDP ports parsed as VXLAN on a device. */
struct np_vxlan_port_key {
	__u32 ifindex;
	__u16 port;		/* host byte order */
	__u16 pad;
};

/* Key of the pinned per-CPU "np_vxlan_tunnels" LRU hash. */
struct np_vxlan_tunnel_key {
	__u8 src[16];		/* outer source, v4-mapped for IPv4 */
	__u8 dst[16];		/* outer destination */
	__u32 vni;
	__u32 ifindex;		/* underlay device */
	__u32 dir;		/* enum np_hook: NP_HOOK_TC_INGRESS or _EGRESS */
};

struct np_vxlan_tunnel {
	__u64 packets;
	__u64 bytes;		/* outer frames, Ethernet header and VLAN tags included */
	__u64 last_seen;	/* bpf_ktime_get_ns() */
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
	__u32 pad;
};

struct np_vxlan_flow {
	__u64 packets;
	__u64 bytes;		/* inner frames, inner Ethernet header included */
	__u64 first_seen;
	__u64 last_seen;
	__u32 tcp_flags;	/* OR of the inner TCP flags */
	__u32 pad;
};

/* Per device and hook counters ("np_vxlan_counters", per-CPU, np_stats_key). */
enum np_vxlan_counter {
	NP_VXC_PACKETS,		/* well-formed VXLAN packets (these make np_vxlan_tunnels) */
	NP_VXC_BYTES,
	NP_VXC_INNER_IPV4,
	NP_VXC_INNER_IPV6,
	NP_VXC_INNER_ARP,	/* counted in the tunnel, no inner flow */
	NP_VXC_INNER_OTHER,	/* other ethertypes or a truncated inner header: no flow */
	NP_VXC_FLOWS_NEW,	/* inner flows created in np_vxlan_flows */
	NP_VXC_BAD_FLAGS,	/* I flag (0x08) missing: not counted in any tunnel */
	NP_VXC_SHORT,		/* UDP/VXLAN/inner Ethernet header cut short */
	NP_VXC_OUTER_FRAG,	/* outer IPv4 first fragment to a VXLAN port: not parsed */
	NP_VXC_CSUM_ZERO,	/* outer UDP checksum 0 (not used) */
	NP_VXC_CSUM_OK,		/* verified by netprobe */
	NP_VXC_CSUM_BAD,	/* verified by netprobe: wrong */
	NP_VXC_CSUM_TRUSTED,	/* kernel marks it verified (UNNECESSARY) or pending (PARTIAL) */
	NP_VXC_CSUM_UNCHECKED,	/* datagram larger than netprobe verifies */
	NP_VXC_MAX,
};

struct np_vxlan_counters {
	__u64 v[NP_VXC_MAX];
};

#endif /* NETPROBE_H */
