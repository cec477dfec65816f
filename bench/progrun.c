// SPDX-License-Identifier: GPL-2.0
/*
 * progrun: the in-kernel cost of pinned netprobe programs, measured with
 * BPF_PROG_TEST_RUN on a 64-byte UDP frame, beside an empty program of the
 * same type loaded here (what the kernel's own run loop costs): no traffic
 * generator and no bpf_stats. The programs (of several builds, say) take
 * turns in many short rounds, so that a machine whose speed drifts moves
 * them all alike; the minimum and the median of the rounds are printed.
 *
 *   progrun hot|new ROUNDS N PROG-PIN...
 *     hot: one flow, the same frame N times (repeat N) a round
 *     new: N frames a round, each a new flow (random source address and
 *          port), one run each
 *
 * A line per program: "PIN MODE min X median Y ns a run", the empty
 * program's last. Each program runs against its own pinned maps, as
 * attached (flows N and all).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#define FRAME_LEN 64

static void frame(unsigned char *f, __u32 src, __u16 sport)
{
	static const unsigned char head[] = {
		0x02, 0, 0, 0, 0, 0x0b, 0x02, 0, 0, 0, 0, 0x0a, 0x08, 0x00,	/* Ethernet */
		0x45, 0, 0, 50, 0, 0, 0x40, 0, 64, 17, 0, 0,			/* IPv4 */
	};
	__u32 dst = htonl(0x0a630002);	/* 10.99.0.2 */
	__u16 dport = htons(9999), ulen = htons(30);

	memset(f, 0, FRAME_LEN);
	memcpy(f, head, sizeof(head));
	memcpy(f + 26, &src, 4);
	memcpy(f + 30, &dst, 4);
	memcpy(f + 34, &sport, 2);
	memcpy(f + 36, &dport, 2);
	memcpy(f + 38, &ulen, 2);
}

/* An empty program of type: returns "pass" (TC_ACT_UNSPEC / XDP_PASS). */
static int empty_prog(enum bpf_prog_type type)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
		  .imm = type == BPF_PROG_TYPE_XDP ? XDP_PASS : -1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts);

	return bpf_prog_load(type, "np_empty", "GPL", insns, 2, &opts);
}

/* Mean ns a run of fd: one run of repeat, or n runs of new flows. */
static double run(int fd, int hot, long n)
{
	unsigned char f[FRAME_LEN];
	double total = 0;

	if (hot) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = FRAME_LEN,
			    .repeat = (int)n);

		frame(f, htonl(0x0a630001), htons(1000));
		if (bpf_prog_test_run_opts(fd, &o))
			return -errno;
		return o.duration;
	}
	for (long i = 0; i < n; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = FRAME_LEN,
			    .repeat = 1);

		frame(f, htonl(0x0a000000 | (random() & 0xffffff)), htons(1024 + random() % 60000));
		if (bpf_prog_test_run_opts(fd, &o))
			return -errno;
		total += o.duration;
	}
	return total / n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int nprogs = argc - 4, hot, rounds;
	double *t;
	int *fds;
	long n;

	if (argc < 5 || (strcmp(argv[1], "hot") && strcmp(argv[1], "new"))) {
		fprintf(stderr, "Usage: progrun hot|new ROUNDS N PROG-PIN...\n");
		return 2;
	}
	hot = !strcmp(argv[1], "hot");
	rounds = atoi(argv[2]);
	n = atol(argv[3]);
	fds = calloc(nprogs + 1, sizeof(*fds));
	t = calloc((size_t)(nprogs + 1) * rounds, sizeof(*t));
	if (!fds || !t || rounds < 1 || n < 1)
		return 2;
	for (int i = 0; i <= nprogs; i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (i == nprogs) {
			/* The empty program, of the first one's type. */
			if (bpf_obj_get_info_by_fd(fds[0], &info, &len) ||
			    (fds[i] = empty_prog(info.type)) < 0) {
				fprintf(stderr, "Error: cannot load an empty program: %s\n",
					strerror(errno));
				return 1;
			}
			continue;
		}
		fds[i] = bpf_obj_get(argv[4 + i]);
		if (fds[i] < 0) {
			fprintf(stderr, "Error: %s: %s\n", argv[4 + i], strerror(errno));
			return 1;
		}
	}
	srandom(1);
	for (int r = 0; r < rounds; r++)
		for (int i = 0; i <= nprogs; i++) {
			double x = run(fds[i], hot, n);

			if (x < 0) {
				fprintf(stderr, "Error: test run: %s\n", strerror((int)-x));
				return 1;
			}
			t[(size_t)i * rounds + r] = x;
		}
	for (int i = 0; i <= nprogs; i++) {
		double *v = t + (size_t)i * rounds;

		qsort(v, rounds, sizeof(*v), cmp_double);
		printf("%s %s min %.1f median %.1f ns a run\n", i < nprogs ? argv[4 + i] : "empty",
		       argv[1], v[0], rounds % 2 ? v[rounds / 2] : (v[rounds / 2 - 1] + v[rounds / 2]) / 2);
	}
	return 0;
}
