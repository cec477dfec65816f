// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netns.h"
#include "np.h"
#include "out.h"

#define NETNS_RUN_DIR	"/run/netns"

__u32 np_netns_self(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) ? 0 : (__u32)st.st_ino;
}

struct named_ns {
	__u32 inode;
	char name[256];
};

/* /run/netns read once per invocation: names do not change under a command. */
static struct named_ns *names;
static int nnames = -1;

static void names_load(void)
{
	struct dirent *de;
	DIR *d;

	nnames = 0;
	d = opendir(NETNS_RUN_DIR);
	while (d && (de = readdir(d))) {
		char path[sizeof(NETNS_RUN_DIR) + 256];
		struct named_ns *nv;
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), NETNS_RUN_DIR "/%s", de->d_name);
		if (stat(path, &st) || !(nv = realloc(names, (nnames + 1) * sizeof(*nv))))
			continue;
		names = nv;
		names[nnames].inode = st.st_ino;
		snprintf(names[nnames].name, sizeof(names[nnames].name), "%s", de->d_name);
		nnames++;
	}
	if (d)
		closedir(d);
}

const char *np_netns_name(__u32 inode)
{
	if (nnames < 0)
		names_load();
	for (int i = 0; i < nnames; i++)
		if (names[i].inode == inode)
			return names[i].name;
	return NULL;
}

int np_netns_open(__u32 inode)
{
	char path[sizeof(NETNS_RUN_DIR) + 280];
	struct dirent *de;
	struct stat st;
	int fd = -ENOENT;
	DIR *d;

	if (nnames < 0)
		names_load();
	for (int i = 0; i < nnames; i++)
		if (names[i].inode == inode) {
			snprintf(path, sizeof(path), NETNS_RUN_DIR "/%s", names[i].name);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd >= 0 && !fstat(fd, &st) && st.st_ino == inode)
				return fd;
			if (fd >= 0)
				close(fd);
			fd = -ENOENT;
		}
	/* A namespace without a name (a container's): a process that lives in it. */
	d = opendir("/proc");
	while (d && fd < 0 && (de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", de->d_name);
		if (stat(path, &st) || st.st_ino != inode)
			continue;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && (fstat(fd, &st) || st.st_ino != inode)) {
			close(fd);
			fd = -ENOENT;
		}
	}
	if (d)
		closedir(d);
	return fd >= 0 ? fd : -ENOENT;
}

int np_netns_parse(const char *s, __u32 *inode)
{
	unsigned long long v;
	char *end;

	if (nnames < 0)
		names_load();
	for (int i = 0; i < nnames; i++)
		if (!strcmp(names[i].name, s)) {
			*inode = names[i].inode;
			return 0;
		}
	if (*s < '0' || *s > '9')
		return -ENOENT;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || !v || v > 0xffffffffull)
		return -EINVAL;
	*inode = v;
	return 0;
}

int np_arg_netns(struct np_ctx *ctx, const char *what, const char *v, __u32 *inode)
{
	if (np_netns_parse(v, inode))
		return np_usage(ctx, "%s: netns '%s' is neither a name in " NETNS_RUN_DIR
				" nor a namespace inode", what, v);
	return 0;
}

void np_out_netns(struct np_out *o, int num_col, int name_col, __u32 inode, const char *name)
{
	char num[16];

	out_u64(o, num_col, inode);
	if (name) {
		out_str(o, name_col, name);
	} else if (out_format(o) == NP_FMT_PLAIN) {
		snprintf(num, sizeof(num), "%u", inode);
		out_str(o, name_col, num);
	}
}
