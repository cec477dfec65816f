// SPDX-License-Identifier: GPL-2.0
/*
 * The command table: the one list that help, the man page and the bash
 * completion are checked against (tests/bats/help.bats).
 */
#include "lib/cmd.h"

int cmd_attach(struct np_ctx *ctx, int argc, char **argv);
int cmd_detach(struct np_ctx *ctx, int argc, char **argv);
const char *np_attach_synopsis(void);
const char *np_detach_synopsis(void);
int cmd_status(struct np_ctx *ctx, int argc, char **argv);
int cmd_show_stats(struct np_ctx *ctx, int argc, char **argv);
int cmd_show_drops(struct np_ctx *ctx, int argc, char **argv);
int cmd_show_icmp(struct np_ctx *ctx, int argc, char **argv);
int cmd_flush_icmp(struct np_ctx *ctx, int argc, char **argv);
const char *np_show_icmp_synopsis(void);
int cmd_show_netfilter(struct np_ctx *ctx, int argc, char **argv);
int cmd_show_sockets(struct np_ctx *ctx, int argc, char **argv);
int cmd_watch_sockets(struct np_ctx *ctx, int argc, char **argv);
int cmd_flush_stats(struct np_ctx *ctx, int argc, char **argv);
int cmd_show_flows(struct np_ctx *ctx, int argc, char **argv);
int cmd_flush_flows(struct np_ctx *ctx, int argc, char **argv);
int cmd_flush_drops(struct np_ctx *ctx, int argc, char **argv);
int cmd_flush_netfilter(struct np_ctx *ctx, int argc, char **argv);
int cmd_flush_vxlan(struct np_ctx *ctx, int argc, char **argv);
int cmd_flush_sockets(struct np_ctx *ctx, int argc, char **argv);
int cmd_flush_all(struct np_ctx *ctx, int argc, char **argv);
int cmd_dump(struct np_ctx *ctx, int argc, char **argv);
int cmd_feature(struct np_ctx *ctx, int argc, char **argv);
int cmd_version(struct np_ctx *ctx, int argc, char **argv);
int cmd_show_alerts(struct np_ctx *ctx, int argc, char **argv);
int cmd_show_security(struct np_ctx *ctx, int argc, char **argv);
int cmd_set_security(struct np_ctx *ctx, int argc, char **argv);
int cmd_flush_alerts(struct np_ctx *ctx, int argc, char **argv);
int cmd_watch_alerts(struct np_ctx *ctx, int argc, char **argv);
int cmd_show_vxlan(struct np_ctx *ctx, int argc, char **argv);
int cmd_show_topology(struct np_ctx *ctx, int argc, char **argv);
const char *np_show_flows_synopsis(void);
int cmd_show_graph(struct np_ctx *ctx, int argc, char **argv);
const char *np_show_graph_synopsis(void);
const char *np_show_drops_synopsis(void);
const char *np_show_netfilter_synopsis(void);
const char *np_show_alerts_synopsis(void);
const char *np_watch_alerts_synopsis(void);
const char *np_show_sockets_synopsis(void);
const char *np_watch_sockets_synopsis(void);
const char *np_show_vxlan_synopsis(void);
int cmd_show_all(struct np_ctx *ctx, int argc, char **argv);
int cmd_show_pods(struct np_ctx *ctx, int argc, char **argv);
int cmd_show_services(struct np_ctx *ctx, int argc, char **argv);
int cmd_query_ip(struct np_ctx *ctx, int argc, char **argv);
int cmd_show_k8s(struct np_ctx *ctx, int argc, char **argv);
int cmd_k8s_sync(struct np_ctx *ctx, int argc, char **argv);
const char *np_show_pods_synopsis(void);
int cmd_export_ipfix(struct np_ctx *ctx, int argc, char **argv);
const char *np_show_services_synopsis(void);

static const struct np_cmd show_cmds[] = {
	{ "stats", cmd_show_stats, NULL, "[proto] [dev DEV] [interval SEC [count N]]",
	  "per-device packets and bytes, and rates; proto: by L3 and L4 protocol", NP_CMD_PROM,
	  NULL },
	{ "flows", cmd_show_flows, NULL, NULL, "flows: who talks to whom, how much", NP_CMD_PROM,
	  np_show_flows_synopsis },
	{ "graph", cmd_show_graph, NULL, NULL,
	  "who talks to whom as a graph: Graphviz DOT (-j: nodes and edges)", 0,
	  np_show_graph_synopsis },
	{ "drops", cmd_show_drops, NULL, NULL,
	  "packets the kernel dropped, by reason (flows: by 5-tuple)", NP_CMD_PROM,
	  np_show_drops_synopsis },
	{ "icmp", cmd_show_icmp, NULL, NULL,
	  "ICMP and ICMPv6 per type and code (errors: by reporter and the flow they quote)",
	  NP_CMD_PROM, np_show_icmp_synopsis },
	{ "netfilter", cmd_show_netfilter, NULL, NULL,
	  "packets and bytes per netfilter hook and family", NP_CMD_PROM,
	  np_show_netfilter_synopsis },
	{ "alerts", cmd_show_alerts, NULL, NULL,
	  "port scans, SYN floods, failed connections the kernel detected", NP_CMD_PROM,
	  np_show_alerts_synopsis },
	{ "security", cmd_show_security, NULL, NULL, "detection thresholds in force", 0, NULL },
	{ "vxlan", cmd_show_vxlan, NULL, NULL,
	  "overlay tunnels (VXLAN, Geneve, IP-in-IP), their inner flows, or parse counters",
	  NP_CMD_PROM, np_show_vxlan_synopsis },
	{ "topology", cmd_show_topology, NULL, NULL,
	  "vxlan devices, remote VTEPs and pod CIDRs (rtnetlink, subnet.env)", NP_CMD_PROM, NULL },
	{ "all", cmd_show_all, NULL, NULL,
	  "every Prometheus series netprobe has, in one document (--prom only)", NP_CMD_PROM, NULL },
	{ "sockets", cmd_show_sockets, NULL, NULL,
	  "active and recently closed TCP connections (totals: per network namespace)", 0,
	  np_show_sockets_synopsis },
	{ "pods", cmd_show_pods, NULL, NULL,
	  "Kubernetes pods of this node (runtime bundles, CNI cache, IPAM)", 0,
	  np_show_pods_synopsis },
	{ "services", cmd_show_services, NULL, NULL,
	  "Kubernetes service ports and endpoints (kube-proxy's rules)", 0,
	  np_show_services_synopsis },
	{ "k8s", cmd_show_k8s, NULL, "[pods | services]",
	  "packets, bytes and flows per Kubernetes class, pod or service, counted in the kernel",
	  NP_CMD_PROM, NULL },
	{ 0 },
};

static const struct np_cmd flush_cmds[] = {
	{ "stats", cmd_flush_stats, NULL, "[dev DEV]", "zero the traffic counters", 0, NULL },
	{ "flows", cmd_flush_flows, NULL, NULL, "empty the flow table", 0, NULL },
	{ "icmp", cmd_flush_icmp, NULL, NULL, "empty the ICMP counters and errors", 0, NULL },
	{ "alerts", cmd_flush_alerts, NULL, NULL, "forget alerts and detection state", 0, NULL },
	{ "drops", cmd_flush_drops, NULL, NULL, "empty the drop counters and dropped flows", 0, NULL },
	{ "netfilter", cmd_flush_netfilter, NULL, NULL, "zero the netfilter hook counters", 0, NULL },
	{ "vxlan", cmd_flush_vxlan, NULL, NULL, "empty the tunnels, inner flows and counters", 0, NULL },
	{ "sockets", cmd_flush_sockets, NULL, NULL, "forget connections and TCP totals", 0, NULL },
	{ "all", cmd_flush_all, NULL, NULL, "every table at once; hooks and settings stay", 0, NULL },
	{ 0 },
};

static const struct np_cmd watch_cmds[] = {
	{ "alerts", cmd_watch_alerts, NULL, NULL, "alerts live, as they are raised", 0,
	  np_watch_alerts_synopsis },
	{ "sockets", cmd_watch_sockets, NULL, NULL, "live TCP connect, accept and close events", 0,
	  np_watch_sockets_synopsis },
	{ 0 },
};

static const struct np_cmd query_cmds[] = {
	{ "ip", cmd_query_ip, NULL, "ADDR [port N] [proto P]",
	  "which pod, service or node an address is", 0, NULL },
	{ 0 },
};

static const struct np_cmd k8s_cmds[] = {
	{ "sync", cmd_k8s_sync, NULL, NULL,
	  "write the cluster's prefixes into the kernel's class trie", 0, NULL },
	{ 0 },
};

static const struct np_cmd set_cmds[] = {
	{ "security", cmd_set_security, NULL,
	  "[scan-ports N] [scan-window SEC] [syn-rate N] [syn-complete PCT] [fail-conns N] "
	  "[fail-pct PCT] [fail-timeout SEC]",
	  "detection thresholds, in force at once", 0, NULL },
	{ 0 },
};

static const struct np_cmd export_cmds[] = {
	{ "ipfix", cmd_export_ipfix, NULL, "HOST:PORT [proto udp|tcp] [k8s]",
	  "send the flows that moved since the last export to an IPFIX collector", 0, NULL },
	{ 0 },
};

const struct np_cmd np_commands[] = {
	/* Synopsis, help and -j attach help's probe rows: from src/cmd/probes.c. */
	{ "attach", cmd_attach, NULL, NULL, "load, attach and pin programs", NP_CMD_OWN_JSON_HELP,
	  np_attach_synopsis },
	{ "detach", cmd_detach, NULL, NULL, "remove links and pins", 0, np_detach_synopsis },
	{ "status", cmd_status, NULL, NULL, "what is attached where", 0, NULL },
	{ "show", NULL, show_cmds, NULL, NULL, 0, NULL },
	{ "flush", NULL, flush_cmds, NULL, NULL, 0, NULL },
	{ "watch", NULL, watch_cmds, NULL, NULL, 0, NULL },
	{ "set", NULL, set_cmds, NULL, NULL, 0, NULL },
	{ "query", NULL, query_cmds, NULL, NULL, 0, NULL },
	{ "k8s", NULL, k8s_cmds, NULL, NULL, 0, NULL },
	{ "export", NULL, export_cmds, NULL, NULL, 0, NULL },
	{ "dump", cmd_dump, NULL, "[maps|progs|links]", "raw pinned maps, programs, links", 0, NULL },
	{ "feature", cmd_feature, NULL, NULL, "what this kernel supports", NP_CMD_PROM, NULL },
	{ "version", cmd_version, NULL, NULL, "version information", 0, NULL },
	{ 0 },
};
