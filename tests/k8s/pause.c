// SPDX-License-Identifier: GPL-2.0
/*
 * The pod sandbox's only process, like Kubernetes' pause: it holds the pod's
 * namespaces and does nothing. Built static at test time (no libc in the
 * image) and packed into a docker-archive by k8s.bash.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void quit(int sig)
{
	(void)sig;
	_exit(0);
}

/* Zombies of the pod's PID namespace, when it is shared, are ours to reap. */
static void reap(int sig)
{
	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

int main(void)
{
	signal(SIGINT, quit);
	signal(SIGTERM, quit);
	signal(SIGCHLD, reap);
	for (;;)
		pause();
	return EXIT_FAILURE;
}
