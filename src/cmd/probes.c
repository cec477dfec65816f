// SPDX-License-Identifier: GPL-2.0
/*
 * The probe table: the one list that attach, detach, their synopsis and
 * help, and the device layer's hooks are made from, and that the man pages
 * and the bash completion are checked against (tests/bats/help.bats).
 *
 * A device probe lists its hooks: the pin name, the kind, its NP_DEV_* bit
 * of np_device.hooks (bpf/netprobe.h; each bit belongs to one hook) and,
 * for TC hooks, the clsact filter priority (one per probe and direction).
 */
#include "lib/link.h"
#include "lib/probe.h"

/* The probes' own files: attach_traffic.c, attach_vxlan.c, attach_security.c,
 * attach_drops.c, attach_netfilter.c, attach_socket.c. */
np_probe_attach_fn np_attach_tc, np_attach_xdp, np_attach_vxlan, np_attach_security;
np_probe_detach_fn np_detach_vxlan;
np_probe_attach_fn np_attach_drops, np_attach_netfilter, np_attach_socket;

/* The clsact filter priority of the nth probe with TC hooks (0x6e70 + n). */
#define TC_PRIO(n) (NP_TC_PRIORITY + (n))

const struct np_probe np_probes[] = {
	{
		.name = "tc",
		.per_device = true,
		.in_all = true,
		.help = "TC ingress + egress counters and flows (TCX, or clsact on older kernels)",
		.options = NP_OPT_TC_MODE | NP_OPT_FLOWS,
		.hooks = {
			{ "tc_ingress", NP_KIND_TC_INGRESS, NP_DEV_TC_INGRESS, TC_PRIO(0) },
			{ "tc_egress", NP_KIND_TC_EGRESS, NP_DEV_TC_EGRESS, TC_PRIO(0) },
		},
		.attach = np_attach_tc,
		.detach = np_probe_detach_hooks,
	},
	{
		.name = "xdp",
		.per_device = true,
		.in_all = false,
		.help = "XDP ingress counters and flows (native, else generic)",
		.options = NP_OPT_MODE | NP_OPT_FLOWS,
		.hooks = {
			{ "xdp", NP_KIND_XDP, NP_DEV_XDP, 0 },
		},
		.attach = np_attach_xdp,
		.detach = np_probe_detach_hooks,
	},
	{
		.name = "vxlan",
		.per_device = true,
		.in_all = true,
		.help = "overlay tunnels and inner flows on the underlay: VXLAN "
			"(UDP 4789, 8472, vxlan-port N), Geneve (6081, geneve-port N), IP-in-IP",
		.options = NP_OPT_TC_MODE | NP_OPT_FLOWS | NP_OPT_VXLAN_PORT | NP_OPT_GENEVE_PORT,
		.hooks = {
			{ "vxlan_ingress", NP_KIND_TC_INGRESS, NP_DEV_VXLAN_INGRESS, TC_PRIO(1) },
			{ "vxlan_egress", NP_KIND_TC_EGRESS, NP_DEV_VXLAN_EGRESS, TC_PRIO(1) },
		},
		.attach = np_attach_vxlan,
		.detach = np_detach_vxlan,
	},
	{
		.name = "drops",
		.per_device = false,
		.help = "packets the kernel drops, with its reason (skb:kfree_skb)",
		.attach = np_attach_drops,
	},
	{
		.name = "netfilter",
		.per_device = false,
		.help = "packets and bytes per netfilter hook of this netns (kernel 6.4+)",
		.attach = np_attach_netfilter,
	},
	{
		.name = "security",
		.per_device = true,
		.in_all = true,
		.help = "port scans (TCP, UDP), SYN floods and failed connections "
			"at TC ingress (alerts)",
		.options = NP_OPT_TC_MODE,
		.hooks = {
			{ "security_ingress", NP_KIND_TC_INGRESS, NP_DEV_SECURITY, TC_PRIO(2) },
		},
		.attach = np_attach_security,
		.detach = np_probe_detach_hooks,
	},
	{
		.name = "socket",
		.per_device = false,
		.in_all = false,
		.help = "TCP connections: lifecycle, process, bytes, RTT, retransmits, resets",
		.attach = np_attach_socket,
	},
	{ 0 },
};

_Static_assert(ARRAY_SIZE(np_probes) - 1 <= NP_PROBES_MAX, "raise NP_PROBES_MAX");
