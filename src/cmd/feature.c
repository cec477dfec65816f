// SPDX-License-Identifier: GPL-2.0
/*
 * netprobe feature: what this kernel offers netprobe. Kernel config comes
 * from /proc/config.gz (zlib; /boot/config-* as a fallback), hook support
 * from the kernel's BTF and from libbpf's program type probes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <zlib.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "lib/cmd.h"
#include "lib/out.h"

#define TRACEFS_MAGIC 0x74726163

enum { C_FEATURE, C_AVAILABLE, C_DETAIL };

static const struct np_col cols[] = {
	[C_FEATURE] = { "feature", "FEATURE", -26, NP_K_STR, NP_P_LABEL },
	[C_AVAILABLE] = { "available", "AVAILABLE", -10, NP_K_BOOL, NP_P_GAUGE,
			  "netprobe_feature_available", "1 if the kernel offers the feature." },
	[C_DETAIL] = { "detail", "DETAIL", -1, NP_K_STR },
};

static const char *const config_opts[] = {
	"CONFIG_BPF_SYSCALL", "CONFIG_BPF_JIT", "CONFIG_DEBUG_INFO_BTF", "CONFIG_NET_CLS_BPF",
	"CONFIG_NET_SCH_INGRESS", "CONFIG_NET_XGRESS", "CONFIG_BPF_EVENTS", "CONFIG_KPROBES",
	"CONFIG_FPROBE", "CONFIG_NETFILTER_BPF_LINK", "CONFIG_VXLAN", "CONFIG_VETH", NULL,
};

struct config {
	bool found;
	const char *source;
	char value[ARRAY_SIZE(config_opts)][16];
};

static void read_config(struct config *cfg)
{
	static char boot[300];
	struct utsname u;
	char line[512];
	gzFile f;

	memset(cfg, 0, sizeof(*cfg));
	cfg->source = "/proc/config.gz";
	f = gzopen(cfg->source, "rb");
	if (!f && !uname(&u)) {
		snprintf(boot, sizeof(boot), "/boot/config-%s", u.release);
		cfg->source = boot;
		f = gzopen(boot, "rb");	/* zlib reads plain text transparently */
	}
	if (!f)
		return;
	cfg->found = true;
	while (gzgets(f, line, sizeof(line))) {
		for (int i = 0; config_opts[i]; i++) {
			size_t n = strlen(config_opts[i]);

			if (!strncmp(line, config_opts[i], n) && line[n] == '=') {
				snprintf(cfg->value[i], sizeof(cfg->value[i]), "%s", line + n + 1);
				cfg->value[i][strcspn(cfg->value[i], "\n")] = '\0';
			}
		}
	}
	gzclose(f);
}

static void row(struct np_ctx *ctx, const char *name, bool avail, const char *detail)
{
	out_row_begin(ctx->out);
	out_str(ctx->out, C_FEATURE, name);
	out_bool(ctx->out, C_AVAILABLE, avail);
	out_str(ctx->out, C_DETAIL, detail);
	out_row_end(ctx->out);
}

static bool btf_has(const struct btf *btf, const char *name, int kind)
{
	return btf && btf__find_by_name_kind(btf, name, kind) > 0;
}

static void prog_type_row(struct np_ctx *ctx, const char *name, enum bpf_prog_type t)
{
	int r = libbpf_probe_bpf_prog_type(t, NULL);

	row(ctx, name, r == 1, r == 1 ? "program type loads" : "program type refused");
}

int cmd_feature(struct np_ctx *ctx, int argc, char **argv)
{
	struct btf *btf;
	struct config cfg;
	struct utsname u;
	struct statfs st;
	char detail[256];
	bool tracefs;

	if (argc && np_is_help(argv[0]))
		return np_cmd_help_self(ctx, NULL);
	if (argc)
		return np_usage(ctx, "feature: unexpected '%s'", argv[0]);
	read_config(&cfg);
	btf = btf__load_vmlinux_btf();
	uname(&u);

	out_table_begin(ctx->out, NULL, cols, ARRAY_SIZE(cols), NP_LAYOUT_TABLE);
	row(ctx, "kernel", true, u.release);
	row(ctx, "btf", btf != NULL, btf ? "/sys/kernel/btf/vmlinux" : "no kernel BTF: CO-RE fails");
	row(ctx, "kernel_config", cfg.found, cfg.found ? cfg.source : "no /proc/config.gz");
	for (int i = 0; config_opts[i] && cfg.found; i++) {
		char name[64];

		snprintf(name, sizeof(name), "%s", config_opts[i] + 7);
		for (char *p = name; *p; p++)
			*p = *p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p;
		snprintf(detail, sizeof(detail), "%s=%s", config_opts[i],
			 cfg.value[i][0] ? cfg.value[i] : "n");
		row(ctx, name, cfg.value[i][0] == 'y' || cfg.value[i][0] == 'm', detail);
	}
	prog_type_row(ctx, "prog_xdp", BPF_PROG_TYPE_XDP);
	prog_type_row(ctx, "prog_sched_cls", BPF_PROG_TYPE_SCHED_CLS);
	prog_type_row(ctx, "prog_raw_tracepoint", BPF_PROG_TYPE_RAW_TRACEPOINT);
	prog_type_row(ctx, "prog_kprobe", BPF_PROG_TYPE_KPROBE);
	row(ctx, "tcx", btf_has(btf, "tcx_link", BTF_KIND_STRUCT),
	    "TCX links for tc hooks (else clsact + cls_bpf)");
	row(ctx, "netfilter_link", btf_has(btf, "bpf_nf_ctx", BTF_KIND_STRUCT),
	    "BPF netfilter links (kernel 6.4+): attach netfilter");
	row(ctx, "tp_btf_inet_sock_set_state",
	    btf_has(btf, "btf_trace_inet_sock_set_state", BTF_KIND_TYPEDEF),
	    "TCP lifecycle tracepoint: attach socket");
	row(ctx, "tp_btf_kfree_skb", btf_has(btf, "btf_trace_kfree_skb", BTF_KIND_TYPEDEF),
	    "drop tracepoint: attach drops");
	row(ctx, "skb_drop_reason", btf_has(btf, "skb_drop_reason", BTF_KIND_ENUM),
	    "drop reason names from BTF");
	tracefs = !statfs("/sys/kernel/tracing", &st) && st.f_type == TRACEFS_MAGIC;
	row(ctx, "tracefs", tracefs, tracefs ? "/sys/kernel/tracing" :
	    "not mounted: netprobe uses tp_btf/raw_tp, which need none");
	out_table_end(ctx->out);
	btf__free(btf);
	return NP_EXIT_OK;
}
