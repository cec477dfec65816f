// SPDX-License-Identifier: GPL-2.0
/*
 * flowfill PINNED-MAP N: writes N synthetic flows into a pinned np_flows
 * map with bpf_map_update_batch, so that readers can be timed on a table
 * of a known size without generating N real flows first.
 *
 * Flows are IPv4 TCP 10.0.0.0/8 -> 10.0.0.0/8 (1 in 4 is IPv6 UDP), with
 * counters that differ per flow so that sorting has work to do.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <linux/types.h>

#include "../bpf/netprobe.h"

#define BATCH 16384

static void make_flow(__u32 i, __u64 now, struct np_flow_key *k, struct np_flow_value *v)
{
	memset(k, 0, sizeof(*k));
	memset(v, 0, sizeof(*v));
	if (i % 4 == 3) {
		k->src[0] = 0x20, k->src[1] = 0x01, k->src[2] = 0x0d, k->src[3] = 0xb8;
		memcpy(k->dst, k->src, 4);
		memcpy(&k->src[12], &i, 4);
		k->dst[15] = 1;
		k->proto = 17;
	} else {
		k->src[10] = k->src[11] = k->dst[10] = k->dst[11] = 0xff;
		k->src[12] = 10, k->src[13] = i >> 16, k->src[14] = i >> 8, k->src[15] = i;
		k->dst[12] = 10, k->dst[15] = 1;
		k->proto = 6;
		v->tcp_flags = 0x18;
	}
	k->sport = 1024 + i % 60000;
	k->dport = i % 2 ? 443 : 80;
	k->dir = 1 + i % 2;
	k->ifindex = 1;
	v->packets = 1 + (i * 2654435761u) % 1000;
	v->bytes = v->packets * (64 + i % 1400);
	v->first_seen = now - 1000000000ull;
	v->last_seen = now - (i % 1000) * 1000000ull;
}

int main(int argc, char **argv)
{
	struct np_flow_key *keys = calloc(BATCH, sizeof(*keys));
	struct np_flow_value *vals = calloc(BATCH, sizeof(*vals));
	struct timespec ts;
	unsigned long n;
	int fd;

	if (argc != 3 || !keys || !vals) {
		fprintf(stderr, "usage: flowfill PINNED-MAP N\n");
		return 2;
	}
	n = strtoul(argv[2], NULL, 0);
	fd = bpf_obj_get(argv[1]);
	if (fd < 0) {
		fprintf(stderr, "flowfill: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	for (unsigned long done = 0; done < n;) {
		__u32 count = n - done < BATCH ? n - done : BATCH;

		for (__u32 j = 0; j < count; j++)
			make_flow(done + j, ts.tv_sec * 1000000000ull + ts.tv_nsec, &keys[j],
				  &vals[j]);
		if (bpf_map_update_batch(fd, keys, vals, &count, NULL)) {
			fprintf(stderr, "flowfill: update_batch after %lu: %s\n", done,
				strerror(errno));
			return 1;
		}
		done += count;
	}
	return 0;
}
