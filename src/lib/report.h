/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a command that changes state reports: one row per thing it changed
 * (a table flushed, a device's counters zeroed), in every format, so that
 * -j always prints one JSON document.
 */
#ifndef NP_REPORT_H
#define NP_REPORT_H

#include "np.h"

void np_flush_report_begin(struct np_ctx *ctx);
/* A flushed table; interface NULL when table-wide, entries < 0 when not counted. */
void np_flush_report_row(struct np_ctx *ctx, const char *table, const char *interface,
			 long long entries);
void np_flush_report_end(struct np_ctx *ctx);

#endif /* NP_REPORT_H */
