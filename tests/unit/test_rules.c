/* The rules snapshot (src/rules/rules_snapshot.c): the built-in rules the
 * binary embeds must be exactly those its YAML gives. */
#include <stdlib.h>
#include <string.h>

#include "pkgleaks/error.h"
#include "pkgleaks/match.h"
#include "pkgleaks/rules.h"
#include "rules/rules_int.h"
#include "test.h"

static void test_round_trip(void)
{
	struct pl_ruleset *a = pl_ruleset_new(), *b = pl_ruleset_new();
	unsigned char *sa = NULL, *sb = NULL;
	size_t la = 0, lb = 0;
	CHECK(pl_ruleset_add_builtin_yaml(a) == 0);
	CHECK(pl_ruleset_snapshot(a, &sa, &la) == 0);
	CHECK(pl_ruleset_add_snapshot(b, sa, la) == 0);
	CHECK(pl_ruleset_snapshot(b, &sb, &lb) == 0);
	CHECK(la == lb && memcmp(sa, sb, la) == 0);
	CHECK(pl_ruleset_count(a) == pl_ruleset_count(b) && pl_ruleset_count(a) > 250);
	/* Spot checks of fields of every kind, against the YAML's. */
	for (size_t i = 0; i < pl_ruleset_count(a); i++) {
		const struct pl_rule *x = pl_ruleset_get(a, i), *y = pl_ruleset_get(b, i);
		CHECK_STR(x->id, y->id);
		CHECK(x->index == y->index && x->min_entropy == y->min_entropy);
		CHECK((x->pattern == NULL) == (y->pattern == NULL));
		CHECK((x->validator == NULL) == (y->validator == NULL));
		if (x->validator && y->validator) {
			CHECK(x->validator->nanswers == y->validator->nanswers);
			CHECK(x->validator->rate == y->validator->rate);
		}
	}
	const struct pl_rule *gh = pl_ruleset_find(b, "github-pat-classic");
	CHECK(gh && gh->checksum == PL_CHECKSUM_GITHUB_CRC32 && gh->confidence == PL_CONF_HIGH);
	CHECK(gh && gh->validator && gh->validator->url && gh->examples && gh->examples[0]);
	/* Compiling either gives the same version: the same rules. */
	CHECK(pl_ruleset_compile(a) == 0 && pl_ruleset_compile(b) == 0);
	CHECK_STR(pl_ruleset_version(a), pl_ruleset_version(b));
	free(sa);
	free(sb);
	pl_ruleset_free(a);
	pl_ruleset_free(b);
}

static void test_corrupt(void)
{
	struct pl_ruleset *a = pl_ruleset_new();
	unsigned char *s = NULL;
	size_t n = 0;
	CHECK(pl_ruleset_add_builtin_yaml(a) == 0);
	CHECK(pl_ruleset_snapshot(a, &s, &n) == 0);
	/* Every cut is an error, never a crash or a leak. */
	for (size_t cut = 0; cut < n; cut += n / 97 + 1) {
		struct pl_ruleset *b = pl_ruleset_new();
		CHECK(pl_ruleset_add_snapshot(b, s, cut) == PL_EFORMAT);
		pl_ruleset_free(b);
	}
	struct pl_ruleset *c = pl_ruleset_new();
	memcpy(s, "PLRULES0", 8);
	CHECK(pl_ruleset_add_snapshot(c, s, n) == PL_EFORMAT);
	CHECK(strstr(pl_error_message(), "not a rules snapshot"));
	pl_ruleset_free(c);
	free(s);
	pl_ruleset_free(a);
}

static int count(const struct pl_match *m, const char *text, void *ctx)
{
	(void)m;
	(void)text;
	(*(int *)ctx)++;
	return 0;
}

static int matches(struct pl_matcher *m, const char *text)
{
	int n = 0;
	CHECK(pl_matcher_scan(m, text, strlen(text), 0, strlen(text), count, &n) == 0);
	return n;
}

/* prefilter_pattern: Hyperscan looks for it, PCRE2 confirms the pattern in a
 * window either side; a match the prefilter does not imply is never seen. */
static void test_prefilter_pattern(void)
{
	static const char yaml[] =
		"rules:\n"
		"  - id: t\n"
		"    name: t\n"
		"    pattern: 'tok_(?P<secret>[A-Za-z0-9]{16})'\n"
		"    prefilter_pattern: '=\\s*tok_'\n"
		"    window: 64\n"
		"    remediation: r\n"
		"    examples: ['k = tok_Q8v2Lx9Rk3Tz7Wm4']\n";
	struct pl_ruleset *rs = pl_ruleset_new();
	struct pl_matcher *m = NULL;
	CHECK(pl_ruleset_add_yaml(rs, yaml, sizeof(yaml) - 1, "test") == 0);
	CHECK(pl_ruleset_compile(rs) == 0 && pl_matcher_new(rs, &m) == 0);
	if (m) {
		CHECK(matches(m, "key = tok_Q8v2Lx9Rk3Tz7Wm4 # set") == 1);
		CHECK(matches(m, "key: tok_Q8v2Lx9Rk3Tz7Wm4") == 0); /* no '=': not prefiltered */
	}
	pl_matcher_free(m);
	pl_ruleset_free(rs);
	static const char bad[] = "rules:\n  - id: b\n    name: b\n    pattern: 'x(?P<secret>y)'\n"
				  "    prefilter: keywords\n    keywords: [x]\n"
				  "    prefilter_pattern: 'x'\n    examples: ['xy']\n";
	rs = pl_ruleset_new();
	CHECK(pl_ruleset_add_yaml(rs, bad, sizeof(bad) - 1, "bad") == PL_EFORMAT);
	CHECK(strstr(pl_error_message(), "prefilter_pattern"));
	pl_ruleset_free(rs);
}

/* A large ruleset's database holds filler literals (rules_compile.c
 * add_filler); input that holds one must not reach the rules: the matcher
 * ignores the filler's id instead of reading a rule past the end. */
static void test_filler(void)
{
	size_t cap = 64 * 1024, len = 0;
	char *yaml = malloc(cap);
	len += (size_t)snprintf(yaml + len, cap - len, "rules:\n");
	for (int i = 0; i < 240; i++)
		len += (size_t)snprintf(yaml + len, cap - len,
					"  - id: r%03d\n    name: r\n"
					"    pattern: 'zq%03d_(?P<secret>[A-Za-z0-9]{16})'\n"
					"    remediation: r\n    examples: ['zq%03d_Q8v2Lx9Rk3Tz7Wm4']\n",
					i, i, i);
	CHECK(len < cap);
	struct pl_ruleset *rs = pl_ruleset_new();
	struct pl_matcher *m = NULL;
	CHECK(pl_ruleset_add_yaml(rs, yaml, len, "test") == 0);
	CHECK(pl_ruleset_compile(rs) == 0 && pl_matcher_new(rs, &m) == 0);
	if (m) {
		static const char filler[] = "a \xff\xfe\xf0\xf0\xf1\xfd b \xff\xfe\xf2\xf3\xf4\xfd";
		static const char both[] = "\xff\xfe\xf0\xf0\xf0\xfd k = zq017_Q8v2Lx9Rk3Tz7Wm4\n";
		CHECK(matches(m, filler) == 0);
		CHECK(matches(m, both) == 1);
	}
	pl_matcher_free(m);
	pl_ruleset_free(rs);
	free(yaml);
}

int main(void)
{
	test_prefilter_pattern();
	test_filler();
	test_round_trip();
	test_corrupt();
	TEST_MAIN_END();
}
