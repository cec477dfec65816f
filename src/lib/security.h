/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the security commands share: the thresholds in the pinned
 * np_security_config map, the alerts in np_alerts, and one way to print an
 * alert (show alerts, watch alerts).
 */
#ifndef NP_SECURITY_H
#define NP_SECURITY_H

#include <stdbool.h>
#include "model.h"
#include "np.h"
#include "out.h"
#include "../../bpf/netprobe.h"

void np_sec_config_defaults(struct np_sec_config *c);
/*
 * The thresholds in force: the pinned map's, or the defaults when the
 * security probe was never attached (returns -ENOENT then, c filled).
 */
int np_sec_config_read(struct np_ctx *ctx, struct np_sec_config *c);

/* "port-scan", "syn-flood", "udp-scan", ..., "failed-conn", or NULL. */
const char *np_alert_kind_name(unsigned int kind);

/* Every alert in np_alerts, oldest first. Free *out. -ENOENT if none pinned. */
int np_alerts_read(struct np_ctx *ctx, struct np_alert **out, int *n);
/* Alerts raised per kind (the kernel's counters, not the rows kept). */
int np_alerts_total(struct np_ctx *ctx, __u64 totals[NP_ALERT_KIND_MAX]);
/* Distinct sources of a SYN flood, estimated from its hashed source set. */
__u64 np_alert_sources(const struct np_alert *a);

/* Clocks to turn an alert's ktime stamps into wall-clock time and "active". */
struct np_alert_clock {
	__u64 mono_to_real;
	__u64 now_mono;
};
void np_alert_clock_now(struct np_alert_clock *c);

/*
 * An alert as the model (model.h) sees it: the kept entry and what its row
 * derives from it, so that filters and sort keys are fields.
 */
struct np_alert_rec {
	struct np_alert a;
	__u64 rate;		/* per second at the peak window */
	__u64 sources;		/* SYN flood: estimated distinct sources; scan: 0 */
	__u8 active;		/* the episode is still going on (as of the clock) */
	__u8 pad[7];
};
void np_alert_rec_make(struct np_alert_rec *r, const struct np_alert *a,
		       const struct np_alert_clock *clk);

/* show alerts: kind, src, dst, active; sort; top. */
extern const struct np_table np_alerts_table;
/* watch alerts: kind, src, dst; count N. */
extern const struct np_table np_alerts_watch_table;

/* Columns of an alert row; open a table with them, then emit rows. */
#define NP_ALERT_NCOLS	15
extern const struct np_col np_alert_cols[NP_ALERT_NCOLS];
extern const int np_alert_ncols;
/* Plain text: np_alert_cols with address columns of width w (at least their own). */
void np_alert_cols_fit(struct np_col *cols, int w);
/* Emits the fields of r into the open row (show alerts, watch alerts). */
void np_alert_emit(struct np_query *q, const struct np_alert_rec *r,
		   const struct np_alert_clock *clk);

/*
 * Table of alert kinds: alerts raised (counter) and active now (gauge);
 * kind 0 every kind, else that one.
 */
void np_alert_kinds_table(struct np_ctx *ctx, const char *key, const struct np_alert *alerts,
			  int n, const struct np_alert_clock *clk, unsigned int kind);

#endif /* NP_SECURITY_H */
