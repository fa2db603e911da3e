/* A minimal unit-test harness: CHECK records a failure and goes on;
 * main returns non-zero when any check failed. */
#ifndef PL_TEST_H
#define PL_TEST_H

#include <stdio.h>
#include <string.h>

static int pl_test_failures;

#define CHECK(cond)                                                                  \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, \
				#cond);                                              \
			pl_test_failures++;                                          \
		}                                                                    \
	} while (0)

#define CHECK_STR(a, b)                                                              \
	do {                                                                         \
		const char *a_ = (a), *b_ = (b);                                     \
		if (!a_ || !b_ || strcmp(a_, b_) != 0) {                             \
			fprintf(stderr, "%s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__, \
				a_ ? a_ : "(null)", b_ ? b_ : "(null)");             \
			pl_test_failures++;                                          \
		}                                                                    \
	} while (0)

#define TEST_MAIN_END() return pl_test_failures ? 1 : 0

#endif
