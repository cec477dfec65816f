// SPDX-License-Identifier: GPL-2.0
#include "out.h"
#include "report.h"

enum { C_TABLE, C_IF, C_ENTRIES };

static const struct np_col flush_cols[] = {
	[C_TABLE] = { "table", "TABLE", -10, NP_K_STR },
	[C_IF] = { "interface", "INTERFACE", -16, NP_K_STR },
	[C_ENTRIES] = { "entries", "ENTRIES", 10, NP_K_U64 },
};

void np_flush_report_begin(struct np_ctx *ctx)
{
	out_table_begin(ctx->out, NULL, flush_cols, ARRAY_SIZE(flush_cols), NP_LAYOUT_TABLE);
}

void np_flush_report_row(struct np_ctx *ctx, const char *table, const char *interface,
			 long long entries)
{
	out_row_begin(ctx->out);
	out_str(ctx->out, C_TABLE, table);
	if (interface)
		out_str(ctx->out, C_IF, interface);
	if (entries >= 0)
		out_u64(ctx->out, C_ENTRIES, entries);
	out_row_end(ctx->out);
}

void np_flush_report_end(struct np_ctx *ctx)
{
	out_table_end(ctx->out);
}
