/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the security commands share: the thresholds in the pinned
 * np_security_config map, the alerts in np_alerts, and one way to print an
 * alert (show alerts, watch alerts).
 */
#ifndef NP_SECURITY_H
#define NP_SECURITY_H

#include <stdbool.h>
#include "np.h"
#include "out.h"
#include "../../bpf/netprobe.h"

void np_sec_config_defaults(struct np_sec_config *c);
/*
 * The thresholds in force: the pinned map's, or the defaults when the
 * security probe was never attached (returns -ENOENT then, c filled).
 */
int np_sec_config_read(struct np_ctx *ctx, struct np_sec_config *c);

/* "port-scan", "syn-flood", or NULL. */
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

/* Columns of an alert row; open a table with them, then emit rows. */
extern const struct np_col np_alert_cols[];
extern const int np_alert_ncols;
/* Emits the fields of a into the open row (show alerts, watch alerts). */
void np_alert_emit(struct np_out *o, const struct np_alert *a, const struct np_alert_clock *clk);

/* Table of alert kinds: alerts raised (counter) and active now (gauge). */
void np_alert_kinds_table(struct np_ctx *ctx, const char *key, const struct np_alert *alerts,
			  int n, const struct np_alert_clock *clk);

#endif /* NP_SECURITY_H */
