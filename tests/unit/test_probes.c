// SPDX-License-Identifier: GPL-2.0
/*
 * The probe table (src/cmd/probes.c) holds together: names, hooks, NP_DEV_*
 * bits and clsact priorities are each one probe's, and the lookups of
 * src/lib/probe.c and device.c find what the table has. The table is
 * compiled in here with stand-ins for the probes' attach and detach.
 */
#include <string.h>

#include "lib/device.h"
#include "lib/out.h"
#include "lib/probe.h"
#include "unit.h"

#define STAND_IN_ATTACH(name)							\
	int name(struct np_ctx *ctx, const struct np_probe *self,		\
		 const struct np_attach_args *args)				\
	{									\
		(void)ctx, (void)self, (void)args;				\
		return 0;							\
	}
#define STAND_IN_DETACH(name)							\
	int name(struct np_ctx *ctx, const struct np_probe *self, const char *dev) \
	{									\
		(void)ctx, (void)self, (void)dev;				\
		return 0;							\
	}

STAND_IN_ATTACH(np_attach_tc)
STAND_IN_ATTACH(np_attach_xdp)
STAND_IN_ATTACH(np_attach_vxlan)
STAND_IN_ATTACH(np_attach_security)
STAND_IN_ATTACH(np_attach_drops)
STAND_IN_ATTACH(np_attach_netfilter)
STAND_IN_ATTACH(np_attach_socket)
STAND_IN_DETACH(np_detach_vxlan)

#include "../../src/cmd/probes.c"

static int n_probes(void)
{
	int n = 0;

	np_for_each_probe(p)
		n++;
	return n;
}

static void test_entries(void)
{
	CHECK(n_probes() > 0 && n_probes() <= NP_PROBES_MAX);
	np_for_each_probe(p) {
		int hooks = 0;

		CHECK(p->help && *p->help && p->attach);
		/* Device probes have hooks and take them off one device; host probes neither. */
		np_for_each_probe_hook(p, h)
			hooks++;
		CHECK(p->per_device ? hooks > 0 && p->detach : !hooks && !p->detach);
		CHECK(p->per_device || (!p->in_all && !p->options));
		CHECK(np_probe_by_name(p->name) == p);
		np_for_each_probe(q)
			CHECK(p == q || strcmp(p->name, q->name));
	}
}

static void test_hooks(void)
{
	__u32 seen = 0;

	np_for_each_probe(p)
		np_for_each_probe_hook(p, h) {
			/* One bit each, and no two hooks share it. */
			CHECK(h->bit && !(h->bit & (h->bit - 1)));
			CHECK(!(seen & h->bit));
			seen |= h->bit;
			CHECK(np_dev_hook_by_name(h->name) == h);
			CHECK((h->kind == NP_KIND_XDP) == !h->tc_priority);
			/* Two filters of one direction cannot share a clsact priority. */
			np_for_each_probe(q)
				np_for_each_probe_hook(q, g)
					CHECK(g == h || g->kind != h->kind ||
					      (g->tc_priority != h->tc_priority &&
					       strcmp(g->name, h->name)));
		}
	CHECK(np_probe_bits_of("tc") == (NP_DEV_TC_INGRESS | NP_DEV_TC_EGRESS));
	CHECK(np_probe_bits_of("security") == NP_DEV_SECURITY);
	CHECK(np_probe_bits_of("drops") == 0 && np_probe_bits_of("nosuch") == 0);
	CHECK(np_dev_hook_by_name("nosuch") == NULL);
}

static void test_lookups(void)
{
	FILE *null = fopen("/dev/null", "w");
	struct np_ctx ctx = { .out = out_new(NP_FMT_PLAIN, false, false, null), .quiet = true };
	struct np_device rec = { .hooks = NP_DEV_XDP };
	char buf[256];

	CHECK(np_probe_find(&ctx, "vx", true, "t") == np_probe_by_name("vxlan"));
	CHECK(np_probe_find(&ctx, "drops", true, "t") == NULL);	/* a host probe */
	CHECK(np_probe_find(&ctx, "net", false, "t") == np_probe_by_name("netfilter"));
	CHECK(np_probe_is_host("socket") && !np_probe_is_host("tc") && !np_probe_is_host("sock"));
	CHECK(np_probe_names(buf, sizeof(buf), true, "|") == 0);
	CHECK_STR(buf, "tc|xdp|vxlan|security");
	CHECK(np_probe_names(buf, 8, false, " | ") == -1);	/* cut */
	CHECK(np_dev_has_traffic(&rec) && np_dev_has_hook(&rec, "xdp"));
	CHECK(!np_dev_has_hook(&rec, "tc_ingress"));
	rec.hooks = NP_DEV_SECURITY;
	CHECK(!np_dev_has_traffic(&rec) && np_dev_has_hook(&rec, "security_ingress"));
	out_free(ctx.out);
	fclose(null);
}

int main(void)
{
	test_entries();
	test_hooks();
	test_lookups();
	UNIT_DONE();
}
