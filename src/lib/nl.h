/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small rtnetlink reader (NETLINK_ROUTE, raw sockets): dump requests and
 * attribute parsing, enough to read links, neighbours, FDB entries and
 * routes without shelling out to ip(8) or bridge(8).
 */
#ifndef NP_NL_H
#define NP_NL_H

#include <stddef.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

/* Called for each message of a dump; a negative return (-errno) stops the dump. */
typedef int (*np_nl_cb)(const struct nlmsghdr *nlh, void *arg);

/*
 * Sends an NLM_F_DUMP request of type with the fixed header hdr (ifinfomsg,
 * ndmsg, rtmsg, ...) and calls cb for each reply. Returns 0, cb's negative
 * value, or -errno.
 */
int np_nl_dump(int type, const void *hdr, size_t hdr_len, np_nl_cb cb, void *arg);

/* Fills tb[0..max] with the attributes in [rta, rta + len); others are skipped. */
void np_nl_parse(struct rtattr **tb, int max, const struct rtattr *rta, int len);
/* Attributes after a message's fixed header of hdr_len bytes. */
void np_nl_parse_msg(struct rtattr **tb, int max, const struct nlmsghdr *nlh, size_t hdr_len);
/* The attributes nested in rta. */
void np_nl_parse_nested(struct rtattr **tb, int max, const struct rtattr *rta);

static inline const void *np_nl_data(const struct rtattr *rta)
{
	return RTA_DATA(rta);
}

static inline int np_nl_len(const struct rtattr *rta)
{
	return RTA_PAYLOAD(rta);
}

#endif /* NP_NL_H */
