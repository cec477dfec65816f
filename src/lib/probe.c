// SPDX-License-Identifier: GPL-2.0
/* Lookups in the probe registry (np_probes[], src/cmd/probes.c). */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "probe.h"

const struct np_probe *np_probe_find(struct np_ctx *ctx, const char *name, bool per_device,
				     const char *what)
{
	const char *names[NP_PROBES_MAX + 1];
	const struct np_probe *found[NP_PROBES_MAX];
	int n = 0, i;

	np_for_each_probe(p)
		if (p->per_device == per_device && n < NP_PROBES_MAX) {
			found[n] = p;
			names[n++] = p->name;
		}
	names[n] = NULL;
	i = np_kw_noun(ctx, name, names, what, "probe");
	return i >= 0 ? found[i] : NULL;
}

const struct np_probe *np_probe_by_name(const char *name)
{
	np_for_each_probe(p)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}

bool np_probe_is_host(const char *name)
{
	const struct np_probe *p = np_probe_by_name(name);

	return p && !p->per_device;
}

__u32 np_probe_bits(const struct np_probe *p)
{
	__u32 bits = 0;

	np_for_each_probe_hook(p, h)
		bits |= h->bit;
	return bits;
}

__u32 np_probe_bits_of(const char *name)
{
	const struct np_probe *p = np_probe_by_name(name);

	return p ? np_probe_bits(p) : 0;
}

int np_probe_detach_hooks(struct np_ctx *ctx, const struct np_probe *self, const char *dev)
{
	int err = 0;

	np_for_each_probe_hook(self, hook) {
		int e = np_dev_hook_detach(ctx, dev, hook);

		err = err ?: e;
	}
	return err;
}

int np_probe_names(char *buf, size_t n, bool per_device, const char *sep)
{
	size_t len = 0;

	buf[0] = '\0';
	np_for_each_probe(p)
		if (p->per_device == per_device && len < n)
			len += snprintf(buf + len, n - len, "%s%s", len ? sep : "", p->name);
	return len < n ? 0 : -1;
}

void np_probe_help_list(FILE *f, bool per_device)
{
	np_for_each_probe(p)
		if (p->per_device == per_device)
			fprintf(f, "  %-10s %s\n", p->name, p->help);
}
