// SPDX-License-Identifier: GPL-2.0
/*
 * netprobe set security [scan-ports N] [scan-window SEC] [syn-rate N] [syn-complete PCT]
 *                       [fail-conns N] [fail-pct PCT] [fail-timeout SEC]
 * netprobe show security
 *
 * The thresholds live in the pinned np_security_config map that the BPF
 * program reads on every probe, so a change is in force at once, on every
 * device, without re-attaching.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "lib/cmd.h"
#include "lib/device.h"
#include "lib/maps.h"
#include "lib/out.h"
#include "lib/security.h"
#include "lib/state.h"

enum { D_IF };

static const struct np_col dev_cols[] = {
	[D_IF] = { "interface", "INTERFACE", -16, NP_K_STR },
};

static void print_thresholds(struct np_ctx *ctx, const struct np_sec_config *c)
{
	struct np_out *o = ctx->out;
	char buf[64];

	out_kv_u64(o, "scan_ports", "scan-ports", c->scan_ports);
	if (out_format(o) == NP_FMT_JSON) {
		out_kv_u64(o, "scan_window_ns", "scan-window", c->scan_window_ns);
	} else {
		fmt_duration(buf, sizeof(buf), c->scan_window_ns);
		out_kv_str(o, "scan_window_ns", "scan-window", buf);
	}
	out_kv_u64(o, "syn_rate", "syn-rate", c->syn_rate);
	out_kv_u64(o, "syn_complete_pct", "syn-complete", c->syn_complete_pct);
	out_kv_u64(o, "fail_conns", "fail-conns", c->fail_conns);
	out_kv_u64(o, "fail_pct", "fail-pct", c->fail_pct);
	if (out_format(o) == NP_FMT_JSON) {
		out_kv_u64(o, "fail_timeout_ns", "fail-timeout", c->fail_timeout_ns);
	} else {
		fmt_duration(buf, sizeof(buf), c->fail_timeout_ns);
		out_kv_str(o, "fail_timeout_ns", "fail-timeout", buf);
	}
}

static void print_devices(struct np_ctx *ctx)
{
	struct np_dev_entry *devs;
	int n;

	np_devices_list(ctx, &devs, &n);
	out_table_begin(ctx->out, "devices", dev_cols, ARRAY_SIZE(dev_cols), NP_LAYOUT_TABLE);
	for (int i = 0; i < n; i++) {
		if (!np_dev_has_hook(&devs[i].rec, "security_ingress"))
			continue;
		out_row_begin(ctx->out);
		out_str(ctx->out, D_IF, devs[i].name);
		out_row_end(ctx->out);
	}
	out_table_end(ctx->out);
	free(devs);
}

int cmd_show_security(struct np_ctx *ctx, int argc, char **argv)
{
	struct np_alert_clock clk;
	struct np_sec_config cfg;
	struct np_alert *alerts = NULL;
	int n = 0, err;

	if (argc > 0 && np_is_help(argv[0]))
		return np_cmd_help_self(ctx, NULL);
	if (argc > 0)
		return np_usage(ctx, "show security: unexpected '%s'", argv[0]);
	err = np_state_open(ctx, NP_ST_MAY_BE_EMPTY);
	if (err && err != NP_STATE_EMPTY)
		return err;
	/* Nothing attached yet: these are the thresholds an attach starts with. */
	np_sec_config_read(ctx, &cfg);
	if (!err)
		np_alerts_read(ctx, &alerts, &n);
	np_alert_clock_now(&clk);
	out_object_begin(ctx->out);
	print_thresholds(ctx, &cfg);
	print_devices(ctx);
	np_alert_kinds_table(ctx, "alerts", alerts, n, &clk, 0);
	out_object_end(ctx->out);
	free(alerts);
	return NP_EXIT_OK;
}

/* Applies the keywords of argv to c; usage errors through ctx. */
static int parse_thresholds(struct np_ctx *ctx, int argc, char **argv, struct np_sec_config *c)
{
	enum { SCAN_PORTS, SCAN_WINDOW, SYN_RATE, SYN_COMPLETE, FAIL_CONNS, FAIL_PCT,
	       FAIL_TIMEOUT };
	static const char *const words[] = { "scan-ports", "scan-window", "syn-rate",
					     "syn-complete", "fail-conns", "fail-pct",
					     "fail-timeout", NULL };
	const char *v;
	double secs;
	__u64 n, seen = 0;
	int err;

	for (int i = 0; i < argc; i++) {
		int k = np_kw_once(ctx, argv[i], words, "set security", &seen);

		if (k < 0)
			return NP_EXIT_USAGE;
		if ((err = np_arg_next(ctx, "set security", argc, argv, &i, &v)))
			return err;
		switch (k) {
		case SCAN_WINDOW:
		case FAIL_TIMEOUT:
			if ((err = np_arg_double(ctx, words[k], v, 0.01, k == SCAN_WINDOW ? 3600 : 60,
						 &secs)))
				return err;
			*(k == SCAN_WINDOW ? &c->scan_window_ns : &c->fail_timeout_ns) =
				(__u64)(secs * 1e9 + 0.5);
			continue;
		case SCAN_PORTS:
		case FAIL_CONNS:
			err = np_arg_u64(ctx, words[k], v, 0, 1000000, &n);
			break;
		case SYN_RATE:
			err = np_arg_u64(ctx, words[k], v, 0, 1000000000, &n);
			break;
		default:
			err = np_arg_u64(ctx, words[k], v, 1, 100, &n);
			break;
		}
		if (err)
			return err;
		if (k == SCAN_PORTS)
			c->scan_ports = n;
		else if (k == SYN_RATE)
			c->syn_rate = n;
		else if (k == SYN_COMPLETE)
			c->syn_complete_pct = n;
		else if (k == FAIL_CONNS)
			c->fail_conns = n;
		else
			c->fail_pct = n;
	}
	return 0;
}

int cmd_set_security(struct np_ctx *ctx, int argc, char **argv)
{
	struct np_sec_config cfg;
	__u32 key = 0;
	int fd, err;

	if (argc > 0 && np_is_help(argv[0]))
		return np_cmd_help_self(ctx, "A scan-ports, syn-rate or fail-conns of 0 turns "
					"that detection off.\n");
	if (!argc)
		return np_usage(ctx, "set security: nothing to set; try 'netprobe set security help'");
	/* Parse once against the defaults to report bad input before any state. */
	np_sec_config_defaults(&cfg);
	if ((err = parse_thresholds(ctx, argc, argv, &cfg)))
		return err;
	err = np_state_open(ctx, NP_ST_MAY_BE_EMPTY);
	if (err && err != NP_STATE_EMPTY)
		return err;
	/* The map comes with the probe; made here, the next gc would drop it. */
	if (err == NP_STATE_EMPTY || !np_pin_exists(ctx, "maps/np_security_config"))
		return np_err(ctx, "the security probe is not attached; "
			      "run 'netprobe attach DEV security' first");
	err = np_state_open(ctx, NP_ST_WRITE);
	if (err)
		return err;
	fd = np_map_open(ctx, "np_security_config");
	err = fd < 0 ? fd : np_sec_config_read(ctx, &cfg);
	if (!err)
		parse_thresholds(ctx, argc, argv, &cfg);
	if (!err && bpf_map_update_elem(fd, &key, &cfg, BPF_ANY))
		err = -errno;
	if (fd >= 0)
		close(fd);
	np_state_close(ctx);
	if (err)
		return np_err(ctx, "cannot write the security thresholds: %s", strerror(-err));
	out_object_begin(ctx->out);
	print_thresholds(ctx, &cfg);
	out_object_end(ctx->out);
	return NP_EXIT_OK;
}
