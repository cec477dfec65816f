// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the overlay helpers: subnet.env parsing, address text, the join. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "lib/inet.h"
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
			   "OTHER=ignored \xff\n";
	struct np_flannel_env env;

	parse(text, strlen(text), &env);
	CHECK_STR(env.network, "10.244.0.0/16");
	CHECK_STR(env.subnet, "10.244.1.1/24");
	CHECK_STR(env.ipv6_network, "fd00:10:244::/56");
	CHECK(env.ipv6_subnet[0] == '\0');
	CHECK(env.mtu == 1450);
	CHECK_STR(env.ipmasq, "true");
	CHECK(env.nnotes == 0);

	/* Several networks; the edges of every range. */
	text = "FLANNEL_NETWORK=10.42.0.0/16,10.43.0.0/0,0.0.0.0/32\n"
	       "FLANNEL_IPV6_SUBNET='fd00::1/128'\n"
	       "FLANNEL_MTU=68\n"
	       "FLANNEL_IPMASQ=false";	/* no newline at the end */
	parse(text, strlen(text), &env);
	CHECK_STR(env.network, "10.42.0.0/16,10.43.0.0/0,0.0.0.0/32");
	CHECK_STR(env.ipv6_subnet, "fd00::1/128");
	CHECK(env.mtu == 68);
	CHECK_STR(env.ipmasq, "false");
	CHECK(env.nnotes == 0);
	parse("FLANNEL_MTU=65535\n", 18, &env);
	CHECK(env.mtu == 65535 && env.nnotes == 0);
}

/* One invalid value: left out, and one note naming key and value. */
static void bad(const char *line, const char *what)
{
	struct np_flannel_env env;

	parse(line, strlen(line), &env);
	CHECK(!env.network[0] && !env.subnet[0] && !env.ipv6_network[0] && !env.ipv6_subnet[0] &&
	      !env.mtu && !env.ipmasq[0]);
	CHECK(env.nnotes == 1);
	CHECK(noted(&env, what));
}

static void test_env_invalid(void)
{
	struct np_flannel_env env;
	char nul[] = "FLANNEL_SUBNET=10.0.0.0/8\0junk\n";

	bad("FLANNEL_SUBNET=10.0.0.0/33\n", "line 1: FLANNEL_SUBNET='10.0.0.0/33' is not an IPv4 CIDR");
	bad("FLANNEL_SUBNET=999.1.1.1/24\n", "FLANNEL_SUBNET='999.1.1.1/24'");
	bad("FLANNEL_SUBNET=999.1.1.1\n", "FLANNEL_SUBNET='999.1.1.1'");
	bad("FLANNEL_SUBNET=10.0.0.1\n", "FLANNEL_SUBNET='10.0.0.1'");	/* no prefix */
	bad("FLANNEL_SUBNET=10.0.0.0/-1\n", "FLANNEL_SUBNET='10.0.0.0/-1'");
	bad("FLANNEL_SUBNET=10.0.0.0/024\n", "FLANNEL_SUBNET='10.0.0.0/024'");
	bad("FLANNEL_SUBNET=10.0.0.0/24,10.1.0.0/24\n", "FLANNEL_SUBNET=");	/* one only */
	bad("FLANNEL_SUBNET=fd00::/64\n", "FLANNEL_SUBNET='fd00::/64'");
	bad("FLANNEL_NETWORK=10.244.0.0/16,\n", "FLANNEL_NETWORK='10.244.0.0/16,'");
	bad("FLANNEL_NETWORK=10.244.0.0/16,999.1.1.1/8\n", "999.1.1.1/8' is not a list of IPv4");
	bad("FLANNEL_IPV6_NETWORK=fd00::/129\n", "FLANNEL_IPV6_NETWORK='fd00::/129'");
	bad("FLANNEL_IPV6_SUBNET=10.0.0.0/8\n", "FLANNEL_IPV6_SUBNET='10.0.0.0/8' is not an IPv6");
	bad("FLANNEL_MTU=-5\n", "FLANNEL_MTU='-5' is not an MTU from 68 to 65535");
	bad("FLANNEL_MTU=67\n", "FLANNEL_MTU='67'");
	bad("FLANNEL_MTU=65536\n", "FLANNEL_MTU='65536'");
	bad("FLANNEL_MTU=1450x\n", "FLANNEL_MTU='1450x'");
	bad("FLANNEL_MTU= 1450\n", "FLANNEL_MTU=' 1450'");
	bad("FLANNEL_MTU=99999999999999999999\n", "FLANNEL_MTU='99999999999999999999'");
	bad("FLANNEL_IPMASQ=yes\n", "FLANNEL_IPMASQ='yes' is not true or false");
	bad("FLANNEL_IPMASQ=TRUE\n", "FLANNEL_IPMASQ='TRUE'");
	/* Not UTF-8, control bytes: escaped in the note, nothing stored. */
	bad("FLANNEL_SUBNET=10.\xff\xfe.0.0/16\n", "FLANNEL_SUBNET='10.\\xff\\xfe.0.0/16'");
	bad("FLANNEL_IPMASQ=\x1b[31mtrue\n", "FLANNEL_IPMASQ='\\x1b[31mtrue'");
	bad("FLANNEL_NETWORK=a\\b\n", "FLANNEL_NETWORK='a\\x5cb'");
	bad("not a key=value line\n", "line 1: 'not a key=value line' is not KEY=VALUE");
	bad("\xff\n", "'\\xff' is not KEY=VALUE");
	/* A NUL byte inside a line. */
	parse(nul, sizeof(nul) - 1, &env);
	CHECK(!env.subnet[0] && env.nnotes == 1 && noted(&env, "'10.0.0.0/8\\x00junk'"));
	/* A long value is cut in the note. */
	{
		char line[600] = "FLANNEL_NETWORK=";

		memset(line + 16, '1', 500);
		parse(line, strlen(line), &env);
		CHECK(!env.network[0] && env.nnotes == 1 && noted(&env, "111...'"));
		CHECK(strlen(env.notes[0]) < sizeof(env.notes[0]));
	}
	/* The rest of the file still counts; an invalid later value leaves the earlier one. */
	{
		const char *text = "FLANNEL_MTU=1450\nFLANNEL_SUBNET=10.0.0.0/33\n"
				   "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_MTU=-5\n";

		parse(text, strlen(text), &env);
		CHECK(env.mtu == 1450);
		CHECK_STR(env.network, "10.244.0.0/16");
		CHECK(!env.subnet[0]);
		CHECK(env.nnotes == 2 && noted(&env, "line 2:") && noted(&env, "line 4:"));
	}
	/* Many bad lines: all counted, the first NP_FLANNEL_NOTES kept. */
	{
		char text[2000] = "";

		for (int i = 0; i < 20; i++)
			strcat(text, "FLANNEL_MTU=1\n");
		parse(text, strlen(text), &env);
		CHECK(env.nnotes == 20 && noted(&env, "line 8:") && !noted(&env, "line 9:"));
	}
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
					    "\xff\x1b", "bad" };
	const char *good = "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\n"
			   "FLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n";
	const char *bad = "FLANNEL_SUBNET=10.0.0.0/33\nFLANNEL_MTU=-5\nFLANNEL_NETWORK=10.0.0.0/8\n";
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

	/* Bad values in a file: the good ones still count. */
	write_file("bad", bad, strlen(bad));
	CHECK(np_flannel_env_load(in_dir("bad"), &env) == 0);
	CHECK(env.present && env.nnotes == 2 && !env.subnet[0] && !env.mtu);
	CHECK_STR(env.network, "10.0.0.0/8");

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

	CHECK(!strcmp(np_addr_str(a, buf, sizeof(buf)), "fd00::1"));
	v4(a, 192, 168, 77, 2);
	CHECK(!strcmp(np_addr_str(a, buf, sizeof(buf)), "192.168.77.2"));
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
	/* As a list: one item per CIDR. */
	{
		const char *items[4];
		char none[] = "", one[] = "a", cut[] = "a,b,c";

		CHECK(np_overlay_split(p.pod_cidr, items, 4) == 2);
		CHECK(!strcmp(items[0], "10.244.2.0/24") && !strcmp(items[1], "10.244.20.0/24"));
		CHECK(np_overlay_split(none, items, 4) == 0);
		CHECK(np_overlay_split(one, items, 4) == 1 && !strcmp(items[0], "a"));
		CHECK(np_overlay_split(cut, items, 2) == 2 && !strcmp(items[1], "b"));
	}
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
	test_env_invalid();
	test_env_files();
	test_text();
	test_join();
	UNIT_DONE();
}
