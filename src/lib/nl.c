// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "nl.h"

/* Dumps come in parts of at most a page or two; 32 KiB holds any of them. */
#define NL_BUF 32768

void np_nl_parse(struct rtattr **tb, int max, const struct rtattr *rta, int len)
{
	memset(tb, 0, sizeof(*tb) * (max + 1));
	for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		unsigned short type = rta->rta_type & ~NLA_F_NESTED;

		if (type <= max && !tb[type])
			tb[type] = (struct rtattr *)rta;
	}
}

void np_nl_parse_msg(struct rtattr **tb, int max, const struct nlmsghdr *nlh, size_t hdr_len)
{
	int len = nlh->nlmsg_len - NLMSG_LENGTH(hdr_len);

	if (len < 0) {
		memset(tb, 0, sizeof(*tb) * (max + 1));
		return;
	}
	np_nl_parse(tb, max, (const struct rtattr *)((const char *)NLMSG_DATA(nlh) +
						     NLMSG_ALIGN(hdr_len)), len);
}

void np_nl_parse_nested(struct rtattr **tb, int max, const struct rtattr *rta)
{
	np_nl_parse(tb, max, RTA_DATA(rta), RTA_PAYLOAD(rta));
}

static int nl_send(int fd, int type, const void *hdr, size_t hdr_len, __u32 seq)
{
	struct {
		struct nlmsghdr nlh;
		char body[64];
	} req = { 0 };
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	if (hdr_len > sizeof(req.body))
		return -EINVAL;
	req.nlh.nlmsg_len = NLMSG_LENGTH(hdr_len);
	req.nlh.nlmsg_type = type;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nlh.nlmsg_seq = seq;
	memcpy(req.body, hdr, hdr_len);
	if (sendto(fd, &req, req.nlh.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return 0;
}

/* Handles one datagram of replies: 1 when the dump is done, else 0 or an error. */
static int nl_handle(char *buf, int len, __u32 seq, np_nl_cb cb, void *arg)
{
	for (struct nlmsghdr *nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, (unsigned)len);
	     nlh = NLMSG_NEXT(nlh, len)) {
		int err;

		if (nlh->nlmsg_seq != seq)
			continue;
		if (nlh->nlmsg_type == NLMSG_DONE)
			return 1;
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(nlh);

			return e->error ? e->error : 1;
		}
		err = cb(nlh, arg);
		if (err)
			return err;
	}
	return 0;
}

int np_nl_dump(int type, const void *hdr, size_t hdr_len, np_nl_cb cb, void *arg)
{
	static __u32 seq_counter;
	__u32 seq = ++seq_counter + (getpid() << 8);
	char *buf = malloc(NL_BUF);
	int fd, err;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0 || !buf) {
		err = fd < 0 ? -errno : -ENOMEM;
		goto out;
	}
	err = nl_send(fd, type, hdr, hdr_len, seq);
	while (!err) {
		int len = recv(fd, buf, NL_BUF, 0);

		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0) {
			err = len < 0 ? -errno : -EPIPE;
			break;
		}
		err = nl_handle(buf, len, seq, cb, arg);
	}
	if (err == 1)
		err = 0;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return err;
}
