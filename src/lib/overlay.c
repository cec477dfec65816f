// SPDX-License-Identifier: GPL-2.0
/* The VXLAN overlay over rtnetlink, and Flannel's subnet.env: see overlay.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>

#include "nl.h"
#include "np.h"
#include "inet.h"
#include "overlay.h"

/* Grows *v by one element of size sz; returns the new element or NULL. */
static void *push(void *vp, int *n, size_t sz)
{
	void **v = vp;
	char *nv = realloc(*v, (*n + 1) * sz);

	if (!nv)
		return NULL;
	*v = nv;
	memset(nv + *n * sz, 0, sz);
	return nv + (*n)++ * sz;
}

/* Stores a 4- or 16-byte address attribute as 16 bytes (v4-mapped). */
static bool addr_from(const struct rtattr *rta, __u8 out[16])
{
	if (!rta)
		return false;
	if (np_nl_len(rta) == 4) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, np_nl_data(rta), 4);
		return true;
	}
	if (np_nl_len(rta) == 16) {
		memcpy(out, np_nl_data(rta), 16);
		return true;
	}
	return false;
}

static bool mac_from(const struct rtattr *rta, __u8 out[6])
{
	if (!rta || np_nl_len(rta) != 6)
		return false;
	memcpy(out, np_nl_data(rta), 6);
	return true;
}

static __u32 u32_of(const struct rtattr *rta)
{
	__u32 v = 0;

	if (rta && np_nl_len(rta) >= 4)
		memcpy(&v, np_nl_data(rta), 4);
	return v;
}

static void vxlan_info(struct np_vxlan_link *l, const struct rtattr *data)
{
	struct rtattr *tb[IFLA_VXLAN_MAX + 1];
	__u16 port = 0;

	np_nl_parse_nested(tb, IFLA_VXLAN_MAX, data);
	l->vni = u32_of(tb[IFLA_VXLAN_ID]);
	if (tb[IFLA_VXLAN_PORT] && np_nl_len(tb[IFLA_VXLAN_PORT]) == 2)
		memcpy(&port, np_nl_data(tb[IFLA_VXLAN_PORT]), 2);
	l->port = ntohs(port);
	l->has_local = addr_from(tb[IFLA_VXLAN_LOCAL], l->local) ||
		       addr_from(tb[IFLA_VXLAN_LOCAL6], l->local);
	l->underlay = u32_of(tb[IFLA_VXLAN_LINK]);
	l->learning = tb[IFLA_VXLAN_LEARNING] && *(const __u8 *)np_nl_data(tb[IFLA_VXLAN_LEARNING]);
}

static int on_link(const struct nlmsghdr *nlh, void *arg)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(nlh);
	struct rtattr *tb[IFLA_MAX + 1], *info[IFLA_INFO_MAX + 1];
	struct np_overlay *ov = arg;
	struct np_vxlan_link *l;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return 0;
	np_nl_parse_msg(tb, IFLA_MAX, nlh, sizeof(*ifi));
	if (!tb[IFLA_LINKINFO] || !tb[IFLA_IFNAME])
		return 0;
	np_nl_parse_nested(info, IFLA_INFO_MAX, tb[IFLA_LINKINFO]);
	if (!info[IFLA_INFO_KIND] || strcmp(np_nl_data(info[IFLA_INFO_KIND]), "vxlan"))
		return 0;
	l = push(&ov->links, &ov->nlinks, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->ifindex = ifi->ifi_index;
	snprintf(l->name, sizeof(l->name), "%s", (const char *)np_nl_data(tb[IFLA_IFNAME]));
	mac_from(tb[IFLA_ADDRESS], l->mac);
	l->mtu = u32_of(tb[IFLA_MTU]);
	if (info[IFLA_INFO_DATA])
		vxlan_info(l, info[IFLA_INFO_DATA]);
	return 0;
}

static const struct np_vxlan_link *link_by_index(const struct np_overlay *ov, int ifindex)
{
	for (int i = 0; i < ov->nlinks; i++)
		if (ov->links[i].ifindex == ifindex)
			return &ov->links[i];
	return NULL;
}

/* AF_BRIDGE neighbours of a vxlan link are its FDB: MAC -> remote VTEP. */
static int on_fdb(const struct nlmsghdr *nlh, void *arg)
{
	const struct ndmsg *ndm = NLMSG_DATA(nlh);
	struct rtattr *tb[NDA_MAX + 1];
	struct np_overlay *ov = arg;
	struct np_fdb e = { .ifindex = ndm->ndm_ifindex, .state = ndm->ndm_state };

	if (nlh->nlmsg_type != RTM_NEWNEIGH || ndm->ndm_family != AF_BRIDGE ||
	    !link_by_index(ov, ndm->ndm_ifindex))
		return 0;
	np_nl_parse_msg(tb, NDA_MAX, nlh, sizeof(*ndm));
	if (!mac_from(tb[NDA_LLADDR], e.mac) || !addr_from(tb[NDA_DST], e.dst))
		return 0;
	e.vni = u32_of(tb[NDA_VNI]);
	if (!push(&ov->fdb, &ov->nfdb, sizeof(e)))
		return -ENOMEM;
	ov->fdb[ov->nfdb - 1] = e;
	return 0;
}

static int on_neigh(const struct nlmsghdr *nlh, void *arg)
{
	const struct ndmsg *ndm = NLMSG_DATA(nlh);
	struct rtattr *tb[NDA_MAX + 1];
	struct np_overlay *ov = arg;
	struct np_neigh e = { .ifindex = ndm->ndm_ifindex, .state = ndm->ndm_state };

	if (nlh->nlmsg_type != RTM_NEWNEIGH || !link_by_index(ov, ndm->ndm_ifindex))
		return 0;
	np_nl_parse_msg(tb, NDA_MAX, nlh, sizeof(*ndm));
	if (!addr_from(tb[NDA_DST], e.ip) || !mac_from(tb[NDA_LLADDR], e.mac))
		return 0;
	if (!push(&ov->neigh, &ov->nneigh, sizeof(e)))
		return -ENOMEM;
	ov->neigh[ov->nneigh - 1] = e;
	return 0;
}

static int on_route(const struct nlmsghdr *nlh, void *arg)
{
	const struct rtmsg *rtm = NLMSG_DATA(nlh);
	struct rtattr *tb[RTA_MAX + 1];
	struct np_overlay *ov = arg;
	struct np_route r = { .dst_len = rtm->rtm_dst_len, .table = rtm->rtm_table,
			      .v6 = rtm->rtm_family == AF_INET6,
			      .onlink = rtm->rtm_flags & RTNH_F_ONLINK };

	if (nlh->nlmsg_type != RTM_NEWROUTE || rtm->rtm_type != RTN_UNICAST)
		return 0;
	np_nl_parse_msg(tb, RTA_MAX, nlh, sizeof(*rtm));
	r.ifindex = u32_of(tb[RTA_OIF]);
	if (!link_by_index(ov, r.ifindex))
		return 0;
	if (tb[RTA_TABLE])
		r.table = u32_of(tb[RTA_TABLE]);
	addr_from(tb[RTA_DST], r.dst);	/* absent: the default route, all zero */
	if (!tb[RTA_DST] && !r.v6)
		r.dst[10] = r.dst[11] = 0xff;
	r.has_gw = addr_from(tb[RTA_GATEWAY], r.gw);
	if (!push(&ov->routes, &ov->nroutes, sizeof(r)))
		return -ENOMEM;
	ov->routes[ov->nroutes - 1] = r;
	return 0;
}

int np_overlay_read(struct np_overlay *ov)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct ndmsg ndm = { .ndm_family = AF_BRIDGE };
	struct rtmsg rtm = { .rtm_family = AF_INET };
	int err;

	memset(ov, 0, sizeof(*ov));
	np_flannel_env_read(&ov->env);
	err = np_nl_dump(RTM_GETLINK, &ifi, sizeof(ifi), on_link, ov);
	if (err || !ov->nlinks)
		return err;
	err = np_nl_dump(RTM_GETNEIGH, &ndm, sizeof(ndm), on_fdb, ov);
	ndm.ndm_family = AF_INET;
	err = err ?: np_nl_dump(RTM_GETNEIGH, &ndm, sizeof(ndm), on_neigh, ov);
	ndm.ndm_family = AF_INET6;
	/* A kernel without IPv6 refuses AF_INET6 dumps: nothing to read then. */
	if (!err && np_nl_dump(RTM_GETNEIGH, &ndm, sizeof(ndm), on_neigh, ov) == -ENOMEM)
		err = -ENOMEM;
	err = err ?: np_nl_dump(RTM_GETROUTE, &rtm, sizeof(rtm), on_route, ov);
	rtm.rtm_family = AF_INET6;
	if (!err && np_nl_dump(RTM_GETROUTE, &rtm, sizeof(rtm), on_route, ov) == -ENOMEM)
		err = -ENOMEM;
	return err;
}

void np_overlay_free(struct np_overlay *ov)
{
	free(ov->links);
	free(ov->fdb);
	free(ov->neigh);
	free(ov->routes);
	memset(ov, 0, sizeof(*ov));
}

/* ---- subnet.env ---- */

/* s (len bytes) as printable ASCII: other bytes as \xNN, cut after 64 bytes. */
static void printable(char *buf, size_t n, const char *s, size_t len)
{
	size_t j = 0;

	for (size_t i = 0; i < len && j + 5 < n; i++) {
		unsigned char c = s[i];

		if (i == 64) {
			j += snprintf(buf + j, n - j, "...");
			break;
		}
		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[j++] = c;
		else
			j += snprintf(buf + j, n - j, "\\x%02x", c);
	}
	buf[j] = '\0';
}

static void note(struct np_flannel_env *env, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Records why something was refused; the caller names it printably. */
static void note(struct np_flannel_env *env, const char *fmt, ...)
{
	char path[96];
	va_list ap;
	int n;

	if (env->nnotes++ >= NP_FLANNEL_NOTES)
		return;
	printable(path, sizeof(path), env->path, strlen(env->path));
	n = snprintf(env->notes[env->nnotes - 1], sizeof(env->notes[0]), "%s: ", path);
	va_start(ap, fmt);
	vsnprintf(env->notes[env->nnotes - 1] + n, sizeof(env->notes[0]) - n, fmt, ap);
	va_end(ap);
}

/* A decimal number without sign or leading zeros, at most max. */
static bool parse_uint(const char *s, size_t len, unsigned max, unsigned *out)
{
	unsigned v = 0;

	if (!len || len > 5 || (s[0] == '0' && len > 1))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

/* ADDR/LEN in family af: inet_pton, and a prefix length the family allows. */
static bool parse_cidr(const char *s, size_t len, int af)
{
	const char *slash = memchr(s, '/', len);
	char addr[INET6_ADDRSTRLEN];
	__u8 bin[16];
	unsigned plen;

	if (!slash || (size_t)(slash - s) >= sizeof(addr))
		return false;
	memcpy(addr, s, slash - s);
	addr[slash - s] = '\0';
	return inet_pton(af, addr, bin) == 1 &&
	       parse_uint(slash + 1, len - (slash + 1 - s), af == AF_INET ? 32 : 128, &plen);
}

/* One CIDR, or several separated by commas (Flannel's Networks). */
static bool parse_cidrs(const char *s, size_t len, int af, bool list)
{
	const char *end = s + len;

	for (;;) {
		const char *comma = list ? memchr(s, ',', end - s) : NULL;
		const char *stop = comma ? comma : end;

		if (!parse_cidr(s, stop - s, af))
			return false;
		if (!comma)
			return true;
		s = comma + 1;
	}
}

enum env_kind { ENV_CIDR4, ENV_CIDRS4, ENV_CIDR6, ENV_CIDRS6, ENV_MTU, ENV_BOOL };

/* The string member f of struct np_flannel_env, for the table below. */
#define ENV_FIELD(f) offsetof(struct np_flannel_env, f), sizeof(((struct np_flannel_env *)0)->f)

static const struct env_key {
	const char *key;
	enum env_kind kind;
	size_t off, size;	/* the string member, or 0, 0 */
	const char *what;	/* what a valid value is, for the note */
} env_keys[] = {
	{ "FLANNEL_NETWORK", ENV_CIDRS4, ENV_FIELD(network),
	  "a list of IPv4 CIDRs (ADDR/0-32, comma-separated)" },
	{ "FLANNEL_SUBNET", ENV_CIDR4, ENV_FIELD(subnet), "an IPv4 CIDR (ADDR/0-32)" },
	{ "FLANNEL_IPV6_NETWORK", ENV_CIDRS6, ENV_FIELD(ipv6_network),
	  "a list of IPv6 CIDRs (ADDR/0-128, comma-separated)" },
	{ "FLANNEL_IPV6_SUBNET", ENV_CIDR6, ENV_FIELD(ipv6_subnet), "an IPv6 CIDR (ADDR/0-128)" },
	{ "FLANNEL_MTU", ENV_MTU, 0, 0, "an MTU from 68 to 65535" },
	{ "FLANNEL_IPMASQ", ENV_BOOL, ENV_FIELD(ipmasq), "true or false" },
};

static bool env_value_ok(const struct env_key *k, const char *v, size_t len, unsigned *mtu)
{
	switch (k->kind) {
	case ENV_CIDR4:
	case ENV_CIDRS4:
		return parse_cidrs(v, len, AF_INET, k->kind == ENV_CIDRS4);
	case ENV_CIDR6:
	case ENV_CIDRS6:
		return parse_cidrs(v, len, AF_INET6, k->kind == ENV_CIDRS6);
	case ENV_MTU:
		return parse_uint(v, len, 65535, mtu) && *mtu >= 68;
	case ENV_BOOL:
		return (len == 4 && !memcmp(v, "true", 4)) || (len == 5 && !memcmp(v, "false", 5));
	}
	return false;
}

/* KEY=VALUE of a known key: stored if valid, else noted and left out. */
static void env_set(struct np_flannel_env *env, int lineno, const struct env_key *k,
		    const char *v, size_t len)
{
	char text[300];
	unsigned mtu = 0;

	if (!len)
		return;		/* empty: as good as absent */
	if (!memchr(v, '\0', len) && (!k->size || len < k->size) &&
	    env_value_ok(k, v, len, &mtu)) {
		if (k->kind == ENV_MTU) {
			env->mtu = mtu;
		} else {
			memcpy((char *)env + k->off, v, len);
			((char *)env + k->off)[len] = '\0';
		}
		return;
	}
	printable(text, sizeof(text), v, len);
	note(env, "line %d: %s='%s' is not %s; ignored", lineno, k->key, text, k->what);
}

static bool is_key(const char *s, size_t len)
{
	if (!len || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!(s[i] == '_' || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

static void env_line(struct np_flannel_env *env, int lineno, const char *s, size_t len)
{
	const char *eq, *v;
	char text[300];
	size_t klen, vlen;

	while (len && (s[len - 1] == '\r' || s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	while (len && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	if (!len || *s == '#')
		return;
	eq = memchr(s, '=', len);
	klen = eq ? (size_t)(eq - s) : 0;
	if (!eq || !is_key(s, klen)) {
		printable(text, sizeof(text), s, len);
		note(env, "line %d: '%s' is not KEY=VALUE; ignored", lineno, text);
		return;
	}
	v = eq + 1;
	vlen = len - klen - 1;
	/* Values may be quoted, as in a shell file. */
	if (vlen >= 2 && (*v == '"' || *v == '\'') && v[vlen - 1] == *v) {
		v++;
		vlen -= 2;
	}
	for (size_t i = 0; i < ARRAY_SIZE(env_keys); i++)
		if (strlen(env_keys[i].key) == klen && !memcmp(env_keys[i].key, s, klen))
			env_set(env, lineno, &env_keys[i], v, vlen);
}

void np_flannel_env_parse(const char *text, size_t len, struct np_flannel_env *env)
{
	const char *end = text + len;
	int lineno = 0;

	while (text < end) {
		const char *nl = memchr(text, '\n', end - text);
		const char *stop = nl ? nl : end;

		env_line(env, ++lineno, text, stop - text);
		text = stop + 1;
	}
}

static const char *file_type(mode_t mode)
{
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a regular file";
}

/* At most NP_FLANNEL_ENV_MAX bytes of fd into a new buffer; -EFBIG if more. */
static int read_bounded(int fd, char **buf, size_t *len)
{
	char *b = malloc(NP_FLANNEL_ENV_MAX + 1);
	size_t n = 0;

	if (!b)
		return -ENOMEM;
	while (n <= NP_FLANNEL_ENV_MAX) {
		ssize_t r = read(fd, b + n, NP_FLANNEL_ENV_MAX + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int err = -errno;

			free(b);
			return err;
		}
		if (!r)
			break;
		n += r;
	}
	if (n > NP_FLANNEL_ENV_MAX) {
		free(b);
		return -EFBIG;
	}
	*buf = b;
	*len = n;
	return 0;
}

/* Only a regular file of a sane size: a FIFO or a device may never end. */
static int check_file(int fd, struct np_flannel_env *env)
{
	struct stat st;

	if (fstat(fd, &st)) {
		int err = -errno;

		note(env, "cannot stat: %s; ignored", strerror(-err));
		return err;
	}
	if (!S_ISREG(st.st_mode)) {
		note(env, "%s, not a regular file; ignored", file_type(st.st_mode));
		return -EINVAL;
	}
	return st.st_size > NP_FLANNEL_ENV_MAX ? -EFBIG : 0;
}

int np_flannel_env_load(const char *path, struct np_flannel_env *env)
{
	char *text = NULL;
	size_t len = 0;
	int fd, err;

	memset(env, 0, sizeof(*env));
	snprintf(env->path, sizeof(env->path), "%s", path);
	/* No waiting in open() for a FIFO's writer, no following a planted link. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		err = -errno;
		if (err == -ENOENT)
			return 0;
		if (err == -ELOOP)
			note(env, "a symbolic link, which netprobe does not follow; ignored");
		else
			note(env, "cannot open: %s; ignored", strerror(-err));
		return err;
	}
	err = check_file(fd, env);
	if (!err) {
		err = read_bounded(fd, &text, &len);
		if (err && err != -EFBIG)
			note(env, "cannot read: %s; ignored", strerror(-err));
	}
	close(fd);
	if (err == -EFBIG)
		note(env, "larger than %d KiB, which no subnet.env is; ignored",
		     NP_FLANNEL_ENV_MAX / 1024);
	if (err)
		return err;
	env->present = true;
	np_flannel_env_parse(text, len, env);
	free(text);
	return 0;
}

void np_flannel_env_read(struct np_flannel_env *env)
{
	const char *path = getenv("NETPROBE_FLANNEL_SUBNET_ENV");

	if (!path || !*path)
		path = NP_FLANNEL_SUBNET_ENV;
	np_flannel_env_load(path, env);
}

/* ---- the join ---- */

/* Adds s to the comma-separated list in buf unless it is there already. */
static void append(char *buf, size_t n, const char *s)
{
	size_t len = strlen(buf), sl = strlen(s);

	for (const char *p = buf; (p = strstr(p, s)); p += sl)
		if ((p == buf || p[-1] == ',') && (p[sl] == ',' || p[sl] == '\0'))
			return;
	if (len + (len ? 1 : 0) + sl < n)
		snprintf(buf + len, n - len, "%s%s", len ? "," : "", s);
}

void np_overlay_cidrs(const struct np_overlay *ov, int ifindex, const __u8 mac[6],
		      char *cidrs, size_t n, char *gws, size_t gn)
{
	char buf[64];

	cidrs[0] = gws[0] = '\0';
	for (int i = 0; i < ov->nneigh; i++) {
		const struct np_neigh *ne = &ov->neigh[i];

		if (ne->ifindex != ifindex || memcmp(ne->mac, mac, 6))
			continue;
		for (int j = 0; j < ov->nroutes; j++) {
			const struct np_route *r = &ov->routes[j];

			if (r->ifindex != ifindex || !r->has_gw || memcmp(r->gw, ne->ip, 16))
				continue;
			append(cidrs, n, np_overlay_route_cidr(r, buf, sizeof(buf)));
			append(gws, gn, np_addr_str(ne->ip, buf, sizeof(buf)));
		}
	}
}

int np_overlay_split(char *list, const char **items, int max)
{
	int n = 0;

	for (char *p = list, *end; p && *p && n < max; p = end) {
		end = strchr(p, ',');
		if (end)
			*end++ = '\0';
		if (*p)
			items[n++] = p;
	}
	return n;
}

bool np_overlay_peer(const struct np_overlay *ov, const __u8 addr[16], __u32 vni,
		     struct np_overlay_peer *p)
{
	memset(p, 0, sizeof(*p));
	for (int i = 0; i < ov->nfdb; i++) {
		const struct np_fdb *e = &ov->fdb[i];
		const struct np_vxlan_link *l = link_by_index(ov, e->ifindex);

		if (!l || memcmp(e->dst, addr, 16) || (e->vni ? e->vni : l->vni) != vni)
			continue;
		if (!p->fdb) {
			p->fdb = e;
			p->link = l;
		}
		if (!p->pod_cidr[0])
			np_overlay_cidrs(ov, e->ifindex, e->mac, p->pod_cidr, sizeof(p->pod_cidr),
					 p->gateway, sizeof(p->gateway));
	}
	return p->fdb != NULL;
}

/* ---- text ---- */

const char *np_overlay_mac_str(const __u8 m[6], char *buf, size_t n)
{
	snprintf(buf, n, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

const char *np_overlay_route_cidr(const struct np_route *r, char *buf, size_t n)
{
	char a[INET6_ADDRSTRLEN];

	snprintf(buf, n, "%s/%u", np_addr_str(r->dst, a, sizeof(a)), r->dst_len);
	return buf;
}
