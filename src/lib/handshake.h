/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TCP handshake latency (issue 15): the per-device histograms the traffic
 * programs count in np_flow_hs_hist (bpf/rtt.bpf.h), and the handshakes
 * under way in np_flow_hs. The per-flow halves are in np_flow_value.
 */
#ifndef NP_HANDSHAKE_H
#define NP_HANDSHAKE_H

#include <stdbool.h>
#include <linux/types.h>
#include "np.h"
#include "../../bpf/netprobe.h"

/* A flow's handshake rtt in microseconds; false if it has none (yet). */
bool np_flow_rtt_us(const struct np_flow_value *v, __u64 *us);

/* A device's histogram summed over CPUs; all zero if it has none. 0 or -errno. */
int np_hs_hist_read(int fd, __u32 ifindex, struct np_flow_hs_hist *h);

/*
 * netprobe_tcp_handshake_seconds under --prom, one histogram per device:
 * begin opens the map and the table (NULL: no handshake map pinned), dev
 * adds a device, end closes both.
 */
struct np_hs_prom;
struct np_hs_prom *np_hs_prom_begin(struct np_ctx *ctx);
void np_hs_prom_dev(struct np_hs_prom *h, const char *name, __u32 ifindex);
void np_hs_prom_end(struct np_hs_prom *h);

/* A device goes (detach) or its counters are zeroed (flush stats): its histogram too. */
void np_hs_forget_counters(struct np_ctx *ctx, __u32 ifindex);
/* A device goes: its handshakes under way. */
void np_hs_forget_flows(struct np_ctx *ctx, __u32 ifindex);

#endif /* NP_HANDSHAKE_H */
