// SPDX-License-Identifier: GPL-2.0
/*
 * netprobe show stats [dev DEV] [interval SEC [count N]]
 *
 * Per device: packets and bytes received (TC ingress, else XDP) and sent
 * (TC egress), read from the pinned per-CPU counters. With interval, two
 * samples SEC apart give rates; no daemon is involved.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/cmd.h"
#include "lib/device.h"
#include "lib/handshake.h"
#include "lib/maps.h"
#include "lib/out.h"
#include "lib/sockets.h"
#include "lib/state.h"

enum {
	C_TIME, C_IF, C_IFINDEX, C_RX_PKTS, C_RX_BYTES, C_TX_PKTS, C_TX_BYTES,
	C_XDP_PKTS, C_XDP_BYTES, C_RX_HOOK,
	C_RX_PPS, C_RX_BPS, C_TX_PPS, C_TX_BPS, C_SPEED, C_RX_UTIL, C_TX_UTIL,
};

#define M(name, help) NP_P_COUNTER, "netprobe_interface_" name "_total", help

static const struct np_col cols[] = {
	[C_TIME] = { "time", NULL, 0, NP_K_TIME },
	[C_IF] = { "interface", "INTERFACE", -16, NP_K_STR, NP_P_LABEL },
	[C_IFINDEX] = { "ifindex", NULL, 0, NP_K_U64 },
	[C_RX_PKTS] = { "rx_packets", "RX PACKETS", 12, NP_K_COUNT,
			M("rx_packets", "Packets received, counted at TC ingress (else XDP).") },
	[C_RX_BYTES] = { "rx_bytes", "RX BYTES", 12, NP_K_BYTES,
			 M("rx_bytes", "Bytes received, Ethernet header and VLAN tags included.") },
	[C_TX_PKTS] = { "tx_packets", "TX PACKETS", 12, NP_K_COUNT,
			M("tx_packets", "Packets sent, counted at TC egress.") },
	[C_TX_BYTES] = { "tx_bytes", "TX BYTES", 12, NP_K_BYTES,
			 M("tx_bytes", "Bytes sent, Ethernet header and VLAN tags included.") },
	[C_XDP_PKTS] = { "xdp_rx_packets", NULL, 0, NP_K_COUNT,
			 M("xdp_rx_packets", "Frames seen by the XDP program.") },
	[C_XDP_BYTES] = { "xdp_rx_bytes", NULL, 0, NP_K_BYTES,
			  M("xdp_rx_bytes", "Bytes of the frames seen by the XDP program.") },
	[C_RX_HOOK] = { "rx_hook", NULL, 0, NP_K_STR },
	[C_RX_PPS] = { "rx_packets_rate", "RX PKT/S", 10, NP_K_RATE },
	[C_RX_BPS] = { "rx_bytes_rate", "RX RATE", 12, NP_K_BYTE_RATE },
	[C_TX_PPS] = { "tx_packets_rate", "TX PKT/S", 10, NP_K_RATE },
	[C_TX_BPS] = { "tx_bytes_rate", "TX RATE", 12, NP_K_BYTE_RATE },
	[C_SPEED] = { "link_speed_bps", NULL, 0, NP_K_U64 },
	[C_RX_UTIL] = { "rx_utilization", "RX UTIL", 8, NP_K_RATIO },
	[C_TX_UTIL] = { "tx_utilization", "TX UTIL", 8, NP_K_RATIO },
};

/* Columns without rates: the rate columns are hidden in plain output then. */
static struct np_col cols_norate[ARRAY_SIZE(cols)];

struct sample {
	char name[NP_IFNAMSIZ];
	struct np_device rec;
	struct np_counter hook[NP_HOOK_MAX];
	__u64 speed_bps;	/* the link's, 0: it reports none */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int take_sample(struct np_ctx *ctx, const char *dev, struct sample **out, int *n)
{
	struct np_dev_entry *devs;
	struct sample *s;
	int ndevs, cnt = 0, err;

	err = np_devices_list(ctx, &devs, &ndevs);
	if (err)
		return np_err(ctx, "cannot read the device list: %s", strerror(-err));
	s = calloc(ndevs ? ndevs : 1, sizeof(*s));
	if (!s) {
		free(devs);
		return np_err(ctx, "out of memory");
	}
	for (int i = 0; i < ndevs; i++) {
		char now[IF_NAMESIZE];

		if (dev && strcmp(dev, devs[i].name) &&
		    strcmp(dev, np_dev_name_now(ctx, devs[i].name, &devs[i].rec, now)))
			continue;
		if (!np_dev_has_traffic(&devs[i].rec))
			continue;
		/* A renamed device is shown by the name it has now. */
		snprintf(s[cnt].name, NP_IFNAMSIZ, "%s",
			 np_dev_name_now(ctx, devs[i].name, &devs[i].rec, now));
		s[cnt].rec = devs[i].rec;
		np_dev_counters_read(ctx, devs[i].rec.ifindex, s[cnt].hook);
		if (np_dev_link_speed(s[cnt].name, &s[cnt].speed_bps))
			s[cnt].speed_bps = 0;
		cnt++;
	}
	free(devs);
	*out = s;
	*n = cnt;
	return 0;
}

static const struct np_counter *rx_counter(const struct sample *s, const char **hook)
{
	if (np_dev_has_hook(&s->rec, "tc_ingress")) {
		*hook = "tc";
		return &s->hook[NP_HOOK_TC_INGRESS];
	}
	if (np_dev_has_hook(&s->rec, "xdp")) {
		*hook = "xdp";
		return &s->hook[NP_HOOK_XDP];
	}
	return NULL;
}

static double rate(__u64 now, __u64 then, double secs)
{
	return now >= then ? (now - then) / secs : 0;
}

/*
 * A byte rate as a share of the link's speed; null where the link reports
 * none. The bits are those the byte counters count (Ethernet header and
 * tags, not the preamble, FCS or gap a line also carries).
 */
static void utilization(struct np_out *o, int col, double bytes_per_sec, __u64 speed_bps)
{
	if (speed_bps)
		out_double(o, col, bytes_per_sec * 8 / speed_bps);
	else
		out_null(o, col);
}

static void print_sample(struct np_ctx *ctx, const struct sample *s, const struct sample *prev,
			 double secs, __u64 when)
{
	const struct np_counter *rx, *prx = NULL;
	const char *hook = NULL;
	struct np_out *o = ctx->out;

	rx = rx_counter(s, &hook);
	out_row_begin(o);
	if (prev)
		out_u64(o, C_TIME, when);
	out_str(o, C_IF, s->name);
	out_u64(o, C_IFINDEX, s->rec.ifindex);
	if (rx) {
		out_u64(o, C_RX_PKTS, rx->packets);
		out_u64(o, C_RX_BYTES, rx->bytes);
		out_str(o, C_RX_HOOK, hook);
	}
	if (np_dev_has_hook(&s->rec, "tc_egress")) {
		out_u64(o, C_TX_PKTS, s->hook[NP_HOOK_TC_EGRESS].packets);
		out_u64(o, C_TX_BYTES, s->hook[NP_HOOK_TC_EGRESS].bytes);
	}
	if (np_dev_has_hook(&s->rec, "xdp")) {
		out_u64(o, C_XDP_PKTS, s->hook[NP_HOOK_XDP].packets);
		out_u64(o, C_XDP_BYTES, s->hook[NP_HOOK_XDP].bytes);
	}
	if (prev) {
		prx = rx_counter(prev, &hook);
		if (s->speed_bps)
			out_u64(o, C_SPEED, s->speed_bps);
		else
			out_null(o, C_SPEED);
		if (rx && prx) {
			double bps = rate(rx->bytes, prx->bytes, secs);

			out_double(o, C_RX_PPS, rate(rx->packets, prx->packets, secs));
			out_double(o, C_RX_BPS, bps);
			utilization(o, C_RX_UTIL, bps, s->speed_bps);
		}
		if (np_dev_has_hook(&s->rec, "tc_egress")) {
			const struct np_counter *t = &s->hook[NP_HOOK_TC_EGRESS];
			const struct np_counter *pt = &prev->hook[NP_HOOK_TC_EGRESS];
			double bps = rate(t->bytes, pt->bytes, secs);

			out_double(o, C_TX_PPS, rate(t->packets, pt->packets, secs));
			out_double(o, C_TX_BPS, bps);
			utilization(o, C_TX_UTIL, bps, s->speed_bps);
		}
	}
	out_row_end(o);
}

static const struct sample *find(const struct sample *v, int n, const struct sample *s)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(v[i].name, s->name) && v[i].rec.ifindex == s->rec.ifindex)
			return &v[i];
	return NULL;
}

static double mono_secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int stats_interval(struct np_ctx *ctx, const char *dev, double interval, __u64 count)
{
	struct sample *prev = NULL, *cur = NULL;
	int nprev = 0, ncur = 0, err;
	double t_prev, t_cur;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	err = take_sample(ctx, dev, &prev, &nprev);
	if (err)
		return err;
	t_prev = mono_secs();
	/* Samples as they come: under -j one object per line (JSON Lines). */
	out_table_begin(ctx->out, NULL, cols, ARRAY_SIZE(cols), NP_LAYOUT_STREAM);
	for (__u64 round = 0; (!count || round < count) && !stop; round++) {
		struct timespec ts = { (time_t)interval,
				       (long)((interval - floor(interval)) * 1e9) };

		while (nanosleep(&ts, &ts) && errno == EINTR && !stop)
			;
		if (stop)
			break;
		err = take_sample(ctx, dev, &cur, &ncur);
		if (err)
			break;
		t_cur = mono_secs();
		for (int i = 0; i < ncur; i++)
			print_sample(ctx, &cur[i], find(prev, nprev, &cur[i]) ?: &cur[i],
				     t_cur - t_prev, np_now_ns());
		fflush(stdout);
		free(prev);
		prev = cur;
		nprev = ncur;
		cur = NULL;
		t_prev = t_cur;
		if (out_broken(ctx->out))
			break;
	}
	out_table_end(ctx->out);
	free(prev);
	return err;
}

/* ---- show stats proto: the counters by protocol ---- */

static const struct {
	const char *l3, *l4;
} proto_names[NP_PC_MAX] = {
	[NP_PC_IPV4_TCP] = { "ipv4", "tcp" },
	[NP_PC_IPV4_UDP] = { "ipv4", "udp" },
	[NP_PC_IPV4_ICMP] = { "ipv4", "icmp" },
	[NP_PC_IPV4_OTHER] = { "ipv4", "other" },
	[NP_PC_IPV6_TCP] = { "ipv6", "tcp" },
	[NP_PC_IPV6_UDP] = { "ipv6", "udp" },
	[NP_PC_IPV6_ICMPV6] = { "ipv6", "icmpv6" },
	[NP_PC_IPV6_OTHER] = { "ipv6", "other" },
	[NP_PC_ARP] = { "arp", "none" },
	[NP_PC_OTHER] = { "other", "none" },
};

enum { PR_IF, PR_IFINDEX, PR_DIR, PR_HOOK, PR_L3, PR_L4, PR_PKTS, PR_BYTES };

#define PM(name, help) NP_P_COUNTER, "netprobe_interface_protocol_" name "_total", help

static const struct np_col proto_cols[] = {
	[PR_IF] = { "interface", "INTERFACE", -16, NP_K_STR, NP_P_LABEL },
	[PR_IFINDEX] = { "ifindex", NULL, 0, NP_K_U64 },
	[PR_DIR] = { "direction", "DIR", -4, NP_K_STR, NP_P_LABEL },
	[PR_HOOK] = { "hook", NULL, 0, NP_K_STR },
	[PR_L3] = { "l3", "L3", -6, NP_K_STR, NP_P_LABEL },
	[PR_L4] = { "l4", "L4", -7, NP_K_STR, NP_P_LABEL },
	[PR_PKTS] = { "packets", "PACKETS", 12, NP_K_COUNT,
		      PM("packets", "Packets by L3 and L4 protocol, as the interface counters count them.") },
	[PR_BYTES] = { "bytes", "BYTES", 12, NP_K_BYTES,
		       PM("bytes", "Bytes by L3 and L4 protocol, Ethernet header and VLAN tags included.") },
};

/*
 * A row per device, direction and protocol class: rx where show stats
 * counts rx (TC ingress, else XDP), tx at TC egress. Plain text and JSON
 * list the classes that saw packets; Prometheus every class of each
 * direction, so that a series exists before its first packet.
 */
static void proto_rows(struct np_ctx *ctx, const struct sample *s)
{
	struct np_counter pc[NP_HOOK_MAX][NP_PC_MAX];
	struct np_out *o = ctx->out;
	const char *rx_hook = NULL;
	struct {
		const char *dir, *hook;
		__u32 h;
	} dirs[2];
	int nd = 0;

	if (rx_counter(s, &rx_hook))
		dirs[nd++] = (typeof(dirs[0])){ "rx", rx_hook,
			!strcmp(rx_hook, "tc") ? NP_HOOK_TC_INGRESS : NP_HOOK_XDP };
	if (np_dev_has_hook(&s->rec, "tc_egress"))
		dirs[nd++] = (typeof(dirs[0])){ "tx", "tc", NP_HOOK_TC_EGRESS };
	np_dev_proto_read(ctx, s->rec.ifindex, pc);
	for (int d = 0; d < nd; d++)
		for (int k = 0; k < NP_PC_MAX; k++) {
			const struct np_counter *c = &pc[dirs[d].h][k];

			if (!c->packets && out_format(o) != NP_FMT_PROM)
				continue;
			out_row_begin(o);
			out_str(o, PR_IF, s->name);
			out_u64(o, PR_IFINDEX, s->rec.ifindex);
			out_str(o, PR_DIR, dirs[d].dir);
			out_str(o, PR_HOOK, dirs[d].hook);
			out_str(o, PR_L3, proto_names[k].l3);
			out_str(o, PR_L4, proto_names[k].l4);
			out_u64(o, PR_PKTS, c->packets);
			out_u64(o, PR_BYTES, c->bytes);
			out_row_end(o);
		}
}

static int print_proto(struct np_ctx *ctx, const struct sample *s, int n)
{
	out_table_begin(ctx->out, NULL, proto_cols, ARRAY_SIZE(proto_cols), NP_LAYOUT_TABLE);
	for (int i = 0; i < n && !out_broken(ctx->out); i++)
		proto_rows(ctx, &s[i]);
	out_table_end(ctx->out);
	return NP_EXIT_OK;
}

/* ---- TCP totals of the socket probe, per network namespace ---- */

enum { P_NETNS, P_KIND, P_DIRECTION, P_CONNS, P_RETRANS, P_RESETS, P_LOST };

static const struct np_col prom_tcp_cols[] = {
	[P_NETNS] = { "netns", NULL, 0, NP_K_U64, NP_P_LABEL },
	[P_KIND] = { "kind", NULL, 0, NP_K_STR, NP_P_LABEL },
	[P_DIRECTION] = { "direction", NULL, 0, NP_K_STR, NP_P_LABEL },
	[P_CONNS] = { "connections", NULL, 0, NP_K_COUNT, NP_P_COUNTER,
		      "netprobe_socket_connections_total",
		      "TCP connections opened by connect(), accepted, and closed." },
	[P_RETRANS] = { "retransmits", NULL, 0, NP_K_COUNT, NP_P_COUNTER,
			"netprobe_tcp_retransmits_total",
			"TCP segments retransmitted, as the kernel's RetransSegs counts them." },
	[P_RESETS] = { "resets", NULL, 0, NP_K_COUNT, NP_P_COUNTER, "netprobe_tcp_resets_total",
		       "TCP resets sent and received." },
	[P_LOST] = { "events_lost", NULL, 0, NP_K_COUNT, NP_P_COUNTER,
		     "netprobe_socket_events_lost_total",
		     "Socket events dropped because the ring buffer was full." },
};

static void prom_sample(struct np_out *o, __u32 netns, int label_col, const char *label,
			int col, __u64 v)
{
	out_row_begin(o);
	out_u64(o, P_NETNS, netns);
	if (label)
		out_str(o, label_col, label);
	out_u64(o, col, v);
	out_row_end(o);
}

static void tcp_table_prom(struct np_ctx *ctx, const struct np_tcp_netns *t, int n)
{
	struct np_out *o = ctx->out;

	out_table_begin(o, NULL, prom_tcp_cols, ARRAY_SIZE(prom_tcp_cols), NP_LAYOUT_TABLE);
	for (int i = 0; i < n; i++) {
		prom_sample(o, t[i].netns, P_KIND, "opened", P_CONNS, t[i].tot.active_opens);
		prom_sample(o, t[i].netns, P_KIND, "accepted", P_CONNS, t[i].tot.passive_opens);
		prom_sample(o, t[i].netns, P_KIND, "closed", P_CONNS, t[i].tot.closed);
		prom_sample(o, t[i].netns, 0, NULL, P_RETRANS, t[i].tot.retrans_segs);
		prom_sample(o, t[i].netns, P_DIRECTION, "sent", P_RESETS, t[i].tot.resets_sent);
		prom_sample(o, t[i].netns, P_DIRECTION, "received", P_RESETS,
			    t[i].tot.resets_received);
		prom_sample(o, t[i].netns, 0, NULL, P_LOST, t[i].tot.events_lost);
	}
	out_table_end(o);
}

/*
 * Devices, then the TCP totals when the socket probe is attached: in plain
 * as a second table, in Prometheus as the socket/tcp families. Under -j the
 * list holds devices only (one kind of object); the totals are in
 * 'show sockets totals'.
 */
static int print_snapshot(struct np_ctx *ctx, const struct sample *s, int n, bool with_tcp)
{
	enum np_format fmt = out_format(ctx->out);
	struct np_tcp_netns *t = NULL;
	int nt = 0, err = 0;

	with_tcp &= fmt != NP_FMT_JSON;
	if (with_tcp && (err = np_tcp_totals_list(ctx, &t, &nt)))
		np_warn(ctx, "cannot read the TCP totals: %s", strerror(-err));
	/* Without interval the rate columns stay hidden in plain text. */
	memcpy(cols_norate, cols, sizeof(cols));
	for (int c = C_RX_PPS; c <= C_TX_UTIL; c++)
		cols_norate[c].header = NULL;
	/* The XDP counters, where a device has XDP beside (or instead of) TC. */
	for (int i = 0; i < n; i++)
		if (np_dev_has_hook(&s[i].rec, "xdp")) {
			cols_norate[C_XDP_PKTS].header = "XDP PACKETS";
			cols_norate[C_XDP_PKTS].width = 12;
			cols_norate[C_XDP_BYTES].header = "XDP BYTES";
			cols_norate[C_XDP_BYTES].width = 12;
		}
	if (n || !nt || fmt != NP_FMT_PLAIN) {
		out_table_begin(ctx->out, NULL, cols_norate, ARRAY_SIZE(cols), NP_LAYOUT_TABLE);
		for (int i = 0; i < n && !out_broken(ctx->out); i++)
			print_sample(ctx, &s[i], NULL, 0, 0);
		out_table_end(ctx->out);
	}
	if (fmt == NP_FMT_PROM) {
		struct np_hs_prom *h = np_hs_prom_begin(ctx);

		for (int i = 0; i < n; i++)
			np_hs_prom_dev(h, s[i].name, s[i].rec.ifindex);
		np_hs_prom_end(h);
	}
	if (nt && fmt == NP_FMT_PLAIN)
		np_tcp_totals_print(ctx, "tcp", t, nt);
	else if (nt && fmt == NP_FMT_PROM)
		tcp_table_prom(ctx, t, nt);
	free(t);
	return NP_EXIT_OK;
}

int cmd_show_stats(struct np_ctx *ctx, int argc, char **argv)
{
	static const char *const words[] = { "dev", "interval", "count", NULL };
	const char *dev = NULL, *v;
	struct np_device rec;
	struct sample *s;
	bool proto = false;
	double interval = 0;
	__u64 count = 0, seen = 0;
	int n, err;

	for (int i = 0; i < argc; i++) {
		int k;

		if (np_is_help(argv[i]))
			return np_cmd_help_self(ctx, NULL);
		if (!strcmp(argv[i], "proto")) {
			proto = true;
			continue;
		}
		k = np_kw_once(ctx, argv[i], words, "show stats", &seen);
		if (k < 0)
			return NP_EXIT_USAGE;
		if ((err = np_arg_next(ctx, "show stats", argc, argv, &i, &v)))
			return err;
		if (k == 0)
			dev = v;
		else if (k == 1)
			err = np_arg_double(ctx, "interval", v, 0.01, 86400, &interval);
		else
			err = np_arg_u64(ctx, "count", v, 1, 1ull << 40, &count);
		if (err)
			return err;
	}
	if (count && !interval)
		return np_usage(ctx, "show stats: count needs interval");
	if (proto && interval)
		return np_usage(ctx, "show stats proto: one snapshot; interval gives the rates of "
				"the device totals");
	if (interval && out_format(ctx->out) == NP_FMT_PROM)
		return np_usage(ctx, "show stats: --prom is one snapshot for a scraper; interval "
				"is for people (plain) and scripts (-j, JSON Lines)");
	err = np_state_open(ctx, dev ? NP_ST_MAY_BE_EMPTY : 0);
	if (err == NP_STATE_EMPTY)
		return np_dev_not_attached(ctx, dev);
	if (err)
		return err;
	if (dev && (err = np_dev_require_traffic(ctx, dev, &rec)))
		return err;
	if (interval)
		return stats_interval(ctx, dev, interval, count);
	err = take_sample(ctx, dev, &s, &n);
	if (err)
		return err;
	err = proto ? print_proto(ctx, s, n) : print_snapshot(ctx, s, n, !dev);
	free(s);
	return err;
}
