/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IPFIX (RFC 7011) messages of flow records, encoded by libfixbuf into
 * memory: the caller owns the transport, so that it knows whether the
 * messages left before it records them as exported (cmd/export.c).
 *
 * Four templates, all of standard information elements but the two
 * Kubernetes names, which are enterprise-specific strings under
 * NP_IPFIX_PEN:
 *
 *   256  IPv4          257  IPv6
 *   258  IPv4 + k8s    259  IPv6 + k8s
 *
 * Every set of messages starts with the template set (UDP has no other
 * way to give a collector the templates again).
 */
#ifndef NP_IPFIX_H
#define NP_IPFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/*
 * Private Enterprise Number of the Kubernetes name elements: 32473, the
 * number RFC 5612 reserves for documentation and examples. netprobe has
 * none of its own; a collector that should keep the names is told this one.
 */
#define NP_IPFIX_PEN		32473
#define NP_IPFIX_IE_SRC_K8S	1	/* netprobeSourceK8sName, string */
#define NP_IPFIX_IE_DST_K8S	2	/* netprobeDestinationK8sName, string */

enum np_ipfix_tmpl {
	NP_IPFIX_T_V4,
	NP_IPFIX_T_V6,
	NP_IPFIX_T_V4_K8S,
	NP_IPFIX_T_V6_K8S,
	NP_IPFIX_T_MAX,
};
#define NP_IPFIX_TID_BASE	256

/* One flow record: deltas since the last export. */
struct np_ipfix_flow {
	__u8 src[16], dst[16];		/* IPv4 v4-mapped, as the flow table keys them */
	__u16 sport, dport;
	__u8 proto;
	bool egress;			/* the hook direction: egressInterface, else ingress */
	__u16 tcp_flags;
	__u32 ifindex;
	__u64 packets, bytes;		/* packetDeltaCount, octetDeltaCount */
	__u64 start_ms, end_ms;		/* CLOCK_REALTIME milliseconds */
	const char *src_k8s, *dst_k8s;	/* NULL or "": unknown */
};

/* One message, ready to send. */
struct np_ipfix_msg {
	__u8 *buf;
	size_t len;
	__u32 records;
};

struct np_ipfix;

/*
 * An encoder making messages of at most mtu bytes for observation domain
 * domain; the first message carries the templates; sequence numbers start
 * at seq (the data records sent before in this stream). NULL and *err
 * set (static text) on failure.
 */
struct np_ipfix *np_ipfix_new(size_t mtu, __u32 domain, __u32 seq, __u32 export_time,
			      const char **err);
/* Appends a record; 0 or -1 with *err set. */
int np_ipfix_add(struct np_ipfix *x, const struct np_ipfix_flow *f, const char **err);
/* Ends the last message. The messages (valid until np_ipfix_free) in *msgs. */
int np_ipfix_finish(struct np_ipfix *x, const struct np_ipfix_msg **msgs, size_t *n,
		    const char **err);
/* Records written per template. */
__u64 np_ipfix_tmpl_records(const struct np_ipfix *x, enum np_ipfix_tmpl t);
void np_ipfix_free(struct np_ipfix *x);

#endif /* NP_IPFIX_H */
