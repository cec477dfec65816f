// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "icmp.h"
#include "inet.h"
#include "maps.h"
#include "state.h"

#define ANY	(-1)

/*
 * Types (code ANY) and codes of RFC 792/1122/1812 and RFC 4443/4861/3810,
 * named as in ip(8) and nft where those name them. A name is given once
 * per family, so that a name selects one type or one code of each.
 */
static const struct icmp_name {
	__u8 family, type;
	short code;
	const char *name;
} names[] = {
	{ 4, 0, ANY, "echo-reply" },
	{ 4, 3, ANY, "dest-unreachable" },
	{ 4, 3, 0, "net-unreachable" },
	{ 4, 3, 1, "host-unreachable" },
	{ 4, 3, 2, "protocol-unreachable" },
	{ 4, 3, 3, "port-unreachable" },
	{ 4, 3, 4, "frag-needed" },
	{ 4, 3, 5, "source-route-failed" },
	{ 4, 3, 6, "net-unknown" },
	{ 4, 3, 7, "host-unknown" },
	{ 4, 3, 8, "host-isolated" },
	{ 4, 3, 9, "net-prohibited" },
	{ 4, 3, 10, "host-prohibited" },
	{ 4, 3, 11, "net-tos-unreachable" },
	{ 4, 3, 12, "host-tos-unreachable" },
	{ 4, 3, 13, "admin-prohibited" },
	{ 4, 3, 14, "host-precedence-violation" },
	{ 4, 3, 15, "precedence-cutoff" },
	{ 4, 4, ANY, "source-quench" },
	{ 4, 5, ANY, "redirect" },
	{ 4, 5, 0, "net-redirect" },
	{ 4, 5, 1, "host-redirect" },
	{ 4, 5, 2, "tos-net-redirect" },
	{ 4, 5, 3, "tos-host-redirect" },
	{ 4, 8, ANY, "echo-request" },
	{ 4, 9, ANY, "router-advertisement" },
	{ 4, 10, ANY, "router-solicitation" },
	{ 4, 11, ANY, "time-exceeded" },
	{ 4, 11, 0, "ttl-exceeded" },
	{ 4, 11, 1, "reassembly-timeout" },
	{ 4, 12, ANY, "parameter-problem" },
	{ 4, 12, 0, "pointer-error" },
	{ 4, 12, 1, "missing-option" },
	{ 4, 12, 2, "bad-length" },
	{ 4, 13, ANY, "timestamp-request" },
	{ 4, 14, ANY, "timestamp-reply" },
	{ 4, 15, ANY, "info-request" },
	{ 4, 16, ANY, "info-reply" },
	{ 4, 17, ANY, "address-mask-request" },
	{ 4, 18, ANY, "address-mask-reply" },
	{ 6, 1, ANY, "dest-unreachable" },
	{ 6, 1, 0, "no-route" },
	{ 6, 1, 1, "admin-prohibited" },
	{ 6, 1, 2, "beyond-scope" },
	{ 6, 1, 3, "addr-unreachable" },
	{ 6, 1, 4, "port-unreachable" },
	{ 6, 1, 5, "policy-fail" },
	{ 6, 1, 6, "reject-route" },
	{ 6, 2, ANY, "packet-too-big" },
	{ 6, 3, ANY, "time-exceeded" },
	{ 6, 3, 0, "hop-limit-exceeded" },
	{ 6, 3, 1, "reassembly-timeout" },
	{ 6, 4, ANY, "parameter-problem" },
	{ 6, 4, 0, "bad-header" },
	{ 6, 4, 1, "unknown-next-header" },
	{ 6, 4, 2, "unknown-option" },
	{ 6, 128, ANY, "echo-request" },
	{ 6, 129, ANY, "echo-reply" },
	{ 6, 130, ANY, "mld-listener-query" },
	{ 6, 131, ANY, "mld-listener-report" },
	{ 6, 132, ANY, "mld-listener-done" },
	{ 6, 133, ANY, "router-solicitation" },
	{ 6, 134, ANY, "router-advertisement" },
	{ 6, 135, ANY, "neighbor-solicitation" },
	{ 6, 136, ANY, "neighbor-advertisement" },
	{ 6, 137, ANY, "redirect" },
	{ 6, 143, ANY, "mld2-listener-report" },
};

static const char *lookup(__u8 family, __u8 type, short code)
{
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].family == family && names[i].type == type && names[i].code == code)
			return names[i].name;
	return NULL;
}

const char *np_icmp_type_name(__u8 family, __u8 type)
{
	return lookup(family, type, ANY);
}

const char *np_icmp_code_name(__u8 family, __u8 type, __u8 code)
{
	return lookup(family, type, code);
}

int np_icmp_sel_parse(const char *s, struct np_icmp_sel *sel)
{
	const char *slash = strchr(s, '/');
	bool found = false;
	long type, code = ANY;
	char num[8];
	size_t len;

	for (int f = 0; f < 2; f++)
		sel->type[f] = sel->code[f] = ANY;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		int f = names[i].family == 6;

		if (strcmp(names[i].name, s))
			continue;
		sel->type[f] = names[i].type;
		sel->code[f] = names[i].code;
		found = true;
	}
	if (found)
		return 0;
	/* N or N/CODE: the same numbers in both families. */
	len = slash ? (size_t)(slash - s) : strlen(s);
	if (len >= sizeof(num))
		return -1;
	memcpy(num, s, len);
	num[len] = '\0';
	type = np_parse_decimal(num, 255);
	if (slash)
		code = np_parse_decimal(slash + 1, 255);
	if (type < 0 || (slash && code < 0))
		return -1;
	for (int f = 0; f < 2; f++) {
		sel->type[f] = type;
		sel->code[f] = code;
	}
	return 0;
}

bool np_icmp_sel_match(const struct np_icmp_sel *sel, __u8 family, __u8 type, __u8 code)
{
	int f = family == 6;

	return sel->type[f] == type && (sel->code[f] == ANY || sel->code[f] == code);
}

int np_icmp_summary_read(struct np_ctx *ctx, __u64 entries, struct np_icmp_summary *s)
{
	__u64 gone;
	int err;

	memset(s, 0, sizeof(*s));
	s->entries = entries;
	err = np_table_stats_read(ctx, "np_icmp_errors", "np_icmp_stats", NP_ICMP_STATS_KERNEL,
				  NP_ICMP_STATS_USER, sizeof(struct np_icmp_stats),
				  offsetof(struct np_icmp_stats, deleted), &s->max_entries,
				  &s->kernel, &s->deleted);
	gone = s->deleted + s->entries;
	s->evictions = s->kernel.inserts > gone ? s->kernel.inserts - gone : 0;
	return err;
}

/* Entries of np_icmp_errors that user space removed: not evictions. */
static int add_deleted(struct np_ctx *ctx, __u64 n)
{
	if (!n)
		return 0;
	return np_percpu_slot_add(ctx, "np_icmp_stats", NP_ICMP_STATS_USER,
				  sizeof(struct np_icmp_stats), offsetof(struct np_icmp_stats, deleted), n);
}

/* Empties (or purges ifindex from, when purge) one map; -ENOENT if not pinned. */
static int clear_one(struct np_ctx *ctx, const char *map, size_t ifindex_off, bool purge,
		     __u32 ifindex, __u64 *n)
{
	int fd = np_map_open(ctx, map), err;

	*n = 0;
	if (fd < 0)
		return fd;
	err = purge ? np_map_purge_ifindex(fd, ifindex_off, ifindex, n) : np_map_clear(fd, n);
	close(fd);
	return err;
}

static int icmp_remove(struct np_ctx *ctx, bool purge, __u32 ifindex, __u64 *rows,
		       __u64 *errors)
{
	__u64 r = 0, e = 0;
	int err, err2;

	err = clear_one(ctx, "np_icmp_counts", offsetof(struct np_icmp_count_key, ifindex), purge,
			ifindex, &r);
	err2 = clear_one(ctx, "np_icmp_errors", offsetof(struct np_icmp_error_key, ifindex), purge,
			 ifindex, &e);
	err = err ?: err2;
	err2 = add_deleted(ctx, e);
	if (rows)
		*rows = r;
	if (errors)
		*errors = e;
	return err ?: err2;
}

int np_icmp_clear(struct np_ctx *ctx, __u64 *rows, __u64 *errors)
{
	return icmp_remove(ctx, false, 0, rows, errors);
}

void np_icmp_forget_dev(struct np_ctx *ctx, __u32 ifindex)
{
	icmp_remove(ctx, true, ifindex, NULL, NULL);
}
