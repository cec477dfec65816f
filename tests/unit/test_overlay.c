// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the overlay helpers: subnet.env parsing, address text, the join. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "lib/overlay.h"
#include "unit.h"

static void parse(const char *text, size_t len, struct np_flannel_env *env)
{
	memset(env, 0, sizeof(*env));
	snprintf(env->path, sizeof(env->path), "subnet.env");
	np_flannel_env_parse(text, len, env);
}

static bool noted(const struct np_flannel_env *env, const char *what)
{
	for (int i = 0; i < env->nnotes && i < NP_FLANNEL_NOTES; i++)
		if (strstr(env->notes[i], what))
			return true;
	return false;
}

static void test_env(void)
{
	const char *text = "# written by flanneld\n"
			   "FLANNEL_NETWORK=10.244.0.0/16\n"
			   "FLANNEL_SUBNET=10.244.1.1/24\r\n"
			   "FLANNEL_IPV6_NETWORK=\"fd00:10:244::/56\"\n"
			   "\n"
			   "FLANNEL_MTU=1450\n"
			   "FLANNEL_IPMASQ=true\n"
			   "OTHER=ignored\n";
	struct np_flannel_env env;

	parse(text, strlen(text), &env);
	CHECK_STR(env.network, "10.244.0.0/16");
	CHECK_STR(env.subnet, "10.244.1.1/24");
	CHECK_STR(env.ipv6_network, "fd00:10:244::/56");
	CHECK(env.ipv6_subnet[0] == '\0');
	CHECK(env.mtu == 1450);
	CHECK_STR(env.ipmasq, "true");
}

static char dir[] = "/tmp/np-test-overlay-XXXXXX";

static char *in_dir(const char *name)
{
	static char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static void write_file(const char *name, const char *text, size_t len)
{
	FILE *f = fopen(in_dir(name), "w");

	CHECK(f && fwrite(text, 1, len, f) == len);
	if (f)
		fclose(f);
}

/* A load that is refused: an error, a note, no values, present false. */
static void refused(const char *path, int want, const char *what)
{
	struct np_flannel_env env;
	int err;

	alarm(5);	/* a read that never ends fails the test instead of hanging it */
	err = np_flannel_env_load(path, &env);
	alarm(0);
	if (err != want)
		fprintf(stderr, "%s: %d, not %d\n", path, err, want);
	CHECK(err == want);
	CHECK(!env.present && !env.subnet[0] && !env.mtu);
	CHECK(env.nnotes == 1 && noted(&env, what));
}

static void test_env_files(void)
{
	static const char *const made[] = { "subnet.env", "fifo", "link", "max", "big",
					    "\xff\x1b" };
	const char *good = "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\n"
			   "FLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n";
	struct np_flannel_env env;
	char *big, target[128];

	if (!mkdtemp(dir)) {
		CHECK(!"mkdtemp");
		return;
	}
	write_file("subnet.env", good, strlen(good));
	CHECK(np_flannel_env_load(in_dir("subnet.env"), &env) == 0);
	CHECK(env.present && env.nnotes == 0 && env.mtu == 1450);
	CHECK_STR(env.subnet, "10.244.1.1/24");
	CHECK_STR(env.path, in_dir("subnet.env"));

	/* None at all: not present, and nothing to say. */
	CHECK(np_flannel_env_load(in_dir("none"), &env) == 0);
	CHECK(!env.present && env.nnotes == 0);

	/* A FIFO without a writer would block open(), one with a writer read(). */
	CHECK(mkfifo(in_dir("fifo"), 0600) == 0);
	refused(in_dir("fifo"), -EINVAL, "fifo: a FIFO, not a regular file; ignored");
	refused("/dev/zero", -EINVAL, "/dev/zero: a character device, not a regular file");
	refused(dir, -EINVAL, "a directory, not a regular file");
	snprintf(target, sizeof(target), "%s", in_dir("subnet.env"));
	CHECK(symlink(target, in_dir("link")) == 0);
	refused(in_dir("link"), -ELOOP, "link: a symbolic link");

	/* Exactly the limit is read; one byte more is refused. */
	big = malloc(NP_FLANNEL_ENV_MAX + 1);
	memset(big, '#', NP_FLANNEL_ENV_MAX + 1);
	memcpy(big, good, strlen(good));
	write_file("max", big, NP_FLANNEL_ENV_MAX);
	CHECK(np_flannel_env_load(in_dir("max"), &env) == 0);
	CHECK(env.present && env.mtu == 1450 && env.nnotes == 0);
	write_file("big", big, NP_FLANNEL_ENV_MAX + 1);
	refused(in_dir("big"), -EFBIG, "larger than 64 KiB");
	free(big);

	/* A file name that is not printable is escaped in the note. */
	CHECK(mkfifo(in_dir("\xff\x1b"), 0600) == 0);
	refused(in_dir("\xff\x1b"), -EINVAL, "/\\xff\\x1b: a FIFO");

	for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++)
		unlink(in_dir(made[i]));
	rmdir(dir);
}

static void v4(__u8 out[16], int a, int b, int c, int d)
{
	memset(out, 0, 16);
	out[10] = out[11] = 0xff;
	out[12] = a;
	out[13] = b;
	out[14] = c;
	out[15] = d;
}

static void test_text(void)
{
	__u8 a[16] = { 0xfd, 0x00, [15] = 1 }, mac[6] = { 2, 0xfa, 0, 0, 0, 0xb };
	struct np_route r = { .dst_len = 24 };
	char buf[64];

	CHECK(!strcmp(np_overlay_addr_str(a, buf, sizeof(buf)), "fd00::1"));
	v4(a, 192, 168, 77, 2);
	CHECK(!strcmp(np_overlay_addr_str(a, buf, sizeof(buf)), "192.168.77.2"));
	CHECK(!strcmp(np_overlay_mac_str(mac, buf, sizeof(buf)), "02:fa:00:00:00:0b"));
	v4(r.dst, 10, 244, 2, 0);
	CHECK(!strcmp(np_overlay_route_cidr(&r, buf, sizeof(buf)), "10.244.2.0/24"));
}

/* Flannel's chain: node IP <- FDB <- MAC <- neighbour <- gateway <- route. */
static void test_join(void)
{
	struct np_vxlan_link link = { .name = "flannel.1", .ifindex = 5, .vni = 1 };
	struct np_fdb fdb[2] = { { .ifindex = 5, .mac = { 2, 0xfa, 0, 0, 0, 2 } },
				 { .ifindex = 5, .mac = { 2, 0xfa, 0, 0, 0, 3 } } };
	struct np_neigh ne[2] = { { .ifindex = 5, .mac = { 2, 0xfa, 0, 0, 0, 2 } },
				  { .ifindex = 5, .mac = { 2, 0xfa, 0, 0, 0, 3 } } };
	struct np_route rt[3] = { { .ifindex = 5, .dst_len = 24, .has_gw = true },
				  { .ifindex = 5, .dst_len = 24, .has_gw = true },
				  { .ifindex = 5, .dst_len = 24, .has_gw = true } };
	struct np_overlay ov = { .links = &link, .nlinks = 1, .fdb = fdb, .nfdb = 2,
				 .neigh = ne, .nneigh = 2, .routes = rt, .nroutes = 3 };
	struct np_overlay_peer p;
	__u8 node[16];

	v4(fdb[0].dst, 192, 168, 77, 2);
	v4(fdb[1].dst, 192, 168, 77, 3);
	v4(ne[0].ip, 10, 244, 2, 0);
	v4(ne[1].ip, 10, 244, 3, 0);
	v4(rt[0].dst, 10, 244, 2, 0);
	v4(rt[0].gw, 10, 244, 2, 0);
	v4(rt[1].dst, 10, 244, 3, 0);
	v4(rt[1].gw, 10, 244, 3, 0);
	v4(rt[2].dst, 10, 244, 20, 0);	/* a second CIDR via node 2 */
	v4(rt[2].gw, 10, 244, 2, 0);

	v4(node, 192, 168, 77, 2);
	CHECK(np_overlay_peer(&ov, node, 1, &p));
	CHECK(p.link == &link && p.fdb == &fdb[0]);
	CHECK(!strcmp(p.pod_cidr, "10.244.2.0/24,10.244.20.0/24"));
	CHECK(!strcmp(p.gateway, "10.244.2.0"));
	v4(node, 192, 168, 77, 3);
	CHECK(np_overlay_peer(&ov, node, 1, &p));
	CHECK(!strcmp(p.pod_cidr, "10.244.3.0/24"));
	CHECK(!np_overlay_peer(&ov, node, 2, &p));	/* another VNI */
	v4(node, 192, 168, 77, 4);
	CHECK(!np_overlay_peer(&ov, node, 1, &p));
}

int main(void)
{
	test_env();
	test_env_files();
	test_text();
	test_join();
	UNIT_DONE();
}
