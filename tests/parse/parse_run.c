// SPDX-License-Identifier: GPL-2.0
/*
 * parse_run: runs the frames of a pcap file through one netprobe BPF
 * program with BPF_PROG_TEST_RUN and prints, a line per frame, the flow
 * key the program wrote (tests/bats/parse.bats compares it with tshark's
 * decode of the same file). Maps are not pinned: a private copy per run.
 *
 *   parse_run tc|xdp|vxlan FILE.pcap
 *
 * A line: "N non-ip", "N none" (vxlan: no inner flow), "N refused" (the
 * kernel would not run the program on so short a frame) or
 * "N src dst proto sport dport tcp-flags later-fragment truncated"
 * (addresses "-" when the frame ended inside the IP header; vxlan, which
 * keeps no truncation mark, prints "-" for truncated).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>
#include "netprobe.h"
#include "traffic.skel.h"
#include "vxlan.skel.h"

#define MAX_FRAME 4096

struct pcap_rec {
	uint32_t sec, usec, caplen, len;
};

static int die(const char *what, int err)
{
	fprintf(stderr, "Error: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

static void unpin(struct bpf_object *obj)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, obj)
		bpf_map__set_pin_path(m, NULL);
}

static void addr_str(const uint8_t a[16], char *buf, size_t n)
{
	static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };
	static const uint8_t zero[16];

	if (!memcmp(a, zero, 16))
		snprintf(buf, n, "-");
	else if (!memcmp(a, v4mapped, 12))
		inet_ntop(AF_INET, a + 12, buf, n);
	else
		inet_ntop(AF_INET6, a, buf, n);
}

static void print_key(unsigned int n, const struct np_flow_key *k, unsigned int flags,
		      int truncated)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

	addr_str(k->src, s, sizeof(s));
	addr_str(k->dst, d, sizeof(d));
	if (!strcmp(s, "-") && !strcmp(d, "-"))
		printf("%u - - 0 0 0 0x000 0", n);
	else
		printf("%u %s %s %u %u %u 0x%03x %u", n, s, d, k->proto, k->sport, k->dport, flags,
		       k->flags & NP_FLOW_F_LATER_FRAGMENT ? 1 : 0);
	if (truncated < 0)
		printf(" -\n");
	else
		printf(" %d\n", truncated);
}

static void clear(int fd, size_t key_size)
{
	char key[256], next[256];

	while (!bpf_map_get_next_key(fd, NULL, next)) {
		memcpy(key, next, key_size);
		if (bpf_map_delete_elem(fd, key))
			die("delete", errno);
	}
}

static __u64 non_ip(int fd)
{
	int ncpu = libbpf_num_possible_cpus();
	struct np_flow_stats st[ncpu];
	__u32 slot = NP_FLOW_STATS_KERNEL;
	__u64 sum = 0;

	if (bpf_map_lookup_elem(fd, &slot, st))
		die("np_flow_stats", errno);
	for (int i = 0; i < ncpu; i++)
		sum += st[i].non_ip;
	return sum;
}

/*
 * 0 once the program ran on the frame; -1 if the kernel refused to make an
 * skb of it (BPF_PROG_TEST_RUN wants a whole IPv4/IPv6 header in a TC test
 * frame whose ethertype says IP).
 */
static int run(int prog, const void *frame, uint32_t len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len, .repeat = 1);
	int err = bpf_prog_test_run_opts(prog, &opts);

	if (err == -EINVAL)
		return -1;
	if (err)
		die("BPF_PROG_TEST_RUN", err);
	return 0;
}

/* Outer Ethernet, IPv4, UDP to 4789 and VXLAN (VNI 42) around the frame. */
static uint32_t vxlan_wrap(uint8_t *out, const uint8_t *f, uint32_t len)
{
	static const uint8_t eth[14] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00 };
	uint8_t *ip = out + 14, *udp = ip + 20, *vx = udp + 8;
	uint16_t tot = 20 + 8 + 8 + len, ulen = 8 + 8 + len;

	memcpy(out, eth, 14);
	memset(ip, 0, 20 + 8 + 8);
	ip[0] = 0x45;
	ip[2] = tot >> 8, ip[3] = tot;
	ip[8] = 64, ip[9] = 17;
	ip[12] = 192, ip[13] = 0, ip[14] = 2, ip[15] = 1;
	ip[16] = 192, ip[17] = 0, ip[18] = 2, ip[19] = 2;
	udp[0] = 0xc0, udp[1] = 0x00;
	udp[2] = 4789 >> 8, udp[3] = 4789 & 0xff;
	udp[4] = ulen >> 8, udp[5] = ulen;
	vx[0] = 0x08;
	vx[6] = 42;
	memcpy(vx + 8, f, len);
	return 14 + tot;
}

int main(int argc, char **argv)
{
	static uint8_t frame[MAX_FRAME], wrapped[MAX_FRAME + 64];
	struct np_traffic *tr = NULL;
	struct np_vxlan *vx = NULL;
	int prog, flows, stats = -1, vxlan;
	uint32_t magic_hdr[6];
	struct pcap_rec rec;
	unsigned int n = 0;
	FILE *f;
	int err;

	if (argc != 3 || (strcmp(argv[1], "tc") && strcmp(argv[1], "xdp") &&
			  strcmp(argv[1], "vxlan"))) {
		fprintf(stderr, "Usage: parse_run tc|xdp|vxlan FILE.pcap\n");
		return 2;
	}
	vxlan = !strcmp(argv[1], "vxlan");
	f = fopen(argv[2], "rb");
	if (!f)
		die(argv[2], errno);
	if (fread(magic_hdr, sizeof(magic_hdr), 1, f) != 1 || magic_hdr[0] != 0xa1b2c3d4)
		die("not a little-endian microsecond pcap file", EINVAL);
	libbpf_set_print(NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (vxlan) {
		struct np_vxlan_port_key pk = { .ifindex = 1, .port = 4789 };
		__u8 one = 1;

		vx = np_vxlan__open();
		if (!vx)
			die("open vxlan", errno);
		unpin(vx->obj);
		bpf_map__set_max_entries(vx->maps.np_vxlan_flows, 1024);
		bpf_map__set_max_entries(vx->maps.np_vxlan_tunnels, 1024);
		err = np_vxlan__load(vx);
		if (err)
			die("load vxlan", err);
		if (bpf_map_update_elem(bpf_map__fd(vx->maps.np_vxlan_ports), &pk, &one, BPF_ANY))
			die("np_vxlan_ports", errno);
		prog = bpf_program__fd(vx->progs.np_vxlan_ingress);
		flows = bpf_map__fd(vx->maps.np_vxlan_flows);
	} else {
		tr = np_traffic__open();
		if (!tr)
			die("open traffic", errno);
		unpin(tr->obj);
		bpf_map__set_max_entries(tr->maps.np_flows, 1024);
		err = np_traffic__load(tr);
		if (err)
			die("load traffic", err);
		prog = bpf_program__fd(!strcmp(argv[1], "xdp") ? tr->progs.np_xdp :
				       tr->progs.np_tc_ingress);
		flows = bpf_map__fd(tr->maps.np_flows);
		stats = bpf_map__fd(tr->maps.np_flow_stats);
	}
	while (fread(&rec, sizeof(rec), 1, f) == 1) {
		__u64 before = stats >= 0 ? non_ip(stats) : 0;

		n++;
		if (rec.caplen > MAX_FRAME || fread(frame, rec.caplen, 1, f) != 1)
			die("short or oversized pcap record", EINVAL);
		if (vxlan) {
			struct np_vxlan_flow_key k;
			struct np_vxlan_flow v;

			clear(flows, sizeof(k));
			if (run(prog, wrapped, vxlan_wrap(wrapped, frame, rec.caplen)))
				die("BPF_PROG_TEST_RUN", EINVAL);
			if (bpf_map_get_next_key(flows, NULL, &k)) {
				printf("%u none\n", n);
				continue;
			}
			if (bpf_map_lookup_elem(flows, &k, &v))
				die("np_vxlan_flows", errno);
			print_key(n, &k.inner, v.tcp_flags, -1);
			continue;
		}
		{
			struct np_flow_key k;
			struct np_flow_value v;

			clear(flows, sizeof(k));
			if (run(prog, frame, rec.caplen)) {
				printf("%u refused\n", n);
				continue;
			}
			if (non_ip(stats) != before) {
				printf("%u non-ip\n", n);
				continue;
			}
			if (bpf_map_get_next_key(flows, NULL, &k))
				die("no flow and not counted non-IP", ENOENT);
			if (bpf_map_lookup_elem(flows, &k, &v))
				die("np_flows", errno);
			print_key(n, &k, v.tcp_flags, v.truncated ? 1 : 0);
		}
	}
	fclose(f);
	np_traffic__destroy(tr);
	np_vxlan__destroy(vx);
	return 0;
}
