// SPDX-License-Identifier: GPL-2.0
/*
 * One question to the kernel's connection tracking (ctnetlink, netfilter's
 * netlink): the original direction of the connection whose reply is a
 * given tuple. After a SNAT (kube-proxy's masquerade of a NodePort client)
 * the reply goes to the node's address; the original tuple still holds the
 * client. A GET by CTA_TUPLE_REPLY, on a socket kept for the process.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "conntrack.h"
#include "inet.h"
#include "nl.h"

static int ct_fd = -1;
static __u32 ct_seq;

void np_ct_close(void)
{
	if (ct_fd >= 0)
		close(ct_fd);
	ct_fd = -1;
}

static bool v4_mapped(const __u8 a[16])
{
	static const __u8 prefix[12] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(a, prefix, 12);
}

/* Appends attribute type with len bytes of data at *off in buf; returns its start. */
static struct rtattr *put(char *buf, size_t cap, size_t *off, int type, const void *data,
			  size_t len)
{
	struct rtattr *rta = (struct rtattr *)(buf + *off);

	if (*off + RTA_SPACE(len) > cap)
		return NULL;
	memset(rta, 0, RTA_SPACE(len));	/* the alignment padding goes out too */
	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	if (data)
		memcpy(RTA_DATA(rta), data, len);
	*off += RTA_SPACE(len);
	return rta;
}

/* Closes a nested attribute begun at nest. */
static void nest_end(char *buf, size_t off, struct rtattr *nest)
{
	nest->rta_len = buf + off - (char *)nest;
}

static int tuple_put(char *buf, size_t cap, size_t *off, const struct np_ct_tuple *t)
{
	bool v4 = v4_mapped(t->src) && v4_mapped(t->dst);
	struct rtattr *tuple, *ip, *proto;
	__u16 sport = htons(t->sport), dport = htons(t->dport);

	tuple = put(buf, cap, off, CTA_TUPLE_REPLY | NLA_F_NESTED, NULL, 0);
	ip = tuple ? put(buf, cap, off, CTA_TUPLE_IP | NLA_F_NESTED, NULL, 0) : NULL;
	if (!ip ||
	    !put(buf, cap, off, v4 ? CTA_IP_V4_SRC : CTA_IP_V6_SRC, v4 ? t->src + 12 : t->src,
		 v4 ? 4 : 16) ||
	    !put(buf, cap, off, v4 ? CTA_IP_V4_DST : CTA_IP_V6_DST, v4 ? t->dst + 12 : t->dst,
		 v4 ? 4 : 16))
		return -ENOSPC;
	nest_end(buf, *off, ip);
	proto = put(buf, cap, off, CTA_TUPLE_PROTO | NLA_F_NESTED, NULL, 0);
	if (!proto || !put(buf, cap, off, CTA_PROTO_NUM, &t->proto, 1) ||
	    !put(buf, cap, off, CTA_PROTO_SRC_PORT, &sport, 2) ||
	    !put(buf, cap, off, CTA_PROTO_DST_PORT, &dport, 2))
		return -ENOSPC;
	nest_end(buf, *off, proto);
	nest_end(buf, *off, tuple);
	return v4 ? AF_INET : AF_INET6;
}

static void addr_get(__u8 out[16], const struct rtattr *v4, const struct rtattr *v6)
{
	memset(out, 0, 16);
	if (v4 && np_nl_len(v4) == 4) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, np_nl_data(v4), 4);
	} else if (v6 && np_nl_len(v6) == 16) {
		memcpy(out, np_nl_data(v6), 16);
	}
}

/* The CTA_TUPLE_ORIG of a ctnetlink message. */
static int orig_get(const struct nlmsghdr *nlh, struct np_ct_tuple *orig)
{
	struct rtattr *tb[CTA_MAX + 1], *tt[CTA_TUPLE_MAX + 1], *ti[CTA_IP_MAX + 1];
	struct rtattr *tp[CTA_PROTO_MAX + 1];

	np_nl_parse_msg(tb, CTA_MAX, nlh, sizeof(struct nfgenmsg));
	if (!tb[CTA_TUPLE_ORIG])
		return -ENOENT;
	np_nl_parse_nested(tt, CTA_TUPLE_MAX, tb[CTA_TUPLE_ORIG]);
	if (!tt[CTA_TUPLE_IP] || !tt[CTA_TUPLE_PROTO])
		return -ENOENT;
	np_nl_parse_nested(ti, CTA_IP_MAX, tt[CTA_TUPLE_IP]);
	np_nl_parse_nested(tp, CTA_PROTO_MAX, tt[CTA_TUPLE_PROTO]);
	memset(orig, 0, sizeof(*orig));
	addr_get(orig->src, ti[CTA_IP_V4_SRC], ti[CTA_IP_V6_SRC]);
	addr_get(orig->dst, ti[CTA_IP_V4_DST], ti[CTA_IP_V6_DST]);
	if (tp[CTA_PROTO_NUM])
		orig->proto = *(const __u8 *)np_nl_data(tp[CTA_PROTO_NUM]);
	if (tp[CTA_PROTO_SRC_PORT] && np_nl_len(tp[CTA_PROTO_SRC_PORT]) == 2)
		orig->sport = ntohs(*(const __u16 *)np_nl_data(tp[CTA_PROTO_SRC_PORT]));
	if (tp[CTA_PROTO_DST_PORT] && np_nl_len(tp[CTA_PROTO_DST_PORT]) == 2)
		orig->dport = ntohs(*(const __u16 *)np_nl_data(tp[CTA_PROTO_DST_PORT]));
	return 0;
}

int np_ct_orig_of_reply(const struct np_ct_tuple *reply, struct np_ct_tuple *orig)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct nfgenmsg *nfg;
	size_t off = NLMSG_SPACE(sizeof(*nfg));
	int family, len;
	__u32 seq;

	if (reply->proto != IPPROTO_TCP && reply->proto != IPPROTO_UDP &&
	    reply->proto != IPPROTO_SCTP)
		return -ENOENT;
	if (ct_fd < 0) {
		ct_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
		if (ct_fd < 0)
			return -errno;
	}
	memset(buf, 0, off);
	family = tuple_put(buf, sizeof(buf), &off, reply);
	if (family < 0)
		return family;
	seq = ++ct_seq + ((__u32)getpid() << 8);
	nlh->nlmsg_len = off;
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	nfg = NLMSG_DATA(nlh);
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	if (sendto(ct_fd, buf, off, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	for (;;) {
		len = recv(ct_fd, buf, sizeof(buf), 0);
		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0)
			return len < 0 ? -errno : -EPIPE;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, (unsigned)len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_seq != seq)
				continue;	/* an answer to an earlier, abandoned question */
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nlh);

				return e->error ? e->error : -ENOENT;
			}
			return orig_get(nlh, orig);
		}
	}
}
