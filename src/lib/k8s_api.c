// SPDX-License-Identifier: GPL-2.0
/*
 * The API server, optional: names of the pods on other nodes, which a node
 * cannot know from its own files. One paged list of /api/v1/pods per
 * invocation (libcurl, JSON by jansson), with the credentials of a
 * kubeconfig (--kubeconfig FILE or $NETPROBE_KUBECONFIG; parsed by libyaml:
 * current-context, its cluster's server and CA, its user's token or client
 * certificate) or, in a pod, the service account's
 * ($KUBERNETES_SERVICE_HOST/_PORT, token and ca.crt in
 * $NETPROBE_K8S_SA_DIR, default /var/run/secrets/kubernetes.io/serviceaccount).
 * $NETPROBE_K8S_API=off turns it off. A failure is a note; the node's own
 * sources still answer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <yaml.h>

#include "k8s.h"

#define API_BODY_MAX	(256u << 20)	/* a list page larger than this is refused */
#define API_PAGE	500

struct api_cfg {
	char server[512];
	char *ca_file;			/* a path, or */
	char *ca_pem;			/* PEM text */
	char *cert_pem, *key_pem;	/* client certificate */
	char *cert_file, *key_file;
	char *token;
	bool insecure;
	const char *from;		/* for notes: the kubeconfig's path or "service account" */
};

static void cfg_free(struct api_cfg *c)
{
	free(c->ca_file);
	free(c->ca_pem);
	free(c->cert_pem);
	free(c->key_pem);
	free(c->cert_file);
	free(c->key_file);
	free(c->token);
	memset(c, 0, sizeof(*c));
}

static char *read_file(const char *path, size_t max)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = malloc(max + 1);
	n = buf ? fread(buf, 1, max, f) : 0;
	fclose(f);
	if (!buf)
		return NULL;
	buf[n] = '\0';
	return buf;
}

/* ---- kubeconfig (YAML) ---- */

static yaml_node_t *map_get(yaml_document_t *d, yaml_node_t *m, const char *key)
{
	if (!m || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(d, p->key);

		if (k && k->type == YAML_SCALAR_NODE && !strcmp((char *)k->data.scalar.value, key))
			return yaml_document_get_node(d, p->value);
	}
	return NULL;
}

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* The "name"d entry of a list such as clusters:, its member key (cluster:). */
static yaml_node_t *named(yaml_document_t *d, yaml_node_t *root, const char *list,
			  const char *name, const char *member)
{
	yaml_node_t *l = map_get(d, root, list);

	if (!l || l->type != YAML_SEQUENCE_NODE || !name)
		return NULL;
	for (yaml_node_item_t *i = l->data.sequence.items.start; i < l->data.sequence.items.top;
	     i++) {
		yaml_node_t *e = yaml_document_get_node(d, *i);
		const char *n = scalar(map_get(d, e, "name"));

		if (n && !strcmp(n, name))
			return map_get(d, e, member);
	}
	return NULL;
}

static char *b64_decode(const char *s)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(s);
	char *out = malloc(n / 4 * 3 + 4), *o = out;
	unsigned v = 0;
	int bits = 0;

	if (!out)
		return NULL;
	for (const char *p = s; *p && *p != '='; p++) {
		const char *c;

		if (*p == '\n' || *p == '\r' || *p == ' ')
			continue;
		c = strchr(tab, *p);
		if (!c) {
			free(out);
			return NULL;
		}
		v = v << 6 | (unsigned)(c - tab);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			*o++ = (char)(v >> bits & 0xff);
		}
	}
	*o = '\0';
	return out;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int kubeconfig_read(const char *path, struct api_cfg *c, char *why, size_t n)
{
	yaml_node_t *root, *cluster, *user;
	const char *cc, *server, *v;
	yaml_parser_t parser;
	yaml_document_t doc;
	FILE *f = fopen(path, "re");
	int err = -EINVAL;

	if (!f) {
		snprintf(why, n, "cannot read %s: %s", path, strerror(errno));
		return -errno;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(why, n, "%s: not YAML (line %zu)", path, parser.problem_mark.line + 1);
		yaml_parser_delete(&parser);
		fclose(f);
		return -EINVAL;
	}
	root = yaml_document_get_root_node(&doc);
	cc = scalar(map_get(&doc, root, "current-context"));
	yaml_node_t *ctx = named(&doc, root, "contexts", cc, "context");
	cluster = named(&doc, root, "clusters", scalar(map_get(&doc, ctx, "cluster")), "cluster");
	user = named(&doc, root, "users", scalar(map_get(&doc, ctx, "user")), "user");
	server = scalar(map_get(&doc, cluster, "server"));
	if (!server) {
		snprintf(why, n, "%s: no server for the current context", path);
		goto out;
	}
	snprintf(c->server, sizeof(c->server), "%s", server);
	if ((v = scalar(map_get(&doc, cluster, "certificate-authority-data"))))
		c->ca_pem = b64_decode(v);
	c->ca_file = dup_or_null(scalar(map_get(&doc, cluster, "certificate-authority")));
	v = scalar(map_get(&doc, cluster, "insecure-skip-tls-verify"));
	c->insecure = v && !strcmp(v, "true");
	c->token = dup_or_null(scalar(map_get(&doc, user, "token")));
	if (!c->token && (v = scalar(map_get(&doc, user, "tokenFile")))) {
		c->token = read_file(v, 65536);
		if (c->token)
			c->token[strcspn(c->token, "\r\n")] = '\0';
	}
	if ((v = scalar(map_get(&doc, user, "client-certificate-data"))))
		c->cert_pem = b64_decode(v);
	if ((v = scalar(map_get(&doc, user, "client-key-data"))))
		c->key_pem = b64_decode(v);
	c->cert_file = dup_or_null(scalar(map_get(&doc, user, "client-certificate")));
	c->key_file = dup_or_null(scalar(map_get(&doc, user, "client-key")));
	c->from = path;
	err = 0;
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(f);
	return err;
}

static int in_cluster(struct api_cfg *c, char *why, size_t n)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	const char *dir = getenv("NETPROBE_K8S_SA_DIR");
	char path[512];

	if (!host || !*host)
		return -ENOENT;
	if (!dir || !*dir)
		dir = "/var/run/secrets/kubernetes.io/serviceaccount";
	snprintf(path, sizeof(path), "%s/token", dir);
	c->token = read_file(path, 65536);
	if (!c->token) {
		snprintf(why, n, "in a pod, but cannot read %s: %s", path, strerror(errno));
		return -errno;
	}
	c->token[strcspn(c->token, "\r\n")] = '\0';
	snprintf(path, sizeof(path), "%s/ca.crt", dir);
	c->ca_file = strdup(path);
	/* An IPv6 service address goes in brackets. */
	snprintf(c->server, sizeof(c->server), strchr(host, ':') ? "https://[%s]:%s" :
		 "https://%s:%s", host, port && *port ? port : "443");
	c->from = "the service account";
	return 0;
}

/* ---- HTTP ---- */

struct body {
	char *buf;
	size_t len;
};

static size_t body_add(char *p, size_t size, size_t nmemb, void *arg)
{
	struct body *b = arg;
	size_t n = size * nmemb;
	char *nb;

	if (b->len + n > API_BODY_MAX)
		return 0;
	nb = realloc(b->buf, b->len + n + 1);
	if (!nb)
		return 0;
	memcpy(nb + b->len, p, n);
	b->buf = nb;
	b->len += n;
	b->buf[b->len] = '\0';
	return n;
}

static void blob(CURL *h, CURLoption opt, const char *pem)
{
	struct curl_blob b = { .data = (void *)pem, .len = strlen(pem), .flags = CURL_BLOB_COPY };

	curl_easy_setopt(h, opt, &b);
}

/* GET url into b: 0, or -EIO with why. */
static int get(CURL *h, const struct api_cfg *c, const char *url, struct body *b, char *why,
	       size_t n)
{
	struct curl_slist *hdr = NULL;
	char auth[70000], errbuf[CURL_ERROR_SIZE] = "";
	long code = 0;
	CURLcode rc;

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 20000L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body_add);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	hdr = curl_slist_append(hdr, "Accept: application/json");
	if (c->token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->token);
		hdr = curl_slist_append(hdr, auth);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	if (c->ca_pem)
		blob(h, CURLOPT_CAINFO_BLOB, c->ca_pem);
	else if (c->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	if (c->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (c->cert_pem)
		blob(h, CURLOPT_SSLCERT_BLOB, c->cert_pem);
	else if (c->cert_file)
		curl_easy_setopt(h, CURLOPT_SSLCERT, c->cert_file);
	if (c->key_pem)
		blob(h, CURLOPT_SSLKEY_BLOB, c->key_pem);
	else if (c->key_file)
		curl_easy_setopt(h, CURLOPT_SSLKEY, c->key_file);
	rc = curl_easy_perform(h);
	curl_slist_free_all(hdr);
	memset(auth, 0, sizeof(auth));
	if (rc != CURLE_OK) {
		snprintf(why, n, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
		return -EIO;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200) {
		snprintf(why, n, "HTTP %ld", code);
		return -EIO;
	}
	return 0;
}

/* ---- the pod list ---- */

static bool addr_parse(const char *s, __u8 out[16])
{
	struct in_addr a4;

	memset(out, 0, 16);
	if (s && inet_pton(AF_INET, s, &a4) == 1) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &a4, 4);
		return true;
	}
	return s && inet_pton(AF_INET6, s, out) == 1;
}

static __u64 rfc3339_ns(const char *s)
{
	struct tm tm = { 0 };
	const char *end;

	if (!s || !(end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
		return 0;
	return (__u64)timegm(&tm) * 1000000000ull;
}

static const char *jstr(json_t *o, const char *path)
{
	char key[64];
	const char *dot;

	while ((dot = strchr(path, '.'))) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		o = json_object_get(o, key);
		path = dot + 1;
	}
	return json_string_value(json_object_get(o, path));
}

/* One pod of another node, unless this node has it or it is on the host's network. */
static int pod_add(struct np_k8s *k, json_t *item, const char *self_name)
{
	const char *node = jstr(item, "spec.nodeName"), *ip;
	json_t *ips = json_object_get(json_object_get(item, "status"), "podIPs"), *v;
	struct np_k8s_pod p = { 0 };
	size_t i;

	const char *phase = jstr(item, "status.phase");

	if (json_is_true(json_object_get(json_object_get(item, "spec"), "hostNetwork")))
		return 0;
	/* A finished pod (a Job's) keeps its podIP in its status, given to another pod since. */
	if (phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed")))
		return 0;
	if (node && self_name && !strcmp(node, self_name))
		return 0;	/* this node's: its own files say more, and say it now */
	snprintf(p.namespace, sizeof(p.namespace), "%s", jstr(item, "metadata.namespace") ?: "");
	snprintf(p.name, sizeof(p.name), "%s", jstr(item, "metadata.name") ?: "");
	snprintf(p.uid, sizeof(p.uid), "%s", jstr(item, "metadata.uid") ?: "");
	snprintf(p.node_name, sizeof(p.node_name), "%s", node ?: "");
	addr_parse(jstr(item, "status.hostIP"), p.host_ip);
	p.created_ns = rfc3339_ns(jstr(item, "metadata.creationTimestamp"));
	p.source = "api-server";
	json_array_foreach(ips, i, v)
		if (p.nips < NP_K8S_IPS_MAX && addr_parse(jstr(v, "ip"), p.ips[p.nips]))
			p.nips++;
	if (!p.nips && (ip = jstr(item, "status.podIP")) && addr_parse(ip, p.ips[0]))
		p.nips = 1;
	if (!p.nips || !p.name[0])
		return 0;
	if (k->nrpods % 256 == 0) {
		struct np_k8s_pod *nv = realloc(k->rpods, (k->nrpods + 256) * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		k->rpods = nv;
	}
	k->rpods[k->nrpods++] = p;
	return 0;
}

static int list_pods(CURL *h, const struct api_cfg *c, struct np_k8s *k, const char *self_name,
		     char *why, size_t n)
{
	char url[2048], *cont = NULL, *esc;
	int err = 0;

	do {
		struct body b = { 0 };
		json_error_t je;
		json_t *doc, *items, *item;
		size_t i;

		esc = cont ? curl_easy_escape(h, cont, 0) : NULL;
		snprintf(url, sizeof(url), "%s/api/v1/pods?limit=%d%s%s", c->server, API_PAGE,
			 esc ? "&continue=" : "", esc ?: "");
		curl_free(esc);
		free(cont);
		cont = NULL;
		err = get(h, c, url, &b, why, n);
		if (err) {
			free(b.buf);
			break;
		}
		doc = json_loadb(b.buf, b.len, 0, &je);
		free(b.buf);
		items = json_object_get(doc, "items");
		if (!json_is_array(items)) {
			snprintf(why, n, "not a PodList");
			json_decref(doc);
			err = -EIO;
			break;
		}
		json_array_foreach(items, i, item)
			if ((err = pod_add(k, item, self_name)))
				break;
		cont = dup_or_null(jstr(doc, "metadata.continue"));
		if (cont && !*cont) {
			free(cont);
			cont = NULL;
		}
		json_decref(doc);
	} while (!err && cont);
	free(cont);
	return err;
}

/* The nodes the pods are on, by their host IP, where Flannel's FDB did not say. */
static int nodes_add(struct np_k8s *k)
{
	for (int i = 0; i < k->nrpods; i++) {
		const __u8 *ip = k->rpods[i].host_ip;
		static const __u8 none[16];
		struct np_k8s_node *nv;
		bool known = !memcmp(ip, none, 16);

		for (int n = 0; n < k->nnodes && !known; n++)
			known = !memcmp(k->nodes[n].ip, ip, 16);
		if (known)
			continue;
		nv = realloc(k->nodes, (k->nnodes + 1) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		k->nodes = nv;
		memset(&k->nodes[k->nnodes], 0, sizeof(*nv));
		memcpy(k->nodes[k->nnodes++].ip, ip, 16);
	}
	return 0;
}

static int rpod_cmp(const void *a, const void *b)
{
	return memcmp(((const struct np_k8s_ipref *)a)->addr, ((const struct np_k8s_ipref *)b)->addr,
		      16);
}

int np_k8s_load_api(struct np_k8s *k, const char *kubeconfig, const char *self_name)
{
	const char *off = getenv("NETPROBE_K8S_API");
	struct api_cfg c = { 0 };
	char why[1024] = "";
	int n = 0, err;
	CURL *h;

	if (off && !strcmp(off, "off"))
		return 0;
	if (!kubeconfig || !*kubeconfig)
		kubeconfig = getenv("NETPROBE_KUBECONFIG");
	err = kubeconfig && *kubeconfig ? kubeconfig_read(kubeconfig, &c, why, sizeof(why)) :
					  in_cluster(&c, why, sizeof(why));
	if (err == -ENOENT && !why[0])
		return 0;	/* nothing configured: the node's own sources only */
	if (err) {
		np_k8s_note(k, "API server: %s", why);
		cfg_free(&c);
		return 0;
	}
	h = curl_easy_init();
	err = h ? list_pods(h, &c, k, self_name, why, sizeof(why)) : -ENOMEM;
	if (h)
		curl_easy_cleanup(h);
	if (err)
		np_k8s_note(k, "API server %s (from %s): %s; pods of other nodes stay unnamed",
			    c.server, c.from, why);
	cfg_free(&c);
	if (nodes_add(k))
		return -ENOMEM;
	/* Their addresses, sorted: lookups by bsearch. */
	for (int i = 0; i < k->nrpods; i++)
		n += k->rpods[i].nips;
	free(k->ripidx);
	k->ripidx = calloc(n + 1, sizeof(*k->ripidx));
	k->nripidx = 0;
	for (int i = 0; k->ripidx && i < k->nrpods; i++)
		for (int a = 0; a < k->rpods[i].nips; a++) {
			memcpy(k->ripidx[k->nripidx].addr, k->rpods[i].ips[a], 16);
			k->ripidx[k->nripidx].pod = i;
			k->ripidx[k->nripidx++].svc = -1;
		}
	if (k->nripidx > 1)
		qsort(k->ripidx, k->nripidx, sizeof(*k->ripidx), rpod_cmp);
	k->api = !err;
	return k->ripidx || !n ? 0 : -ENOMEM;
}
