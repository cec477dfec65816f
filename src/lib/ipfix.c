// SPDX-License-Identifier: GPL-2.0
/*
 * IPFIX messages by libfixbuf: one internal template (struct ipfix_rec,
 * every element) transcoded to the four external ones of ipfix.h. The
 * exporter is fixbuf's buffer exporter, one message at a time, each copied
 * out as fBufEmit makes it; the header's sequence number is then set to
 * the stream's count (fixbuf counts from 0 in every process, netprobe
 * keeps the count across runs in its pinned export state).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fixbuf/public.h>

#include "inet.h"
#include "ipfix.h"

/* The internal record: sizes as the template's, no gaps (fixbuf copies by layout). */
struct ipfix_rec {
	uint64_t start_ms;
	uint64_t end_ms;
	uint64_t octets;
	uint64_t packets;
	fbVarfield_t src_k8s;
	fbVarfield_t dst_k8s;
	uint8_t src6[16];
	uint8_t dst6[16];
	uint32_t src4;
	uint32_t dst4;
	uint32_t in_if;
	uint32_t out_if;
	uint16_t sport;
	uint16_t dport;
	uint16_t tcp_flags;
	uint16_t icmp4;
	uint16_t icmp6;
	uint8_t proto;
	uint8_t direction;
	uint8_t pad[4];
};

_Static_assert(sizeof(struct ipfix_rec) == 128, "struct ipfix_rec has a gap");

enum { F_V4 = 1, F_V6 = 2, F_K8S = 4 };

/* Flags 0: in every template; else only where the template's flags have them. */
static fbInfoElementSpec_t rec_spec[] = {
	{ "flowStartMilliseconds", 8, 0 },
	{ "flowEndMilliseconds", 8, 0 },
	{ "octetDeltaCount", 8, 0 },
	{ "packetDeltaCount", 8, 0 },
	{ "netprobeSourceK8sName", 0, F_K8S },
	{ "netprobeDestinationK8sName", 0, F_K8S },
	{ "sourceIPv6Address", 16, F_V6 },
	{ "destinationIPv6Address", 16, F_V6 },
	{ "sourceIPv4Address", 4, F_V4 },
	{ "destinationIPv4Address", 4, F_V4 },
	{ "ingressInterface", 4, 0 },
	{ "egressInterface", 4, 0 },
	{ "sourceTransportPort", 2, 0 },
	{ "destinationTransportPort", 2, 0 },
	{ "tcpControlBits", 2, 0 },
	{ "icmpTypeCodeIPv4", 2, F_V4 },
	{ "icmpTypeCodeIPv6", 2, F_V6 },
	{ "protocolIdentifier", 1, 0 },
	{ "flowDirection", 1, 0 },
	{ "paddingOctets", 4, UINT32_MAX },	/* internal only: no template has all flags */
	FB_IESPEC_NULL
};

static fbInfoElement_t k8s_elements[] = {
	FB_IE_INIT_FULL("netprobeSourceK8sName", NP_IPFIX_PEN, NP_IPFIX_IE_SRC_K8S, FB_IE_VARLEN,
			FB_IE_F_NONE, 0, 0, FB_STRING,
			"The source end as netprobe's Kubernetes resolver names it"),
	FB_IE_INIT_FULL("netprobeDestinationK8sName", NP_IPFIX_PEN, NP_IPFIX_IE_DST_K8S,
			FB_IE_VARLEN, FB_IE_F_NONE, 0, 0, FB_STRING,
			"The destination end as netprobe's Kubernetes resolver names it"),
	FB_IE_NULL
};

static const uint32_t tmpl_flags[NP_IPFIX_T_MAX] = {
	[NP_IPFIX_T_V4] = F_V4,
	[NP_IPFIX_T_V6] = F_V6,
	[NP_IPFIX_T_V4_K8S] = F_V4 | F_K8S,
	[NP_IPFIX_T_V6_K8S] = F_V6 | F_K8S,
};

#define INTERNAL_TID 0x9000

struct np_ipfix {
	fbInfoModel_t *model;
	fbSession_t *session;
	fbExporter_t *exporter;
	fBuf_t *fbuf;
	uint8_t *out;			/* the buffer exporter's message */
	size_t mtu;
	__u32 seq;			/* sequence number of the message being made */
	__u32 in_msg;			/* records in it */
	struct np_ipfix_msg *msgs;
	size_t n, cap;
	__u64 per_tmpl[NP_IPFIX_T_MAX];
	int cur_tmpl;
	char err[256];
};

static const char *set_err(struct np_ipfix *x, const char *what, GError *e)
{
	snprintf(x->err, sizeof(x->err), "%s: %s", what, e ? e->message : "failed");
	if (e)
		g_clear_error(&e);
	return x->err;
}

static int add_templates(struct np_ipfix *x, GError **e)
{
	fbTemplate_t *t = fbTemplateAlloc(x->model);

	if (!fbTemplateAppendSpecArray(t, rec_spec, UINT32_MAX, e) ||
	    !fbSessionAddTemplate(x->session, TRUE, INTERNAL_TID, t, e)) {
		fbTemplateFreeUnused(t);
		return -1;
	}
	for (int i = 0; i < NP_IPFIX_T_MAX; i++) {
		t = fbTemplateAlloc(x->model);
		if (!fbTemplateAppendSpecArray(t, rec_spec, tmpl_flags[i], e) ||
		    !fbSessionAddTemplate(x->session, FALSE, NP_IPFIX_TID_BASE + i, t, e)) {
			fbTemplateFreeUnused(t);
			return -1;
		}
	}
	return 0;
}

/*
 * Out of automatic mode, fixbuf refuses the first template with "end of
 * message" (templates start a message of their own); nothing was written
 * yet, so an emit of the empty buffer and a second try do it.
 */
static gboolean export_templates(struct np_ipfix *x, GError **e)
{
	if (fbSessionExportTemplates(x->session, e))
		return TRUE;
	if (!g_error_matches(*e, FB_ERROR_DOMAIN, FB_ERROR_EOM))
		return FALSE;
	g_clear_error(e);
	return fBufEmit(x->fbuf, e) && fbSessionExportTemplates(x->session, e);
}

struct np_ipfix *np_ipfix_new(size_t mtu, __u32 domain, __u32 seq, __u32 export_time,
			      const char **err)
{
	static char msg[256];
	struct np_ipfix *x = calloc(1, sizeof(*x));
	GError *e = NULL;

	if (x)
		x->out = malloc(mtu);
	if (!x || !x->out) {
		free(x);
		*err = "out of memory";
		return NULL;
	}
	x->mtu = mtu;
	x->seq = seq;
	x->cur_tmpl = -1;
	x->model = fbInfoModelAlloc();
	fbInfoModelAddElementArray(x->model, k8s_elements);
	x->session = fbSessionAlloc(x->model);
	fbSessionSetDomain(x->session, domain);
	if (add_templates(x, &e)) {
		snprintf(msg, sizeof(msg), "IPFIX templates: %s", e ? e->message : "failed");
		g_clear_error(&e);
		*err = msg;
		np_ipfix_free(x);
		return NULL;
	}
	x->exporter = fbExporterAllocBuffer(x->out, mtu);
	x->fbuf = fBufAllocForExport(x->session, x->exporter);
	fBufSetAutomaticMode(x->fbuf, FALSE);
	fBufSetExportTime(x->fbuf, export_time);
	if (!export_templates(x, &e) || !fBufSetInternalTemplate(x->fbuf, INTERNAL_TID, &e)) {
		snprintf(msg, sizeof(msg), "IPFIX templates: %s", e ? e->message : "failed");
		g_clear_error(&e);
		*err = msg;
		np_ipfix_free(x);
		return NULL;
	}
	return x;
}

/* Copies the message fixbuf just made out, with the stream's sequence number. */
static int take_message(struct np_ipfix *x, const char **err)
{
	size_t len = fbExporterGetMsgLen(x->exporter);
	struct np_ipfix_msg *m;
	__u32 seq = htonl(x->seq);

	if (len < 16) {
		*err = "IPFIX: fixbuf made a message shorter than its header";
		return -1;
	}
	if (x->n == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 16;
		void *p = realloc(x->msgs, cap * sizeof(*x->msgs));

		if (!p) {
			*err = "out of memory";
			return -1;
		}
		x->msgs = p;
		x->cap = cap;
	}
	m = &x->msgs[x->n];
	m->buf = malloc(len);
	if (!m->buf) {
		*err = "out of memory";
		return -1;
	}
	memcpy(m->buf, x->out, len);
	memcpy(m->buf + 8, &seq, sizeof(seq));	/* RFC 7011 3.1: bytes 8-11 */
	m->len = len;
	m->records = x->in_msg;
	x->n++;
	x->seq += x->in_msg;
	x->in_msg = 0;
	return 0;
}

static int emit(struct np_ipfix *x, const char **err)
{
	GError *e = NULL;

	if (!fBufEmit(x->fbuf, &e)) {
		*err = set_err(x, "IPFIX message", e);
		return -1;
	}
	return take_message(x, err);
}

static void fill(struct ipfix_rec *r, const struct np_ipfix_flow *f, bool v4, bool k8s)
{
	memset(r, 0, sizeof(*r));
	r->start_ms = f->start_ms;
	r->end_ms = f->end_ms;
	r->octets = f->bytes;
	r->packets = f->packets;
	if (v4) {
		memcpy(&r->src4, f->src + 12, 4);
		memcpy(&r->dst4, f->dst + 12, 4);
		r->src4 = ntohl(r->src4);	/* fixbuf takes addresses in host order */
		r->dst4 = ntohl(r->dst4);
	} else {
		memcpy(r->src6, f->src, 16);
		memcpy(r->dst6, f->dst, 16);
	}
	if (k8s) {
		const char *s = f->src_k8s ? f->src_k8s : "", *d = f->dst_k8s ? f->dst_k8s : "";

		r->src_k8s = (fbVarfield_t){ .len = strlen(s), .buf = (uint8_t *)s };
		r->dst_k8s = (fbVarfield_t){ .len = strlen(d), .buf = (uint8_t *)d };
	}
	if (f->egress)
		r->out_if = f->ifindex;
	else
		r->in_if = f->ifindex;
	if (f->proto == IPPROTO_ICMP || f->proto == IPPROTO_ICMPV6) {
		/* Type and code: their own elements, and where NetFlow put them
		 * (destinationTransportPort = type * 256 + code), which collectors
		 * such as nfdump read. */
		__u16 tc = (f->sport & 0xff) << 8 | (f->dport & 0xff);

		if (f->proto == IPPROTO_ICMP)
			r->icmp4 = tc;
		else
			r->icmp6 = tc;
		r->dport = tc;
	} else {
		r->sport = f->sport;
		r->dport = f->dport;
	}
	r->tcp_flags = f->tcp_flags;
	r->proto = f->proto;
	r->direction = f->egress;	/* flowDirection: 0 ingress, 1 egress */
}

int np_ipfix_add(struct np_ipfix *x, const struct np_ipfix_flow *f, const char **err)
{
	bool v4 = np_addr_is_v4(f->src) && np_addr_is_v4(f->dst);
	bool k8s = (f->src_k8s && *f->src_k8s) || (f->dst_k8s && *f->dst_k8s);
	int t = v4 ? (k8s ? NP_IPFIX_T_V4_K8S : NP_IPFIX_T_V4) :
		     (k8s ? NP_IPFIX_T_V6_K8S : NP_IPFIX_T_V6);
	struct ipfix_rec r;
	GError *e = NULL;

	fill(&r, f, v4, k8s);
	if (t != x->cur_tmpl) {
		if (!fBufSetExportTemplate(x->fbuf, NP_IPFIX_TID_BASE + t, &e)) {
			*err = set_err(x, "IPFIX template", e);
			return -1;
		}
		x->cur_tmpl = t;
	}
	for (int tries = 0; tries < 2; tries++) {
		if (fBufAppend(x->fbuf, (uint8_t *)&r, sizeof(r), &e)) {
			x->in_msg++;
			x->per_tmpl[t]++;
			return 0;
		}
		if (!g_error_matches(e, FB_ERROR_DOMAIN, FB_ERROR_EOM) || tries)
			break;
		/* The message is full: send it off, the record starts the next. */
		g_clear_error(&e);
		if (emit(x, err))
			return -1;
	}
	*err = set_err(x, "IPFIX record", e);
	return -1;
}

int np_ipfix_finish(struct np_ipfix *x, const struct np_ipfix_msg **msgs, size_t *n,
		    const char **err)
{
	/* The templates alone make a message too: a collector learns them. */
	if (emit(x, err))
		return -1;
	*msgs = x->msgs;
	*n = x->n;
	return 0;
}

__u64 np_ipfix_tmpl_records(const struct np_ipfix *x, enum np_ipfix_tmpl t)
{
	return x->per_tmpl[t];
}

void np_ipfix_free(struct np_ipfix *x)
{
	if (!x)
		return;
	if (x->fbuf)
		fBufFree(x->fbuf);	/* frees the session and the exporter */
	else if (x->session)
		fbSessionFree(x->session);
	if (x->model)
		fbInfoModelFree(x->model);
	for (size_t i = 0; i < x->n; i++)
		free(x->msgs[i].buf);
	free(x->msgs);
	free(x->out);
	free(x);
}
