// SPDX-License-Identifier: GPL-2.0
/*
 * netprobe show topology
 *
 * The overlay as this node sees it, from rtnetlink and Flannel's
 * subnet.env (src/lib/overlay.h): the vxlan devices, the remote VTEPs of
 * their FDBs, and the pod CIDRs routed through them. Needs no attached
 * probe and no pins: it reads the current network namespace. What is
 * wrong with subnet.env is a warning; the rest is still printed.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <linux/neighbour.h>

#include "lib/cmd.h"
#include "lib/inet.h"
#include "lib/out.h"
#include "lib/overlay.h"

enum { D_NAME, D_IFINDEX, D_VNI, D_PORT, D_LOCAL, D_UNDERLAY, D_MAC, D_MTU, D_LEARNING,
       D_VTEPS, D_ROUTES };

static const struct np_col dev_cols[] = {
	[D_NAME] = { "interface", "DEVICE", -12, NP_K_STR, NP_P_LABEL },
	[D_IFINDEX] = { "ifindex", NULL, 0, NP_K_U64 },
	[D_VNI] = { "vni", "VNI", 8, NP_K_U64, NP_P_LABEL },
	[D_PORT] = { "dstport", "PORT", 6, NP_K_U64 },
	[D_LOCAL] = { "local", "LOCAL", -16, NP_K_STR, NP_P_LABEL },
	[D_UNDERLAY] = { "underlay", "UNDERLAY", -10, NP_K_STR },
	[D_MAC] = { "mac", "MAC", -17, NP_K_STR },
	[D_MTU] = { "mtu", "MTU", 5, NP_K_U64 },
	[D_LEARNING] = { "learning", NULL, 0, NP_K_BOOL },
	[D_VTEPS] = { "remote_vtep_count", "VTEPS", 6, NP_K_U64, NP_P_GAUGE,
		      "netprobe_vxlan_remote_vteps", "Remote VTEPs in the FDB of a vxlan device." },
	[D_ROUTES] = { "pod_route_count", "ROUTES", 7, NP_K_U64, NP_P_GAUGE,
		       "netprobe_vxlan_pod_routes", "Routes through a vxlan device." },
};

enum { V_DEV, V_VNI, V_MAC, V_REMOTE, V_CIDR, V_GW, V_STATE };

static const struct np_col vtep_cols[] = {
	[V_DEV] = { "interface", "DEVICE", -12, NP_K_STR },
	[V_VNI] = { "vni", "VNI", 8, NP_K_U64 },
	[V_MAC] = { "mac", "VTEP MAC", -17, NP_K_STR },
	[V_REMOTE] = { "remote", "NODE IP", -16, NP_K_STR },
	[V_CIDR] = { "pod_cidr", "POD CIDR", -18, NP_K_STR },
	[V_GW] = { "gateway", NULL, 0, NP_K_STR },
	[V_STATE] = { "state", NULL, 0, NP_K_STR },
};

enum { R_DEV, R_CIDR, R_GW, R_ONLINK, R_MAC, R_REMOTE, R_TABLE };

static const struct np_col route_cols[] = {
	[R_DEV] = { "interface", "DEVICE", -12, NP_K_STR },
	[R_CIDR] = { "pod_cidr", "POD CIDR", -18, NP_K_STR },
	[R_GW] = { "gateway", "GATEWAY", -16, NP_K_STR },
	[R_ONLINK] = { "onlink", "ONLINK", -6, NP_K_BOOL },
	[R_MAC] = { "vtep_mac", "VTEP MAC", -17, NP_K_STR },
	[R_REMOTE] = { "remote", "NODE IP", -16, NP_K_STR },
	[R_TABLE] = { "table", NULL, 0, NP_K_U64 },
};

static const char *ud_state(__u16 state)
{
	if (state & NUD_PERMANENT)
		return "permanent";
	if (state & NUD_NOARP)
		return "noarp";
	if (state & NUD_REACHABLE)
		return "reachable";
	if (state & NUD_STALE)
		return "stale";
	return "other";
}

static void print_devices(struct np_ctx *ctx, const struct np_overlay *ov)
{
	struct np_out *o = ctx->out;
	char buf[64];

	out_table_begin(o, "vxlan_devices", dev_cols, ARRAY_SIZE(dev_cols), NP_LAYOUT_TABLE);
	for (int i = 0; i < ov->nlinks; i++) {
		const struct np_vxlan_link *l = &ov->links[i];
		int vteps = 0, routes = 0;

		for (int j = 0; j < ov->nfdb; j++)
			vteps += ov->fdb[j].ifindex == l->ifindex;
		for (int j = 0; j < ov->nroutes; j++)
			routes += ov->routes[j].ifindex == l->ifindex;
		out_row_begin(o);
		out_str(o, D_NAME, l->name);
		out_u64(o, D_IFINDEX, l->ifindex);
		out_u64(o, D_VNI, l->vni);
		out_u64(o, D_PORT, l->port);
		if (l->has_local)
			out_str(o, D_LOCAL, np_addr_str(l->local, buf, sizeof(buf)));
		if (l->underlay && if_indextoname(l->underlay, buf))
			out_str(o, D_UNDERLAY, buf);
		out_str(o, D_MAC, np_overlay_mac_str(l->mac, buf, sizeof(buf)));
		out_u64(o, D_MTU, l->mtu);
		out_bool(o, D_LEARNING, l->learning);
		out_u64(o, D_VTEPS, vteps);
		out_u64(o, D_ROUTES, routes);
		out_row_end(o);
	}
	out_table_end(o);
}

static const char *link_name(const struct np_overlay *ov, int ifindex)
{
	for (int i = 0; i < ov->nlinks; i++)
		if (ov->links[i].ifindex == ifindex)
			return ov->links[i].name;
	return NULL;
}

static __u32 link_vni(const struct np_overlay *ov, int ifindex)
{
	for (int i = 0; i < ov->nlinks; i++)
		if (ov->links[i].ifindex == ifindex)
			return ov->links[i].vni;
	return 0;
}

static void print_vteps(struct np_ctx *ctx, const struct np_overlay *ov)
{
	struct np_out *o = ctx->out;
	char buf[64], cidrs[NP_OVERLAY_CIDRS_LEN], gws[NP_OVERLAY_CIDRS_LEN];
	const char *items[NP_OVERLAY_CIDRS_MAX];

	out_table_begin(o, "remote_vteps", vtep_cols, ARRAY_SIZE(vtep_cols), NP_LAYOUT_TABLE);
	for (int i = 0; i < ov->nfdb; i++) {
		const struct np_fdb *e = &ov->fdb[i];

		np_overlay_cidrs(ov, e->ifindex, e->mac, cidrs, sizeof(cidrs), gws, sizeof(gws));
		out_row_begin(o);
		out_str(o, V_DEV, link_name(ov, e->ifindex));
		out_u64(o, V_VNI, e->vni ? e->vni : link_vni(ov, e->ifindex));
		out_str(o, V_MAC, np_overlay_mac_str(e->mac, buf, sizeof(buf)));
		out_str(o, V_REMOTE, np_addr_str(e->dst, buf, sizeof(buf)));
		out_strv(o, V_CIDR, items, np_overlay_split(cidrs, items, NP_OVERLAY_CIDRS_MAX));
		out_strv(o, V_GW, items, np_overlay_split(gws, items, NP_OVERLAY_CIDRS_MAX));
		out_str(o, V_STATE, ud_state(e->state));
		out_row_end(o);
	}
	out_table_end(o);
}

/* The FDB entry of the VTEP whose MAC the neighbour table gives for gw. */
static void route_vtep(const struct np_overlay *ov, const struct np_route *r,
		       const struct np_neigh **ne, const struct np_fdb **fdb)
{
	*ne = NULL;
	*fdb = NULL;
	for (int i = 0; i < ov->nneigh && !*ne && r->has_gw; i++)
		if (ov->neigh[i].ifindex == r->ifindex && !memcmp(ov->neigh[i].ip, r->gw, 16))
			*ne = &ov->neigh[i];
	for (int i = 0; i < ov->nfdb && *ne && !*fdb; i++)
		if (ov->fdb[i].ifindex == r->ifindex && !memcmp(ov->fdb[i].mac, (*ne)->mac, 6))
			*fdb = &ov->fdb[i];
}

static void print_routes(struct np_ctx *ctx, const struct np_overlay *ov)
{
	struct np_out *o = ctx->out;
	char buf[64];

	out_table_begin(o, "pod_routes", route_cols, ARRAY_SIZE(route_cols), NP_LAYOUT_TABLE);
	for (int i = 0; i < ov->nroutes; i++) {
		const struct np_route *r = &ov->routes[i];
		const struct np_neigh *ne;
		const struct np_fdb *fdb;
		const char *cidr, *gw;

		route_vtep(ov, r, &ne, &fdb);
		out_row_begin(o);
		out_str(o, R_DEV, link_name(ov, r->ifindex));
		/* One route, one CIDR: a list all the same, as pod_cidr is everywhere. */
		cidr = np_overlay_route_cidr(r, buf, sizeof(buf));
		out_strv(o, R_CIDR, &cidr, 1);
		/* A list too, as a VTEP's gateways are: none, or the route's one. */
		gw = r->has_gw ? np_addr_str(r->gw, buf, sizeof(buf)) : NULL;
		out_strv(o, R_GW, &gw, gw ? 1 : 0);
		out_bool(o, R_ONLINK, r->onlink);
		if (ne)
			out_str(o, R_MAC, np_overlay_mac_str(ne->mac, buf, sizeof(buf)));
		if (fdb)
			out_str(o, R_REMOTE, np_addr_str(fdb->dst, buf, sizeof(buf)));
		out_u64(o, R_TABLE, r->table);
		out_row_end(o);
	}
	out_table_end(o);
}

static void print_env(struct np_ctx *ctx, const struct np_flannel_env *env)
{
	struct np_out *o = ctx->out;

	if (out_format(o) == NP_FMT_PROM)
		return;
	out_kv_str(o, "subnet_env", "subnet.env:", env->present ? env->path : NULL);
	if (!env->present)
		return;
	out_kv_str(o, "network", "network:", env->network[0] ? env->network : NULL);
	out_kv_str(o, "local_subnet", "local subnet:", env->subnet[0] ? env->subnet : NULL);
	if (env->ipv6_network[0])
		out_kv_str(o, "ipv6_network", "ipv6 network:", env->ipv6_network);
	if (env->ipv6_subnet[0])
		out_kv_str(o, "ipv6_local_subnet", "ipv6 subnet:", env->ipv6_subnet);
	if (env->mtu)
		out_kv_u64(o, "mtu", "mtu:", env->mtu);
	if (env->ipmasq[0])
		out_kv_bool(o, "ipmasq", "ipmasq:", !strcmp(env->ipmasq, "true"));
}

/* What was wrong with subnet.env; the values concerned are left out. */
static void env_notes(struct np_ctx *ctx, const struct np_flannel_env *env)
{
	int shown = env->nnotes < NP_FLANNEL_NOTES ? env->nnotes : NP_FLANNEL_NOTES;

	for (int i = 0; i < shown; i++)
		np_warn(ctx, "subnet.env %s", env->notes[i]);
	if (env->nnotes > shown)
		np_warn(ctx, "subnet.env: %d more lines ignored", env->nnotes - shown);
}

int cmd_show_topology(struct np_ctx *ctx, int argc, char **argv)
{
	struct np_overlay ov;
	int err;

	if (argc && np_is_help(argv[0]))
		return np_cmd_help_self(ctx, NULL);
	if (argc)
		return np_usage(ctx, "show topology: unexpected '%s'", argv[0]);
	err = np_overlay_read(&ov);
	env_notes(ctx, &ov.env);
	if (err) {
		np_overlay_free(&ov);
		return np_err(ctx, "cannot read links, neighbours and routes over rtnetlink: %s",
			      strerror(-err));
	}
	out_object_begin(ctx->out);
	print_env(ctx, &ov.env);
	print_devices(ctx, &ov);
	if (out_format(ctx->out) != NP_FMT_PROM) {
		print_vteps(ctx, &ov);
		print_routes(ctx, &ov);
	}
	out_object_end(ctx->out);
	np_overlay_free(&ov);
	return NP_EXIT_OK;
}
