/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one packet parser of the BPF programs (issue 13): traffic (TC and
 * XDP), vxlan (outer and inner frames), security and drops parse with it,
 * so that the same packet has the same key in every table.
 *
 * A cursor says where the bytes are: an skb (TC), an XDP buffer, or a
 * kernel address (an sk_buff's data seen from a tracepoint). Every read
 * goes through np_load(), which fails when the packet ends before the
 * bytes asked for, so the parser never reads past the end. At TC and XDP
 * a header inside the linear part is read directly (data/data_end); one
 * beyond it (paged data, XDP frags) through bpf_skb_load_bytes /
 * bpf_xdp_load_bytes. The source is a constant at each call site and the
 * functions are inlined, so each program keeps only its own kind of read.
 *
 * What it decodes: Ethernet, up to two VLAN tags (802.1Q, 802.1ad), IPv4
 * with options and fragments, IPv6 with extension headers (hop-by-hop,
 * routing, destination options, AH, fragment), the ports of TCP, UDP,
 * UDP-Lite, SCTP and DCCP, the type and code of ICMP and ICMPv6, TCP
 * flags with NS. A packet that ends before its IP length says, or before
 * a header the parser needs, is marked truncated and keeps what was read.
 */
#ifndef NETPROBE_PARSE_BPF_H
#define NETPROBE_PARSE_BPF_H

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "netprobe.h"

#define NP_ETH_HLEN		14
#define NP_VLAN_HLEN		4
#define NP_ETH_P_IP		0x0800
#define NP_ETH_P_IPV6		0x86DD
#define NP_ETH_P_ARP		0x0806
#define NP_ETH_P_8021Q		0x8100
#define NP_ETH_P_8021AD		0x88A8
#define NP_IP_MF		0x2000
#define NP_IP_OFFSET		0x1FFF
/* <linux/in6.h> macros, which vmlinux.h cannot carry. */
#define NP_IPPROTO_HOPOPTS	0
#define NP_IPPROTO_ROUTING	43
#define NP_IPPROTO_FRAGMENT	44
#define NP_IPPROTO_AH		51
#define NP_IPPROTO_ICMPV6	58
#define NP_IPPROTO_DSTOPTS	60

/* Tags parsed in the packet (at TC a tag in skb metadata comes on top). */
#define NP_MAX_VLAN_TAGS	2
/* IPv6 extension headers walked before giving up on finding ports. */
#define NP_MAX_IPV6_EXT		6
/* Direct reads only this far into the packet (the verifier wants a bound). */
#define NP_DIRECT_MAX		1024

enum np_src {
	NP_SRC_SKB,	/* ctx is a struct __sk_buff */
	NP_SRC_XDP,	/* ctx is a struct xdp_md */
	NP_SRC_KERN,	/* ctx is the kernel address of offset 0 */
};

struct np_cur {
	void *ctx;
	__u64 data;	/* linear part for direct reads; 0: none */
	__u64 data_end;
	__u32 len;	/* bytes from offset 0 to the end of the packet; 0: unknown */
	__u8 src;	/* enum np_src */
};

/* What the parser found. dir and ifindex of key are the caller's. */
struct np_pkt {
	struct np_flow_key key;	/* addresses (IPv4 v4-mapped), ports, proto, flags */
	__u32 tcp_flags;	/* FIN 0x01 ... CWR 0x80, NS 0x100 */
	__u32 tcp_seq;
	__u32 l3_off;		/* the IP header */
	__u32 l4_off;		/* the L4 header; 0 if none was reached */
	__u32 l4_len;		/* bytes from l4_off to the end of the IP packet */
	__u16 l3proto;		/* ethertype, host order */
	__u8 ip;		/* 4 or 6 once the IP header was read, else 0 */
	__u8 truncated;		/* ended before its IP length or a needed header */
	__u8 fragment;		/* a later fragment (offset > 0): no L4 header */
	__u8 first_fragment;	/* offset 0, more fragments follow */
	__u8 l4_ok;		/* ports (ICMP: type and code) were read */
	__u8 tcp_doff;		/* TCP header length in bytes, 0 if not read */
};

#ifndef NP_NO_DIRECT
#define NP_DIRECT 1
#else
#define NP_DIRECT 0
#endif

/* A cursor over an skb or an XDP buffer, with direct reads of its linear part. */
#define NP_CUR_SKB(skb) ((struct np_cur){ .ctx = (skb), .src = NP_SRC_SKB,		\
	.data = NP_DIRECT ? (skb)->data : 0, .data_end = (skb)->data_end, .len = (skb)->len })
#define NP_CUR_XDP(xdp, l) ((struct np_cur){ .ctx = (xdp), .src = NP_SRC_XDP,		\
	.data = NP_DIRECT ? (xdp)->data : 0, .data_end = (xdp)->data_end, .len = (l) })
/* Kernel memory at p; len 0 when the end is not known. */
#define NP_CUR_KERN(p, l) ((struct np_cur){ .ctx = (p), .src = NP_SRC_KERN, .len = (l) })

/* Reads len bytes at off into to; non-zero if the packet ends before. */
static __always_inline long np_load(const struct np_cur *c, __u32 off, void *to, const __u32 len)
{
	if (c->src == NP_SRC_KERN)
		return bpf_probe_read_kernel(to, len, (const char *)c->ctx + off);
	if (c->data && off <= NP_DIRECT_MAX) {
		void *p = (void *)(long)c->data + off;

		if (p + len <= (void *)(long)c->data_end) {
			__builtin_memcpy(to, p, len);
			return 0;
		}
	}
	if (c->src == NP_SRC_XDP)
		return bpf_xdp_load_bytes(c->ctx, off, to, len);
	return bpf_skb_load_bytes(c->ctx, off, to, len);
}

/* Ports, or ICMP type/code, and TCP flags at off (the L4 header). */
static __always_inline void np_parse_l4(const struct np_cur *c, __u32 off, struct np_pkt *p)
{
	__u8 h[20];

	p->l4_off = off;
	switch (p->key.proto) {
	case IPPROTO_TCP:
		/* Ports, sequence and ack numbers, data offset, flags, window,
		 * checksum, urgent pointer: the 20 bytes every segment has.
		 * Flags only from a whole header. */
		if (!np_load(c, off, h, 20)) {
			p->tcp_doff = (h[12] >> 4) * 4;
			p->tcp_seq = ((__u32)h[4] << 24) | ((__u32)h[5] << 16) |
				     ((__u32)h[6] << 8) | h[7];
			p->tcp_flags = ((h[12] & 1) << 8) | h[13];
			break;
		}
		p->truncated = 1;
		/* fallthrough: at least the ports, maybe */
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
		if (np_load(c, off, h, 4)) {
			p->truncated = 1;
			return;
		}
		break;
	case IPPROTO_ICMP:
	case NP_IPPROTO_ICMPV6:
		if (np_load(c, off, h, 2)) {
			p->truncated = 1;
			return;
		}
		p->key.sport = h[0];
		p->key.dport = h[1];
		p->l4_ok = 1;
		return;
	default:
		return;
	}
	p->key.sport = (h[0] << 8) | h[1];
	p->key.dport = (h[2] << 8) | h[3];
	p->l4_ok = 1;
}

/* 0 if an IPv4 packet (maybe truncated), -1 if the version says otherwise. */
static __always_inline int np_parse_ipv4(const struct np_cur *c, __u32 off, struct np_pkt *p)
{
	struct iphdr ip;
	__u16 tot_len, frag;
	__u32 hlen;
	__u8 first;

	if (np_load(c, off, &ip, sizeof(ip))) {
		p->truncated = 1;
		return 0;
	}
	if (ip.version != 4)
		return -1;
	hlen = ip.ihl * 4;
	/* A header that ends inside its options is a header cut short. */
	if (hlen > sizeof(ip) && np_load(c, off + hlen - 1, &first, 1)) {
		p->truncated = 1;
		return 0;
	}
	p->ip = 4;
	p->key.src[10] = p->key.src[11] = 0xff;
	p->key.dst[10] = p->key.dst[11] = 0xff;
	__builtin_memcpy(&p->key.src[12], &ip.saddr, 4);
	__builtin_memcpy(&p->key.dst[12], &ip.daddr, 4);
	p->key.proto = ip.protocol;
	tot_len = bpf_ntohs(ip.tot_len);
	/* tot_len 0: a GSO packet over 64 KB (BIG TCP), not a short one. */
	if (tot_len && c->len && off + tot_len > c->len)
		p->truncated = 1;
	if (tot_len)
		p->l4_len = tot_len > hlen ? tot_len - hlen : 0;
	else if (c->len > off + hlen)
		p->l4_len = c->len - off - hlen;
	frag = bpf_ntohs(ip.frag_off);
	if (frag & NP_IP_OFFSET) {
		/* Only the first fragment carries the L4 header. */
		p->fragment = 1;
		p->key.flags |= NP_FLOW_F_LATER_FRAGMENT;
		return 0;
	}
	p->first_fragment = !!(frag & NP_IP_MF);
	if (hlen < 20) {
		p->truncated = 1;
		return 0;
	}
	np_parse_l4(c, off + hlen, p);
	return 0;
}

/* 0 if an IPv6 packet (maybe truncated), -1 if the version says otherwise. */
static __always_inline int np_parse_ipv6(const struct np_cur *c, __u32 off, struct np_pkt *p)
{
	struct { __u8 nexthdr, hdrlen; __u16 frag_off; __u32 id; } ext;
	struct ipv6hdr ip;
	__u32 end = 0;
	__u16 plen;

	if (np_load(c, off, &ip, sizeof(ip))) {
		p->truncated = 1;
		return 0;
	}
	if (ip.version != 6)
		return -1;
	p->ip = 6;
	__builtin_memcpy(p->key.src, &ip.saddr, 16);
	__builtin_memcpy(p->key.dst, &ip.daddr, 16);
	p->key.proto = ip.nexthdr;
	plen = bpf_ntohs(ip.payload_len);
	off += sizeof(ip);
	/* payload_len 0: a jumbogram or BIG TCP GSO packet. */
	if (plen) {
		end = off + plen;
		if (c->len && end > c->len)
			p->truncated = 1;
	} else {
		end = c->len;
	}
	for (int i = 0; i < NP_MAX_IPV6_EXT; i++) {
		__u8 nh = p->key.proto;

		if (nh != NP_IPPROTO_HOPOPTS && nh != NP_IPPROTO_ROUTING &&
		    nh != NP_IPPROTO_DSTOPTS && nh != NP_IPPROTO_FRAGMENT && nh != NP_IPPROTO_AH)
			goto upper;
		/* Its next header counts once the header's first 2 bytes (next
		 * header, length) are there; a fragment header's once all 8 are. */
		if (nh == NP_IPPROTO_FRAGMENT ? np_load(c, off, &ext, 8) : np_load(c, off, &ext, 2)) {
			p->truncated = 1;
			return 0;
		}
		p->key.proto = ext.nexthdr;
		if (nh == NP_IPPROTO_FRAGMENT) {
			__u16 fo = bpf_ntohs(ext.frag_off);

			if (fo & ~7) {
				p->fragment = 1;
				p->key.flags |= NP_FLOW_F_LATER_FRAGMENT;
				return 0;
			}
			p->first_fragment = fo & 1;
			off += 8;
		} else if (nh == NP_IPPROTO_AH) {
			off += (ext.hdrlen + 2) * 4;
		} else {
			off += (ext.hdrlen + 1) * 8;
		}
	}
	/* Too many extension headers: keep the addresses, no ports. */
	return 0;
upper:
	if (end > off)
		p->l4_len = end - off;
	np_parse_l4(c, off, p);
	return 0;
}

/*
 * The IP packet at off whose ethertype (host order) is l3proto. 0 if it is
 * IPv4 or IPv6 (maybe truncated), -1 if not IP.
 */
static __always_inline int np_parse_l3(const struct np_cur *c, __u32 off, __u16 l3proto,
				       struct np_pkt *p)
{
	p->l3proto = l3proto;
	p->l3_off = off;
	if (l3proto == NP_ETH_P_IP)
		return np_parse_ipv4(c, off, p);
	if (l3proto == NP_ETH_P_IPV6)
		return np_parse_ipv6(c, off, p);
	return -1;
}

/*
 * The frame at off: Ethernet and up to two VLAN tags, or with raw_ip no
 * link-layer header at all (the IP version tells). 0 if it carries IPv4
 * or IPv6 (maybe truncated), -1 if not, or if it ends inside Ethernet.
 */
static __always_inline int np_parse_frame(const struct np_cur *c, __u32 off, bool raw_ip,
					  struct np_pkt *p)
{
	struct { __u16 tci, proto; } tag;
	__u16 proto;
	__u8 first;

	if (raw_ip) {
		if (np_load(c, off, &first, 1))
			return -1;
		return np_parse_l3(c, off, (first >> 4) == 6 ? NP_ETH_P_IPV6 : NP_ETH_P_IP, p);
	}
	if (np_load(c, off + 12, &proto, 2))
		return -1;
	off += NP_ETH_HLEN;
	for (int i = 0; i < NP_MAX_VLAN_TAGS; i++) {
		if (proto != bpf_htons(NP_ETH_P_8021Q) && proto != bpf_htons(NP_ETH_P_8021AD))
			break;
		if (np_load(c, off, &tag, sizeof(tag)))
			return -1;
		proto = tag.proto;
		off += NP_VLAN_HLEN;
	}
	return np_parse_l3(c, off, bpf_ntohs(proto), p);
}

#endif /* NETPROBE_PARSE_BPF_H */
