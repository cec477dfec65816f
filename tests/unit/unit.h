/* SPDX-License-Identifier: GPL-2.0 */
/* A minimal harness: CHECK counts, main() ends with UNIT_DONE(). */
#ifndef NP_UNIT_H
#define NP_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_pass, unit_fail;

#define CHECK(cond) do {						\
	if (cond) {							\
		unit_pass++;						\
	} else {							\
		unit_fail++;						\
		fprintf(stderr, "%s:%d: CHECK(%s) failed\n",		\
			__FILE__, __LINE__, #cond);			\
	}								\
} while (0)

#define CHECK_STR(a, b) do {						\
	const char *_a = (a), *_b = (b);				\
	if (!strcmp(_a, _b)) {						\
		unit_pass++;						\
	} else {							\
		unit_fail++;						\
		fprintf(stderr, "%s:%d: \"%s\" != \"%s\"\n",		\
			__FILE__, __LINE__, _a, _b);			\
	}								\
} while (0)

#define UNIT_DONE() do {						\
	printf("%s: %d passed, %d failed\n", __FILE__, unit_pass, unit_fail); \
	return unit_fail ? 1 : 0;					\
} while (0)

#endif /* NP_UNIT_H */
