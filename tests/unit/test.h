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

/* One rule for tests of the scan machinery: a fixed prefix and 32 hex
 * digits, with one example. */
#define PL_TEST_SK_RULE_YAML                                                         \
	"rules:\n"                                                                   \
	"  - id: t-sk\n"                                                             \
	"    name: t\n"                                                              \
	"    pattern: '(?<![A-Za-z0-9])(?P<secret>SK[0-9a-f]{32})(?![0-9a-f])'\n"      \
	"    examples: ['SKe938b4fe9cfd70f19e97bc71ae3706f6']\n"                     \
	"    negative_examples: ['x']\n"

/* Writes text to path (a failed open is a failed check). */
static inline void pl_test_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
}

#endif
