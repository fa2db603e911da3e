/* Unit tests of the rules and match modules: loading, filters, checksums,
 * confirmation windows, allow comments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkgleaks/error.h"
#include "pkgleaks/match.h"
#include "pkgleaks/rules.h"
#include "test.h"

static const char rules_yaml[] =
	"rules:\n"
	"  - id: t-ghp\n"
	"    remediation: Rotate it.\n"
	"    name: test github\n"
	"    pattern: '\\b(?P<secret>ghp_[A-Za-z0-9]{36})\\b'\n"
	"    keywords: [ghp_]\n"
	"    checksum: github-crc32\n"
	"    confidence: high\n"
	"    examples: ['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']\n"
	"    negative_examples: ['ghp_T6Wa4Ke3gzzQz46GRvJC21Xkjk7IDsSNcE0m']\n"
	"  - id: t-uri\n"
	"    remediation: Rotate it.\n"
	"    name: test uri\n"
	"    pattern: '(?P<secret>postgres://[a-z]{1,20}:(?P<password>[^@\\s]{3,40})@[a-z.]{1,40})'\n"
	"    min_entropy: 2.5\n"
	"    examples: [{text: 'x postgres://app:Zk39fQmw2Lr@db.corp y', secret: 'postgres://app:Zk39fQmw2Lr@db.corp'}]\n"
	"    negative_examples: ['postgres://user:password@localhost']\n"
	"  - id: t-wide\n"
	"    remediation: Rotate it.\n"
	"    name: test lookbehind\n"
	"    pattern: '(?<![A-Za-z0-9])(?P<secret>SK[0-9a-f]{32})(?![0-9a-f])'\n"
	"    examples: ['key SKe938b4fe9cfd70f19e97bc71ae3706f6']\n"
	"    negative_examples: ['xSKe938b4fe9cfd70f19e97bc71ae3706f6']\n";

struct got {
	int n;
	char last[128];
	const char *rule;
};

static int collect(const struct pl_match *m, const char *text, void *ctx)
{
	struct got *g = ctx;
	g->n++;
	size_t n = m->secret_end - m->secret_start;
	if (n >= sizeof(g->last))
		n = sizeof(g->last) - 1;
	memcpy(g->last, text + m->secret_start, n);
	g->last[n] = '\0';
	g->rule = m->rule->id;
	return 0;
}

static struct got scan(struct pl_matcher *m, const char *text)
{
	struct got g = {0};
	size_t len = strlen(text);
	CHECK(pl_matcher_scan(m, text, len, 0, len, collect, &g) == 0);
	return g;
}

static void test_filters(void)
{
	CHECK(pl_entropy("aaaa", 4) == 0);
	CHECK(pl_entropy("abcd", 4) > 1.99 && pl_entropy("abcd", 4) < 2.01);
	CHECK(pl_is_placeholder("AKIAIOSFODNN7EXAMPLE", 20));
	CHECK(pl_is_placeholder("${API_KEY}", 10));
	CHECK(pl_is_placeholder("<token>", 7));
	CHECK(pl_is_placeholder("changeme", 8));
	CHECK(pl_is_placeholder("xxxxxxxxxxxx", 12));
	CHECK(pl_is_placeholder("Password", 8));
	CHECK(!pl_is_placeholder("Zk39fQmw2Lr", 11));
	/* placeholders seen in real packages (docs/precision.md) */
	const char *fillers[] = {
		"12345678abcdef", "1234567890abcdef", "abcdefghijklmno1234", "abc123def456",
		"abcdefghijklmnopqrstuvwxyz123456", "1234-5678-91000", "test123456",
		"ABC123abc123ABC123abc123ABC123ab", "oplog_reader_password", "randompassword",
		"(whatever)", "[new_password]", "%CHECK_POINT_PASSWORD%", "{#{password}}",
		"ABAQDAwXxn7kIMNWzcDfo...", "sk_live_4eC39Hq\xe2\x80\xa6",
	};
	for (size_t i = 0; i < sizeof(fillers) / sizeof(fillers[0]); i++)
		CHECK(pl_is_placeholder(fillers[i], strlen(fillers[i])));
	const char *keys[] = {
		"Tz8#mQ4vLw2x", "A5b1C3d2E9f8G7h6", "(Xk29fjQpLm4", "9775a026f1ca7d1c6c5af9d94d9595a4",
		"Netapp123456", "bobdole1234566", /* weak, but a person's password */
		/* a run of six inside a long value is chance, not filler */
		"Xk29fjQpLm4sTz8123456Vb7QzLp2Wd7RkTq8Zx3L", "loader@demo-project-123456.iam",
		"MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDL45vSN",
	};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		CHECK(!pl_is_placeholder(keys[i], strlen(keys[i])));
	const char *good = "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";
	const char *bad = "ghp_T6Wa4Ke3gzzQz46GRvJC21Xkjk7IDsSNcE0m";
	CHECK(pl_checksum_ok(PL_CHECKSUM_GITHUB_CRC32, good, 40));
	CHECK(!pl_checksum_ok(PL_CHECKSUM_GITHUB_CRC32, bad, 40));
	CHECK(pl_checksum_ok(PL_CHECKSUM_NONE, bad, 40));
	const char *atl = "ATATT3xFfGF0UvNGBeu3YV4IedU7OW2vwEDdwPwrUx51UTU5uZ7F-J_T67S6-CPvI9NM0NA-"
			  "UjRbynhgIDnrIFAh2ehUUwFdkoidfcVGquxaXfFteaSoKR-dN5fHZt8ClOnd5qY-"
			  "PsRHH1crhGequvm6DeFD4jGkDUG2JateX0uolEnmcxDnBd7=193DA0F2";
	CHECK(pl_checksum_ok(PL_CHECKSUM_ATLASSIAN_CRC32, atl, strlen(atl)));
	char broken[300];
	snprintf(broken, sizeof(broken), "%s", atl);
	broken[10] = broken[10] == 'a' ? 'b' : 'a';
	CHECK(!pl_checksum_ok(PL_CHECKSUM_ATLASSIAN_CRC32, broken, strlen(broken)));
}

static void test_loading_errors(void)
{
	struct pl_ruleset *rs = pl_ruleset_new();
	CHECK(pl_ruleset_add_yaml(rs, "rules: [", 8, "t") == PL_EFORMAT);
	CHECK(strstr(pl_error_message(), "YAML") != NULL);
	const char *nogroup = "rules:\n  - id: a\n    name: a\n    pattern: 'abc'\n"
			      "    examples: [abc]\n";
	CHECK(pl_ruleset_add_yaml(rs, nogroup, strlen(nogroup), "t") == 0);
	CHECK(pl_ruleset_compile(rs) == PL_EFORMAT);
	CHECK(strstr(pl_error_message(), "secret") != NULL);
	pl_ruleset_free(rs);
	rs = pl_ruleset_new();
	const char *unknown = "rules:\n  - id: a\n    name: a\n    patern: 'abc'\n";
	CHECK(pl_ruleset_add_yaml(rs, unknown, strlen(unknown), "t") == PL_EFORMAT);
	CHECK(strstr(pl_error_message(), "patern") != NULL);
	pl_ruleset_free(rs);
}

static void test_matching(void)
{
	setenv("PKGLEAKS_CACHE_DIR", "", 1);
	struct pl_ruleset *rs = pl_ruleset_new();
	CHECK(pl_ruleset_add_yaml(rs, rules_yaml, strlen(rules_yaml), "test") == 0);
	CHECK(pl_ruleset_compile(rs) == 0);
	CHECK(pl_ruleset_check(rs, stderr) == 0);
	struct pl_matcher *m;
	CHECK(pl_matcher_new(rs, &m) == 0);

	struct got g = scan(m, "a = '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'\n");
	CHECK(g.n == 1);
	CHECK_STR(g.last, "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");
	g = scan(m, "a = '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' # pkgleaks:allow\n");
	CHECK(g.n == 0);
	g = scan(m, "a = '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'\n# pkgleaks:allow\n");
	CHECK(g.n == 1);
	/* Glued to more token characters: not a token boundary. */
	g = scan(m, "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x");
	CHECK(g.n == 0);
	/* Placeholder password is dropped, the rest of the URI does not matter. */
	g = scan(m, "postgres://user:changeme@db.corp");
	CHECK(g.n == 0);
	g = scan(m, "url = postgres://app:Zk39fQmw2Lr@db.corp and postgres://b:Hq8sLm2Xp0@x.y");
	CHECK(g.n == 2);
	/* Twice the same secret in a long text: both occurrences confirmed. */
	char *big = malloc(300000);
	memset(big, ' ', 300000);
	memcpy(big + 10, "SKe938b4fe9cfd70f19e97bc71ae3706f6", 34);
	memcpy(big + 299000, "SKe938b4fe9cfd70f19e97bc71ae3706f6", 34);
	struct got g2 = {0};
	CHECK(pl_matcher_scan(m, big, 300000, 0, 300000, collect, &g2) == 0);
	CHECK(g2.n == 2);
	/* report_to excludes matches that start later (chunk overlap). */
	g2 = (struct got){0};
	CHECK(pl_matcher_scan(m, big, 300000, 0, 299000, collect, &g2) == 0);
	CHECK(g2.n == 1);
	free(big);
	pl_matcher_free(m);
	pl_ruleset_free(rs);
}

static void test_builtin_rules(void)
{
	struct pl_ruleset *rs = pl_ruleset_new();
	CHECK(pl_ruleset_add_builtin(rs) == 0);
	CHECK(pl_ruleset_count(rs) >= 60);
	CHECK(pl_ruleset_find(rs, "github-pat-classic") != NULL);
	pl_ruleset_free(rs);
}

struct want {
	const char *rule, *secret;
	int n;
};

static int find_rule(const struct pl_match *m, const char *text, void *ctx)
{
	struct want *w = ctx;
	size_t n = m->secret_end - m->secret_start;
	if (strcmp(m->rule->id, w->rule) == 0 && n == strlen(w->secret) &&
	    memcmp(text + m->secret_start, w->secret, n) == 0)
		w->n++;
	return 0;
}

/* Prefilters that write the first character after a short literal out as
 * alternatives (twilio AC + hex, square EAAA; docs/rules.md): a token that
 * starts with any character of the class must still be found, so dropping an
 * alternative loses matches. Each first character, through the real database. */
/* Fills secret[from, to) from alphabet (n characters, a power of two) with
 * a fixed pseudo-random sequence, and ends it there. */
static void fill_random(char *secret, int from, int to, const char *alphabet, unsigned n,
			unsigned *seed)
{
	for (int i = from; i < to; i++)
		secret[i] = alphabet[(*seed = *seed * 1103515245u + 12345u) >> 16 & (n - 1)];
	secret[to] = '\0';
}

/* Exactly one match of rule for secret, in the line "<name> = \"secret\"". */
static void expect_one(struct pl_matcher *m, const char *rule, const char *name,
		       const char *secret)
{
	char text[128];
	struct want w = {rule, secret, 0};
	snprintf(text, sizeof(text), "%s = \"%s\"\n", name, secret);
	CHECK(pl_matcher_scan(m, text, strlen(text), 0, strlen(text), find_rule, &w) == 0);
	CHECK(w.n == 1);
}

static void test_written_out_prefilters(void)
{
	static const char hex[] = "0123456789abcdef";
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
	struct pl_ruleset *rs = pl_ruleset_new();
	struct pl_matcher *m = NULL;
	CHECK(pl_ruleset_add_builtin(rs) == 0);
	CHECK(pl_ruleset_compile(rs) == 0 && pl_matcher_new(rs, &m) == 0);
	unsigned seed = 12345;
	for (int c = 0; m && c < 64; c++) {
		char secret[80];
		if (c < 16) {
			secret[0] = 'A', secret[1] = 'C', secret[2] = hex[c];
			fill_random(secret, 3, 34, hex, 16, &seed);
			expect_one(m, "twilio-account-sid", "sid", secret);
		}
		memcpy(secret, "EAAA", 4);
		secret[4] = b64[c];
		fill_random(secret, 5, 64, b64, 64, &seed);
		expect_one(m, "square-access-token", "token", secret);
	}
	pl_matcher_free(m);
	pl_ruleset_free(rs);
}

int main(void)
{
	test_filters();
	test_loading_errors();
	test_matching();
	test_builtin_rules();
	test_written_out_prefilters();
	TEST_MAIN_END();
}
