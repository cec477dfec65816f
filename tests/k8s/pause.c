/*
 * The pod sandbox's only process, like Kubernetes' pause: it holds the pod's
 * namespaces and does nothing. Built static at test time (no libc in the
 * image) and packed into a docker-archive by k8s.bash.
 */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

static void quit(int sig)
{
	(void)sig;
	_exit(0);
}

static void reap(int sig)
{
	(void)sig;
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
