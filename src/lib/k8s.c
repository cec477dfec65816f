// SPDX-License-Identifier: GPL-2.0
/* Kubernetes from the node's own files: see k8s.h. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <jansson.h>

#include "k8s.h"
#include "overlay.h"
#include "../../bpf/netprobe.h"

enum {
	SRC_HOST_ROOT, SRC_CNI_CACHE, SRC_IPAM, SRC_CONTAINERD, SRC_CRIO, SRC_FLANNEL, SRC_RULES,
};

const struct np_k8s_source np_k8s_sources[] = {
	[SRC_HOST_ROOT] = { "NETPROBE_HOST_ROOT", "/", "where the host's / is (--host-root)" },
	[SRC_CNI_CACHE] = { "NETPROBE_CNI_CACHE_DIR", "/var/lib/cni/results",
			    "libcni result cache: pod, IPs, host veth, netns" },
	[SRC_IPAM] = { "NETPROBE_CNI_IPAM_DIR", "/var/lib/cni/networks",
		       "host-local IPAM: address -> sandbox" },
	[SRC_CONTAINERD] = { "NETPROBE_CONTAINERD_STATE", "/run/containerd:/run/k3s/containerd",
			     "containerd sandbox bundles (k3s, RKE2 too)" },
	[SRC_CRIO] = { "NETPROBE_CRIO_STATE", "/run/containers/storage/overlay-containers",
		       "CRI-O sandbox bundles" },
	[SRC_FLANNEL] = { "NETPROBE_FLANNEL_SUBNET_ENV", NP_FLANNEL_SUBNET_ENV,
			  "Flannel's subnet.env: cluster and node pod CIDRs" },
	[SRC_RULES] = { "NETPROBE_KUBE_PROXY_RULES", "iptables:nft",
			"kube-proxy's rules: iptables-save, nft -j, or files of their output" },
	{ 0 },
};

#define JSON_FILE_MAX	(4 << 20)
#define RULES_MAX	(64 << 20)

void np_k8s_note(struct np_k8s *k, const char *fmt, ...)
{
	va_list ap;

	if (k->nnotes < NP_K8S_NOTES) {
		va_start(ap, fmt);
		vsnprintf(k->notes[k->nnotes], sizeof(k->notes[0]), fmt, ap);
		va_end(ap);
	}
	k->nnotes++;
}

static const char *source(int i)
{
	const char *v = getenv(np_k8s_sources[i].env);

	return v && *v ? v : np_k8s_sources[i].dflt;
}

/* A host path under the host root. */
static const char *host_path(const struct np_k8s *k, const char *path, char *buf, size_t n)
{
	bool root = !strcmp(k->host_root, "/");

	/* On a real root /var/run is a link to /run, absolute: under another root
	 * it would lead out of it, to this machine's /run. */
	if (!root && !strncmp(path, "/var/run/", 9)) {
		struct stat st;

		if ((size_t)snprintf(buf, n, "%s/var/run", k->host_root) < n && !lstat(buf, &st) &&
		    S_ISLNK(st.st_mode))
			path += 4;
	}
	if ((size_t)snprintf(buf, n, "%s%s", root ? "" : k->host_root, path) >= n)
		buf[0] = '\0';	/* too long: names nothing */
	return buf;
}

/* A C string into a fixed array, cut to fit. */
static void copy(char *dst, size_t n, const char *src)
{
	size_t len = src ? strnlen(src, n - 1) : 0;

	memcpy(dst, src ? src : "", len);
	dst[len] = '\0';
}

/* dir/name into buf; false if it does not fit. */
static bool join(char *buf, size_t n, const char *dir, const char *name, const char *tail)
{
	return (size_t)snprintf(buf, n, "%s/%s%s", dir, name, tail) < n;
}

static bool parse_addr(const char *s, __u8 out[16])
{
	char buf[INET6_ADDRSTRLEN + 8];
	struct in_addr a4;

	copy(buf, sizeof(buf), s);
	buf[strcspn(buf, "/")] = '\0';
	memset(out, 0, 16);
	if (inet_pton(AF_INET, buf, &a4) == 1) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &a4, 4);
		return true;
	}
	return inet_pton(AF_INET6, buf, out) == 1;
}

static __u64 mtime_ns(const struct stat *st)
{
	return st->st_mtim.tv_sec * 1000000000ull + st->st_mtim.tv_nsec;
}

/* A regular JSON file of sane size; NULL (and errno) if not. */
static json_t *load_json(const char *path, struct stat *st)
{
	json_error_t jerr;

	if (stat(path, st))
		return NULL;
	if (!S_ISREG(st->st_mode) || st->st_size > JSON_FILE_MAX) {
		errno = EFBIG;
		return NULL;
	}
	return json_load_file(path, 0, &jerr);
}

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* ---- pods ---- */

static struct np_k8s_pod *pod_by_sandbox(struct np_k8s *k, const char *id)
{
	for (int i = 0; i < k->npods; i++)
		if (!strcmp(k->pods[i].sandbox_id, id))
			return &k->pods[i];
	return NULL;
}

static struct np_k8s_pod *pod_add(struct np_k8s *k, const char *id, const char *source)
{
	struct np_k8s_pod *nv = realloc(k->pods, (k->npods + 1) * sizeof(*nv));

	if (!nv)
		return NULL;
	k->pods = nv;
	nv += k->npods++;
	memset(nv, 0, sizeof(*nv));
	copy(nv->sandbox_id, sizeof(nv->sandbox_id), id);
	nv->source = source;
	return nv;
}

static void pod_add_ip(struct np_k8s_pod *p, const __u8 ip[16])
{
	for (int i = 0; i < p->nips; i++)
		if (!memcmp(p->ips[i], ip, 16))
			return;
	if (p->nips < NP_K8S_IPS_MAX)
		memcpy(p->ips[p->nips++], ip, 16);
}

static void pod_created(struct np_k8s_pod *p, __u64 ns)
{
	if (!p->created_ns || ns < p->created_ns)
		p->created_ns = ns;
}

/*
 * Calls fn with DIR/NAME/TAIL for each entry NAME of the host directory dir
 * (under the host root). An absent directory is no source; one that cannot
 * be read is a note.
 */
static void each_entry(struct np_k8s *k, const char *dir, const char *tail,
		       void (*fn)(struct np_k8s *k, const char *path, const char *name, bool crio),
		       bool crio)
{
	char host[PATH_MAX], path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	d = opendir(host_path(k, dir, host, sizeof(host)));
	if (!d) {
		if (errno != ENOENT)
			np_k8s_note(k, "cannot read %s: %s", host, strerror(errno));
		return;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] != '.' && join(path, sizeof(path), host, de->d_name, tail))
			fn(k, path, de->d_name, crio);
	}
	closedir(d);
}

/* The network namespace path of an OCI config, NULL if it has none (hostNetwork). */
static const char *oci_netns(json_t *cfg)
{
	json_t *nss = json_object_get(json_object_get(cfg, "linux"), "namespaces"), *ns;
	size_t i;

	json_array_foreach(nss, i, ns) {
		const char *type = jstr(ns, "type");

		if (type && !strcmp(type, "network"))
			return jstr(ns, "path") ?: "";
	}
	return NULL;
}

/* A sandbox's OCI config.json (containerd or CRI-O annotations). */
static void read_bundle(struct np_k8s *k, const char *path, const char *id, bool crio)
{
	json_t *cfg, *ann;
	struct np_k8s_pod *p;
	const char *type, *netns;
	struct stat st;

	cfg = load_json(path, &st);
	if (!cfg)
		return;
	ann = json_object_get(cfg, "annotations");
	type = jstr(ann, crio ? "io.kubernetes.cri-o.ContainerType" : "io.kubernetes.cri.container-type");
	if (!type || strcmp(type, "sandbox"))
		goto out;
	if (crio && jstr(ann, "io.kubernetes.cri-o.SandboxID"))
		id = jstr(ann, "io.kubernetes.cri-o.SandboxID");
	else if (!crio && jstr(ann, "io.kubernetes.cri.sandbox-id"))
		id = jstr(ann, "io.kubernetes.cri.sandbox-id");
	p = pod_by_sandbox(k, id) ?: pod_add(k, id, crio ? "cri-o" : "containerd");
	if (!p)
		goto out;
	p->source = crio ? "cri-o" : "containerd";
	copy(p->namespace, sizeof(p->namespace),
	     jstr(ann, crio ? "io.kubernetes.pod.namespace" : "io.kubernetes.cri.sandbox-namespace"));
	copy(p->name, sizeof(p->name),
	     jstr(ann, crio ? "io.kubernetes.pod.name" : "io.kubernetes.cri.sandbox-name"));
	copy(p->uid, sizeof(p->uid),
	     jstr(ann, crio ? "io.kubernetes.pod.uid" : "io.kubernetes.cri.sandbox-uid"));
	netns = oci_netns(cfg);
	p->host_network = !netns || !*netns;
	if (netns && *netns)
		copy(p->netns_path, sizeof(p->netns_path), netns);
	pod_created(p, mtime_ns(&st));
out:
	json_decref(cfg);
}

static void read_containerd(struct np_k8s *k)
{
	char list[1024], *save, *state;

	copy(list, sizeof(list), source(SRC_CONTAINERD));
	for (state = strtok_r(list, ":", &save); state; state = strtok_r(NULL, ":", &save)) {
		char dir[PATH_MAX];

		if (join(dir, sizeof(dir), state, "io.containerd.runtime.v2.task/k8s.io", ""))
			each_entry(k, dir, "/config.json", read_bundle, false);
	}
}

static void read_crio(struct np_k8s *k)
{
	each_entry(k, source(SRC_CRIO), "/userdata/config.json", read_bundle, true);
}

static bool is_loopback(const __u8 a[16])
{
	static const __u8 v6[16] = { [15] = 1 };
	static const __u8 mapped[12] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(a, v6, 16) || (!memcmp(a, mapped, 12) && a[12] == 127);
}

/* One libcni cache entry: cniCacheV1 of one pod interface. */
static void read_cni_entry(struct np_k8s *k, const char *path, const char *name, bool crio)
{
	json_t *c, *args, *arg, *ips, *ip, *ifs, *ifc, *res;
	const char *id, *host_if = NULL, *netns = NULL;
	struct np_k8s_pod *p;
	struct stat st;
	size_t i;

	(void)name;
	(void)crio;
	c = load_json(path, &st);
	if (!c)
		return;
	id = jstr(c, "containerId");
	if (!id || !jstr(c, "kind") || strcmp(jstr(c, "kind"), "cniCacheV1"))
		goto out;
	p = pod_by_sandbox(k, id) ?: pod_add(k, id, "cni-cache");
	if (!p)
		goto out;
	args = json_object_get(c, "cniArgs");
	json_array_foreach(args, i, arg) {
		const char *key = json_string_value(json_array_get(arg, 0));
		const char *val = json_string_value(json_array_get(arg, 1));

		if (!key || !val)
			continue;
		if (!strcmp(key, "K8S_POD_NAMESPACE") && !p->namespace[0])
			copy(p->namespace, sizeof(p->namespace), val);
		else if (!strcmp(key, "K8S_POD_NAME") && !p->name[0])
			copy(p->name, sizeof(p->name), val);
		else if (!strcmp(key, "K8S_POD_UID") && !p->uid[0])
			copy(p->uid, sizeof(p->uid), val);
	}
	res = json_object_get(c, "result");
	ips = json_object_get(res, "ips");
	json_array_foreach(ips, i, ip) {
		__u8 a[16];

		/* The loopback network's entry (cni-loopback-ID-lo) has 127.0.0.1 and ::1. */
		if (jstr(ip, "address") && parse_addr(jstr(ip, "address"), a) && !is_loopback(a))
			pod_add_ip(p, a);
	}
	/* The pod's interface has a sandbox; the host's veth is the last one
	 * without (after the bridge, for the bridge plugin; alone for ptp). */
	ifs = json_object_get(res, "interfaces");
	json_array_foreach(ifs, i, ifc) {
		if (jstr(ifc, "sandbox") && *jstr(ifc, "sandbox"))
			netns = jstr(ifc, "sandbox");
		else if (jstr(ifc, "name"))
			host_if = jstr(ifc, "name");
	}
	if (host_if && !p->interface[0])
		copy(p->interface, sizeof(p->interface), host_if);
	if (netns && !p->netns_path[0])
		copy(p->netns_path, sizeof(p->netns_path), netns);
	pod_created(p, mtime_ns(&st));
out:
	json_decref(c);
}

static void read_cni_cache(struct np_k8s *k)
{
	each_entry(k, source(SRC_CNI_CACHE), "", read_cni_entry, false);
}

/* host-local: networks/<net>/<ip> holds "<containerID>\r\n<ifname>". */
static void read_ipam_net(struct np_k8s *k, const char *dir, const char *name, bool crio)
{
	char path[PATH_MAX], id[128];
	struct dirent *de;
	DIR *d = opendir(dir);

	(void)name;
	(void)crio;
	while (d && (de = readdir(d))) {
		struct np_k8s_pod *p;
		__u8 a[16];
		ssize_t n;
		int fd;

		if (de->d_name[0] == '.' || !parse_addr(de->d_name, a))
			continue;
		if (!join(path, sizeof(path), dir, de->d_name, ""))
			continue;
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, id, sizeof(id) - 1);
		close(fd);
		if (n <= 0)
			continue;
		id[n] = '\0';
		id[strcspn(id, "\r\n")] = '\0';
		p = pod_by_sandbox(k, id) ?: pod_add(k, id, "host-local");
		if (p)
			pod_add_ip(p, a);
	}
	if (d)
		closedir(d);
}

static void read_ipam(struct np_k8s *k)
{
	each_entry(k, source(SRC_IPAM), "", read_ipam_net, false);
}

static void pods_finish(struct np_k8s *k)
{
	for (int i = 0; i < k->npods; i++) {
		struct np_k8s_pod *p = &k->pods[i];
		char path[PATH_MAX];
		struct stat st;

		if (p->netns_path[0] && !stat(host_path(k, p->netns_path, path, sizeof(path)), &st))
			p->netns = st.st_ino;
	}
}

/* ---- services ---- */

static struct np_k8s_svc *svc_add(struct np_k8s *k)
{
	struct np_k8s_svc *nv = realloc(k->svcs, (k->nsvcs + 1) * sizeof(*nv));

	if (!nv)
		return NULL;
	k->svcs = nv;
	nv += k->nsvcs++;
	memset(nv, 0, sizeof(*nv));
	return nv;
}

static __u8 proto_num(const char *s)
{
	if (!s)
		return 0;
	if (!strcasecmp(s, "tcp"))
		return IPPROTO_TCP;
	if (!strcasecmp(s, "udp"))
		return IPPROTO_UDP;
	if (!strcasecmp(s, "sctp"))
		return IPPROTO_SCTP;
	return 0;
}

/* "ns/name:port" (or "ns/name:" or "ns/name") into the service's names. */
static bool svc_names(struct np_k8s_svc *s, const char *id, size_t len)
{
	char buf[400], *slash, *colon;

	if (len >= sizeof(buf))
		return false;
	memcpy(buf, id, len);
	buf[len] = '\0';
	slash = strchr(buf, '/');
	if (!slash || slash == buf)
		return false;
	*slash = '\0';
	colon = strchr(slash + 1, ':');
	if (colon)
		*colon = '\0';
	copy(s->namespace, sizeof(s->namespace), buf);
	copy(s->name, sizeof(s->name), slash + 1);
	copy(s->port_name, sizeof(s->port_name), colon ? colon + 1 : "");
	return s->name[0] != '\0';
}

/* One iptables-save rule, split into words ("quoted words" kept whole). */
struct rule {
	char chain[64];
	char target[64];
	char dest[64];		/* -d */
	char proto[8];		/* -p */
	__u16 dport;
	char comment[300];
	char dnat[64];		/* --to-destination */
};

static int split_words(char *line, char **w, int max)
{
	int n = 0;
	char *p = line;

	while (*p && n < max) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (*p == '"') {
			w[n++] = ++p;
			while (*p && *p != '"')
				p += (*p == '\\' && p[1]) ? 2 : 1;
		} else {
			w[n++] = p;
			while (*p && *p != ' ')
				p++;
		}
		if (*p)
			*p++ = '\0';
	}
	return n;
}

static bool parse_rule(char *line, struct rule *r)
{
	char *w[64];
	int n = split_words(line, w, 64);

	memset(r, 0, sizeof(*r));
	if (n < 2 || strcmp(w[0], "-A"))
		return false;
	copy(r->chain, sizeof(r->chain), w[1]);
	for (int i = 2; i + 1 < n; i++) {
		const char *v = w[i + 1];

		if (!strcmp(w[i], "-d"))
			copy(r->dest, sizeof(r->dest), v);
		else if (!strcmp(w[i], "-p"))
			copy(r->proto, sizeof(r->proto), v);
		else if (!strcmp(w[i], "--dport"))
			r->dport = atoi(v);
		else if (!strcmp(w[i], "--comment"))
			copy(r->comment, sizeof(r->comment), v);
		else if (!strcmp(w[i], "-j"))
			copy(r->target, sizeof(r->target), v);
		else if (!strcmp(w[i], "--to-destination"))
			copy(r->dnat, sizeof(r->dnat), v);
	}
	return true;
}

/* DNAT destinations reached from chain, following jumps a few deep. */
static void endpoints_of(const struct rule *rules, int n, const char *chain, int depth,
			 struct np_k8s_svc *s)
{
	if (depth > 4)
		return;
	for (int i = 0; i < n; i++) {
		if (strcmp(rules[i].chain, chain))
			continue;
		if (rules[i].dnat[0]) {
			bool dup = false;

			for (int e = 0; e < s->nendpoints; e++)
				dup |= !strcmp(s->endpoints[e], rules[i].dnat);
			if (!dup && s->nendpoints < NP_K8S_ENDPOINTS_MAX)
				copy(s->endpoints[s->nendpoints++], 64, rules[i].dnat);
		} else if (!strncmp(rules[i].target, "KUBE-", 5) &&
			   strncmp(rules[i].target, "KUBE-MARK-", 10)) {
			endpoints_of(rules, n, rules[i].target, depth + 1, s);
		}
	}
}

int np_k8s_parse_iptables(struct np_k8s *k, const char *text)
{
	struct rule *rules = NULL;
	int n = 0, cap = 0, first = k->nsvcs;
	const char *p = text;

	while (*p) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char line[2048];

		if (len < sizeof(line) && len > 3 && !strncmp(p, "-A KUBE-", 8)) {
			memcpy(line, p, len);
			line[len] = '\0';
			if (n == cap) {
				struct rule *nv = realloc(rules, (cap = cap ? cap * 2 : 256) *
							  sizeof(*nv));

				if (!nv) {
					free(rules);
					return -ENOMEM;
				}
				rules = nv;
			}
			if (parse_rule(line, &rules[n]))
				n++;
		}
		p += len + (end != NULL);
	}
	for (int i = 0; i < n; i++) {
		const struct rule *r = &rules[i];
		bool nodeport = !strcmp(r->chain, "KUBE-NODEPORTS");
		const char *kind = strchr(r->comment, ' ');
		struct np_k8s_svc *s;

		if ((strcmp(r->chain, "KUBE-SERVICES") || !r->dest[0]) && !nodeport)
			continue;
		if (!r->comment[0] || !r->dport || !r->target[0])
			continue;
		if (!(s = svc_add(k)))
			break;
		if (!svc_names(s, r->comment, kind ? (size_t)(kind - r->comment) : strlen(r->comment))) {
			k->nsvcs--;
			continue;
		}
		if (nodeport)
			s->kind = NP_SVC_NODE_PORT;
		else if (kind && strstr(kind, "external IP"))
			s->kind = NP_SVC_EXTERNAL_IP;
		else if (kind && strstr(kind, "loadbalancer IP"))
			s->kind = NP_SVC_LOAD_BALANCER;
		else
			s->kind = NP_SVC_CLUSTER_IP;
		if (!nodeport && !parse_addr(r->dest, s->ip)) {
			k->nsvcs--;
			continue;
		}
		s->port = r->dport;
		s->proto = proto_num(r->proto);
		copy(s->chain, sizeof(s->chain), r->target);
		endpoints_of(rules, n, r->target, 0, s);
	}
	free(rules);
	return k->nsvcs - first;
}

/* ---- nftables mode ---- */

/* "<prefix>-HASH8-ns/svc/proto/port" into the service's names and proto. */
static bool nft_chain_names(struct np_k8s_svc *s, const char *chain, const char *prefix)
{
	size_t pl = strlen(prefix);
	char buf[400], *part[4], *save;
	const char *id;
	int n = 0;

	if (strncmp(chain, prefix, pl) || chain[pl] != '-' || !(id = strchr(chain + pl + 1, '-')))
		return false;
	copy(buf, sizeof(buf), id + 1);
	buf[strcspn(buf, "_")] = '\0';	/* endpoint chains: "__IP/port" follows */
	for (char *t = strtok_r(buf, "/", &save); t && n < 4; t = strtok_r(NULL, "/", &save))
		part[n++] = t;
	if (n != 4)
		return false;
	copy(s->namespace, sizeof(s->namespace), part[0]);
	copy(s->name, sizeof(s->name), part[1]);
	s->proto = proto_num(part[2]);
	copy(s->port_name, sizeof(s->port_name), part[3]);
	return true;
}

static json_t *elem_key(json_t *e, json_t **val)
{
	/* [key, value] pairs, or {"elem": {"val": key, ...}} wrappers. */
	if (json_is_array(e)) {
		*val = json_array_get(e, 1);
		e = json_array_get(e, 0);
	}
	if (json_object_get(e, "elem"))
		e = json_object_get(json_object_get(e, "elem"), "val");
	return e;
}

static const char *goto_target(json_t *v)
{
	json_t *g = json_object_get(v, "goto");

	if (!g)
		g = json_object_get(v, "jump");
	return jstr(g, "target");
}

int np_k8s_parse_nft(struct np_k8s *k, const char *json_text)
{
	json_t *doc, *items, *it;
	json_error_t jerr;
	int first = k->nsvcs;
	size_t i;

	doc = json_loads(json_text, 0, &jerr);
	if (!doc)
		return -EINVAL;
	items = json_object_get(doc, "nftables");
	/* Services: the elements of the service-ips and service-nodeports maps. */
	json_array_foreach(items, i, it) {
		json_t *map = json_object_get(it, "map"), *elems, *e;
		const char *name = jstr(map, "name");
		bool nodeport;
		size_t j;

		if (!name || (strcmp(name, "service-ips") && strcmp(name, "service-nodeports")))
			continue;
		nodeport = !strcmp(name, "service-nodeports");
		elems = json_object_get(map, "elem");
		json_array_foreach(elems, j, e) {
			json_t *val = NULL, *key = elem_key(e, &val), *cat;
			const char *target = goto_target(val);
			struct np_k8s_svc *s;
			bool ext;

			cat = json_object_get(key, "concat");
			if (!target || !cat)
				continue;
			ext = !strncmp(target, "external-", 9);
			if (!(s = svc_add(k)))
				break;
			if (!nft_chain_names(s, target, ext ? "external" : "service") ||
			    (!nodeport && (json_array_size(cat) != 3 ||
					   !parse_addr(json_string_value(json_array_get(cat, 0)),
						       s->ip)))) {
				k->nsvcs--;
				continue;
			}
			s->kind = nodeport ? NP_SVC_NODE_PORT : ext ? NP_SVC_EXTERNAL_IP :
				  NP_SVC_CLUSTER_IP;
			s->port = json_integer_value(json_array_get(cat, nodeport ? 1 : 2));
			copy(s->chain, sizeof(s->chain), target);
		}
	}
	/* Endpoints: chains endpoint-HASH-ns/svc/proto/port__IP/port. */
	json_array_foreach(items, i, it) {
		const char *name = jstr(json_object_get(it, "chain"), "name");
		struct np_k8s_svc ep;
		const char *at;

		if (!name || !nft_chain_names(&ep, name, "endpoint") || !(at = strstr(name, "__")))
			continue;
		for (int s = first; s < k->nsvcs; s++) {
			struct np_k8s_svc *sv = &k->svcs[s];
			char addr[64];

			if (strcmp(sv->namespace, ep.namespace) || strcmp(sv->name, ep.name) ||
			    strcmp(sv->port_name, ep.port_name) || sv->proto != ep.proto ||
			    sv->nendpoints >= NP_K8S_ENDPOINTS_MAX)
				continue;
			copy(addr, sizeof(addr), at + 2);
			if (strchr(addr, '/'))
				*strchr(addr, '/') = ':';
			copy(sv->endpoints[sv->nendpoints++], 64, addr);
		}
	}
	json_decref(doc);
	return k->nsvcs - first;
}

/* stdout of argv (no shell), at most RULES_MAX bytes; NULL if it did not run. */
static char *run_output(char *const argv[])
{
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap);
	int pfd[2], status;
	pid_t pid;
	ssize_t n;

	if (!buf || pipe2(pfd, O_CLOEXEC)) {
		free(buf);
		return NULL;
	}
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		free(buf);
		return NULL;
	}
	if (!pid) {
		int null = open("/dev/null", O_RDWR);

		dup2(pfd[1], 1);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	while ((n = read(pfd[0], buf + len, cap - len - 1)) > 0) {
		len += n;
		if (len + 1 == cap) {
			char *nv = cap < RULES_MAX ? realloc(buf, cap *= 2) : NULL;

			if (!nv)
				break;
			buf = nv;
		}
	}
	close(pfd[0]);
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

static char *read_text(const char *path)
{
	struct stat st;
	char *buf;
	FILE *f;
	size_t n;

	if (stat(path, &st) || !S_ISREG(st.st_mode) || st.st_size > RULES_MAX)
		return NULL;
	f = fopen(path, "re");
	if (!f)
		return NULL;
	buf = malloc(st.st_size + 1);
	n = buf ? fread(buf, 1, st.st_size, f) : 0;
	fclose(f);
	if (buf)
		buf[n] = '\0';
	return buf;
}

/*
 * kube-proxy's rules: each ':'-separated word of $NETPROBE_KUBE_PROXY_RULES
 * is "iptables" (iptables-save and ip6tables-save -t nat, in this network
 * namespace), "nft" (nft -j list table ip/ip6 kube-proxy) or a file holding
 * the output of one of them.
 */
static void read_services(struct np_k8s *k)
{
	char list[1024], *save, *w;

	copy(list, sizeof(list), source(SRC_RULES));
	for (w = strtok_r(list, ":", &save); w; w = strtok_r(NULL, ":", &save)) {
		if (!strcmp(w, "iptables")) {
			char *v4[] = { "iptables-save", "-t", "nat", NULL };
			char *v6[] = { "ip6tables-save", "-t", "nat", NULL };
			char *out;

			for (int f = 0; f < 2; f++) {
				if ((out = run_output(f ? v6 : v4))) {
					if (np_k8s_parse_iptables(k, out) > 0)
						k->rules = "iptables";
					free(out);
				}
			}
		} else if (!strcmp(w, "nft")) {
			char *v4[] = { "nft", "-j", "list", "table", "ip", "kube-proxy", NULL };
			char *v6[] = { "nft", "-j", "list", "table", "ip6", "kube-proxy", NULL };
			char *out;

			for (int f = 0; f < 2; f++) {
				if ((out = run_output(f ? v6 : v4))) {
					if (np_k8s_parse_nft(k, out) > 0)
						k->rules = "nft";
					free(out);
				}
			}
		} else {
			char path[PATH_MAX];
			char *text = read_text(host_path(k, w, path, sizeof(path)));

			if (!text) {
				np_k8s_note(k, "cannot read kube-proxy rules %s", path);
				continue;
			}
			if ((text[0] == '{' ? np_k8s_parse_nft(k, text) :
			     np_k8s_parse_iptables(k, text)) > 0)
				k->rules = "file";
			free(text);
		}
	}
}

/* ---- nodes ---- */

static void add_cidrs(struct np_cidr *out, int *n, int max, const char *list)
{
	char buf[512], *save, *t;

	copy(buf, sizeof(buf), list);
	for (t = strtok_r(buf, ",", &save); t && *n < max; t = strtok_r(NULL, ",", &save))
		if (!np_cidr_parse(t, &out[*n]))
			(*n)++;
}

static struct np_k8s_node *node_of(struct np_k8s *k, const __u8 ip[16])
{
	struct np_k8s_node *nv;

	for (int i = 0; i < k->nnodes; i++)
		if (!memcmp(k->nodes[i].ip, ip, 16))
			return &k->nodes[i];
	nv = realloc(k->nodes, (k->nnodes + 1) * sizeof(*nv));
	if (!nv)
		return NULL;
	k->nodes = nv;
	nv += k->nnodes++;
	memset(nv, 0, sizeof(*nv));
	memcpy(nv->ip, ip, 16);
	return nv;
}

static void self_addrs(struct np_k8s *k)
{
	struct ifaddrs *ifa, *i;

	if (getifaddrs(&ifa))
		return;
	for (i = ifa; i; i = i->ifa_next) {
		__u8 a[16] = { 0 };
		void *nv;

		if (!i->ifa_addr)
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			a[10] = a[11] = 0xff;
			memcpy(a + 12, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			memcpy(a, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
		} else {
			continue;
		}
		nv = realloc(k->self_ips, (k->nself_ips + 1) * sizeof(*k->self_ips));
		if (!nv)
			break;
		k->self_ips = nv;
		memcpy(k->self_ips[k->nself_ips++], a, 16);
	}
	freeifaddrs(ifa);
}

static void read_nodes(struct np_k8s *k)
{
	struct np_flannel_env env = { 0 };
	struct np_overlay ov = { 0 };
	char path[PATH_MAX];
	__u8 none[16] = { 0 };
	struct np_k8s_node *self;

	self_addrs(k);
	np_flannel_env_load(host_path(k, source(SRC_FLANNEL), path, sizeof(path)), &env);
	for (int i = 0; i < env.nnotes && i < NP_FLANNEL_NOTES; i++)
		np_k8s_note(k, "%s", env.notes[i]);
	add_cidrs(k->cluster, &k->ncluster, 4, env.network);
	add_cidrs(k->cluster, &k->ncluster, 4, env.ipv6_network);
	/* This node: its pod CIDR; its address is any of self_ips. */
	if ((self = node_of(k, none))) {
		self->self = true;
		add_cidrs(self->pod_cidr, &self->ncidrs, 4, env.subnet);
		add_cidrs(self->pod_cidr, &self->ncidrs, 4, env.ipv6_subnet);
	}
	if (np_overlay_read(&ov))
		return;
	/* Flannel: route pod CIDR via gateway (onlink) -> neighbour MAC -> FDB node IP. */
	for (int r = 0; r < ov.nroutes; r++) {
		const struct np_route *rt = &ov.routes[r];

		for (int n = 0; n < ov.nneigh && rt->has_gw; n++) {
			if (ov.neigh[n].ifindex != rt->ifindex || memcmp(ov.neigh[n].ip, rt->gw, 16))
				continue;
			for (int f = 0; f < ov.nfdb; f++) {
				struct np_k8s_node *nd;
				char cidr[80];

				if (ov.fdb[f].ifindex != rt->ifindex ||
				    memcmp(ov.fdb[f].mac, ov.neigh[n].mac, 6) ||
				    !(nd = node_of(k, ov.fdb[f].dst)) || nd->ncidrs >= 4)
					continue;
				np_overlay_route_cidr(rt, cidr, sizeof(cidr));
				if (!np_cidr_parse(cidr, &nd->pod_cidr[nd->ncidrs]))
					nd->ncidrs++;
			}
		}
	}
	np_overlay_free(&ov);
}

/* ---- the whole ---- */

int np_k8s_load(struct np_k8s *k, const char *host_root, unsigned what)
{
	memset(k, 0, sizeof(*k));
	copy(k->host_root, sizeof(k->host_root), host_root ?: source(SRC_HOST_ROOT));
	if (what & NP_K8S_PODS) {
		read_containerd(k);
		read_crio(k);
		read_cni_cache(k);
		read_ipam(k);
		pods_finish(k);
	}
	if (what & NP_K8S_SERVICES)
		read_services(k);
	if (what & NP_K8S_NODES)
		read_nodes(k);
	return np_k8s_index(k);
}

static int ipref_cmp(const void *a, const void *b)
{
	const struct np_k8s_ipref *x = a, *y = b;
	int c = memcmp(x->addr, y->addr, 16);

	/* Services before pods, each in table order: lookups keep the old precedence. */
	if (c)
		return c;
	if ((x->svc >= 0) != (y->svc >= 0))
		return x->svc >= 0 ? -1 : 1;
	return x->svc >= 0 ? x->svc - y->svc : x->pod - y->pod;
}

int np_k8s_index(struct np_k8s *k)
{
	int n = 0;

	free(k->ipidx);
	k->nipidx = 0;
	for (int i = 0; i < k->npods; i++)
		n += k->pods[i].nips;
	k->ipidx = calloc(n + k->nsvcs + 1, sizeof(*k->ipidx));
	if (!k->ipidx)
		return -ENOMEM;
	for (int i = 0; i < k->nsvcs; i++) {
		if (k->svcs[i].kind == NP_SVC_NODE_PORT)
			continue;
		memcpy(k->ipidx[k->nipidx].addr, k->svcs[i].ip, 16);
		k->ipidx[k->nipidx].pod = -1;
		k->ipidx[k->nipidx++].svc = i;
	}
	for (int i = 0; i < k->npods; i++)
		for (int a = 0; a < k->pods[i].nips && !k->pods[i].host_network; a++) {
			memcpy(k->ipidx[k->nipidx].addr, k->pods[i].ips[a], 16);
			k->ipidx[k->nipidx].pod = i;
			k->ipidx[k->nipidx++].svc = -1;
		}
	qsort(k->ipidx, k->nipidx, sizeof(*k->ipidx), ipref_cmp);
	return 0;
}

/* The first entry of addr in a sorted address index, or n. */
static int ipref_first(const struct np_k8s_ipref *v, int n, const __u8 addr[16])
{
	int lo = 0, hi = n;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (memcmp(v[mid].addr, addr, 16) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int ipidx_first(const struct np_k8s *k, const __u8 addr[16])
{
	return ipref_first(k->ipidx, k->nipidx, addr);
}

void np_k8s_free(struct np_k8s *k)
{
	free(k->pods);
	free(k->svcs);
	free(k->nodes);
	free(k->self_ips);
	free(k->ipidx);
	free(k->rpods);
	free(k->ripidx);
	memset(k, 0, sizeof(*k));
}

const char *np_k8s_node_name(char *buf, size_t n)
{
	const char *env = getenv("NODE_NAME");

	if (env && *env) {
		snprintf(buf, n, "%s", env);
		return buf;
	}
	if (gethostname(buf, n))
		snprintf(buf, n, "unknown");
	buf[n - 1] = '\0';
	return buf;
}

/* ---- lookups ---- */

const struct np_k8s_pod *np_k8s_pod_of_netns(const struct np_k8s *k, __u32 inode)
{
	for (int i = 0; inode && i < k->npods; i++)
		if (k->pods[i].netns == inode && !k->pods[i].host_network)
			return &k->pods[i];
	return NULL;
}

static bool is_self(const struct np_k8s *k, const __u8 addr[16])
{
	for (int i = 0; i < k->nself_ips; i++)
		if (!memcmp(k->self_ips[i], addr, 16))
			return true;
	return false;
}

static const struct np_k8s_node *self_node(const struct np_k8s *k)
{
	for (int i = 0; i < k->nnodes; i++)
		if (k->nodes[i].self)
			return &k->nodes[i];
	return NULL;
}

/* The node a pod of another node is on: by its host IP, else by pod CIDR. */
static const struct np_k8s_node *remote_node(const struct np_k8s *k, const struct np_k8s_pod *p,
					     const __u8 addr[16])
{
	for (int i = 0; i < k->nnodes; i++)
		if (!memcmp(k->nodes[i].ip, p->host_ip, 16))
			return &k->nodes[i];
	for (int i = 0; i < k->nnodes; i++)
		for (int c = 0; c < k->nodes[i].ncidrs; c++)
			if (np_cidr_match(&k->nodes[i].pod_cidr[c], addr))
				return &k->nodes[i];
	return NULL;
}

/* A pod of another node the API server named; as this node's pods, by creation time. */
static bool remote_pod(const struct np_k8s *k, const __u8 addr[16], __u64 seen_ns,
		       struct np_k8s_who *w)
{
	for (int i = ipref_first(k->ripidx, k->nripidx, addr); i < k->nripidx && !memcmp(k->ripidx[i].addr, addr, 16); i++) {
		const struct np_k8s_pod *p = &k->rpods[k->ripidx[i].pod];

		if (seen_ns && p->created_ns > seen_ns) {
			w->reused = true;
			continue;
		}
		if (!w->matches++)
			w->pod = p;
	}
	if (!w->pod)
		return false;
	w->kind = NP_K8S_POD;
	w->node = remote_node(k, w->pod, addr);
	return true;
}

/* addr is c's first address (all host bits 0), in a prefix that has others. */
static bool cidr_base(const struct np_cidr *c, const __u8 addr[16])
{
	if (c->prefix >= 127)
		return false;
	for (int b = c->prefix; b < 128; b++)
		if (addr[b / 8] & (0x80 >> (b % 8)))
			return false;
	return true;
}

void np_k8s_who(const struct np_k8s *k, const __u8 addr[16], __u16 port, __u8 proto,
		__u64 seen_ns, struct np_k8s_who *w)
{
	bool self = is_self(k, addr);

	memset(w, 0, sizeof(*w));
	/* A NodePort on one of this node's addresses. */
	for (int i = 0; self && port && i < k->nsvcs; i++) {
		const struct np_k8s_svc *s = &k->svcs[i];

		if (s->kind == NP_SVC_NODE_PORT && s->port == port &&
		    (!proto || !s->proto || s->proto == proto)) {
			w->kind = NP_K8S_SERVICE;
			w->svc = s;
			return;
		}
	}
	for (int i = ipidx_first(k, addr); i < k->nipidx && !memcmp(k->ipidx[i].addr, addr, 16);
	     i++) {
		const struct np_k8s_ipref *r = &k->ipidx[i];

		/* A service: its VIP and port (the client side sees the VIP). */
		if (r->svc >= 0) {
			const struct np_k8s_svc *s = &k->svcs[r->svc];

			if (port && (s->port != port || (proto && s->proto && s->proto != proto)))
				continue;
			w->kind = NP_K8S_SERVICE;
			w->svc = s;
			return;
		}
		/* A pod of this node, unless its address was given out again after the flow began. */
		if (seen_ns && k->pods[r->pod].created_ns > seen_ns) {
			w->reused = true;
			continue;
		}
		if (!w->matches++)
			w->pod = &k->pods[r->pod];
	}
	if (w->pod) {
		w->kind = NP_K8S_POD;
		w->node = self_node(k);
		return;
	}
	if (self) {
		w->kind = NP_K8S_NODE;
		w->node = self_node(k);
		return;
	}
	for (int i = 0; i < k->nnodes; i++)
		if (!k->nodes[i].self && !memcmp(k->nodes[i].ip, addr, 16)) {
			w->kind = NP_K8S_NODE;
			w->node = &k->nodes[i];
			return;
		}
	if (k->nripidx && remote_pod(k, addr, seen_ns, w))
		return;
	for (int i = 0; i < k->nnodes; i++)
		for (int c = 0; c < k->nodes[i].ncidrs; c++)
			if (np_cidr_match(&k->nodes[i].pod_cidr[c], addr)) {
				/* The subnet's own address is Flannel's flannel.1 on that
				 * node: what the node's traffic to pods elsewhere (and its
				 * masquerade) comes from. No pod has it. */
				w->kind = cidr_base(&k->nodes[i].pod_cidr[c], addr) ? NP_K8S_NODE :
										     NP_K8S_POD;
				w->node = &k->nodes[i];
				return;
			}
	for (int c = 0; c < k->ncluster; c++)
		if (np_cidr_match(&k->cluster[c], addr)) {
			w->kind = NP_K8S_POD;
			return;
		}
	w->kind = k->ncluster || k->npods || k->nnodes > 1 ? NP_K8S_EXTERNAL : NP_K8S_UNKNOWN;
}

const char *np_k8s_kind_name(enum np_k8s_kind kind)
{
	static const char *const names[] = {
		[NP_K8S_UNKNOWN] = "unknown", [NP_K8S_POD] = "pod", [NP_K8S_SERVICE] = "service",
		[NP_K8S_NODE] = "node", [NP_K8S_EXTERNAL] = "external",
	};

	return names[kind];
}

const char *np_k8s_svc_kind_name(enum np_k8s_svc_kind kind)
{
	static const char *const names[] = {
		[NP_SVC_CLUSTER_IP] = "cluster-ip", [NP_SVC_EXTERNAL_IP] = "external-ip",
		[NP_SVC_LOAD_BALANCER] = "load-balancer", [NP_SVC_NODE_PORT] = "node-port",
	};

	return names[kind];
}

bool np_k8s_present(const struct np_k8s *k)
{
	return k->npods || k->nsvcs || k->ncluster;
}

static int cidr_add_owned(struct np_k8s_cidr_entry **v, int *n, int *cap,
			  const struct np_cidr *c, __u32 where, struct np_k8s_owner_ref owner)
{
	/* The same prefix twice: HERE wins (a service with local endpoints, this node). */
	for (int i = 0; i < *n; i++)
		if ((*v)[i].cidr.prefix == c->prefix && !memcmp((*v)[i].cidr.addr, c->addr, 16)) {
			if (where == NP_K8S_HERE)
				(*v)[i].where = where;
			if (!(*v)[i].owner.kind)
				(*v)[i].owner = owner;
			return 0;
		}
	if (*n == *cap) {
		struct np_k8s_cidr_entry *nv = realloc(*v, (*cap = *cap ? *cap * 2 : 64) *
						      sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		*v = nv;
	}
	(*v)[*n] = (struct np_k8s_cidr_entry){ .cidr = *c, .where = where, .owner = owner };
	(*n)++;
	return 0;
}

static int cidr_add(struct np_k8s_cidr_entry **v, int *n, int *cap, const struct np_cidr *c,
		    __u32 where)
{
	return cidr_add_owned(v, n, cap, c, where, (struct np_k8s_owner_ref){ 0 });
}

static void host_cidr(struct np_cidr *c, const __u8 addr[16])
{
	memcpy(c->addr, addr, 16);
	c->prefix = 128;
}

/* Every endpoint of the service is a pod of this node. */
static bool svc_here(const struct np_k8s *k, const struct np_k8s_svc *s)
{
	if (!s->nendpoints)
		return false;
	for (int i = 0; i < s->nendpoints; i++) {
		struct np_k8s_who w;
		char ip[64];
		__u8 a[16];

		copy(ip, sizeof(ip), s->endpoints[i][0] == '[' ? s->endpoints[i] + 1 :
		     s->endpoints[i]);
		ip[strcspn(ip, s->endpoints[i][0] == '[' ? "]" : ":")] = '\0';
		if (!parse_addr(ip, a))
			return false;
		np_k8s_who(k, a, 0, 0, 0, &w);
		if (w.kind == NP_K8S_SERVICE || !w.node || !w.node->self ||
		    (w.kind != NP_K8S_POD && w.kind != NP_K8S_NODE))
			return false;
	}
	return true;
}

int np_k8s_cidr_entries(const struct np_k8s *k, struct np_k8s_cidr_entry **out, int *n)
{
	struct np_k8s_cidr_entry *v = NULL;
	int cap = 0, err = 0;
	struct np_cidr c;

	*n = 0;
	for (int i = 0; i < k->ncluster && !err; i++)
		err = cidr_add(&v, n, &cap, &k->cluster[i], NP_K8S_CLUSTER);
	for (int i = 0; i < k->nnodes && !err; i++) {
		const struct np_k8s_node *nd = &k->nodes[i];

		for (int j = 0; j < nd->ncidrs && !err; j++)
			err = cidr_add(&v, n, &cap, &nd->pod_cidr[j],
				       nd->self ? NP_K8S_HERE : NP_K8S_CLUSTER);
		if (!nd->self && !err) {
			host_cidr(&c, nd->ip);
			err = cidr_add(&v, n, &cap, &c, NP_K8S_CLUSTER);
		}
	}
	for (int i = 0; i < k->nself_ips && !err; i++) {
		host_cidr(&c, k->self_ips[i]);
		err = cidr_add(&v, n, &cap, &c, NP_K8S_HERE);
	}
	for (int i = 0; i < k->npods && !err; i++) {
		const struct np_k8s_pod *p = &k->pods[i];

		for (int j = 0; j < p->nips && !p->host_network && !err; j++) {
			host_cidr(&c, p->ips[j]);
			err = cidr_add_owned(&v, n, &cap, &c, NP_K8S_HERE, (struct np_k8s_owner_ref){
						.kind = p->name[0] ? NP_K8S_OWNER_POD : 0,
						.ns = p->namespace, .name = p->name });
		}
	}
	for (int i = 0; i < k->nsvcs && !err; i++) {
		if (k->svcs[i].kind == NP_SVC_NODE_PORT)
			continue;
		host_cidr(&c, k->svcs[i].ip);
		err = cidr_add(&v, n, &cap, &c, svc_here(k, &k->svcs[i]) ? NP_K8S_HERE :
								     NP_K8S_CLUSTER);
	}
	if (err) {
		free(v);
		*n = 0;
		return err;
	}
	*out = v;
	return 0;
}

static int port_add(struct np_k8s_port_entry **v, int *n, int *cap, const __u8 addr[16],
		    const struct np_k8s_svc *s)
{
	struct np_k8s_port_entry e = {
		.key = { .port = s->port, .proto = s->proto },
		.owner = { .kind = NP_K8S_OWNER_SERVICE, .ns = s->namespace, .name = s->name },
	};

	memcpy(e.key.addr, addr, 16);
	/* One port of one address is one service: the first rule wins. */
	for (int i = 0; i < *n; i++)
		if (!memcmp(&(*v)[i].key, &e.key, sizeof(e.key)))
			return 0;
	if (*n == *cap) {
		struct np_k8s_port_entry *nv = realloc(*v, (*cap = *cap ? *cap * 2 : 64) *
						      sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		*v = nv;
	}
	(*v)[(*n)++] = e;
	return 0;
}

int np_k8s_port_entries(const struct np_k8s *k, struct np_k8s_port_entry **out, int *n)
{
	struct np_k8s_port_entry *v = NULL;
	int cap = 0, err = 0;

	*n = 0;
	for (int i = 0; i < k->nsvcs && !err; i++) {
		const struct np_k8s_svc *s = &k->svcs[i];

		if (s->kind != NP_SVC_NODE_PORT) {
			err = port_add(&v, n, &cap, s->ip, s);
			continue;
		}
		for (int j = 0; j < k->nself_ips && !err; j++)
			err = port_add(&v, n, &cap, k->self_ips[j], s);
	}
	if (err) {
		free(v);
		*n = 0;
		return err;
	}
	*out = v;
	return 0;
}
