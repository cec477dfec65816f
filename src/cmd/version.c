// SPDX-License-Identifier: GPL-2.0
/* netprobe version (also -V). */
#include <bpf/libbpf.h>

#include "lib/cmd.h"
#include "lib/out.h"
#include "../bpf/netprobe.h"

int cmd_version(struct np_ctx *ctx, int argc, char **argv)
{
	if (argc && np_is_help(argv[0]))
		return np_cmd_help_self(ctx, NULL);
	if (argc)
		return np_usage(ctx, "version: unexpected '%s'", argv[0]);
	out_object_begin(ctx->out);
	out_kv_str(ctx->out, "version", "netprobe", NP_VERSION);
	out_kv_u64(ctx->out, "layout", "pin layout", NP_LAYOUT_VERSION);
	out_kv_str(ctx->out, "libbpf", "libbpf", libbpf_version_string());
	out_object_end(ctx->out);
	return NP_EXIT_OK;
}
