/* `rules check`: every example through the real engine (Hyperscan database,
 * PCRE2 confirmation, filters), as a scan would see it. */
#include <stdlib.h>
#include <string.h>

#include "pkgleaks/error.h"
#include "match/inspect.h"
#include "pkgleaks/match.h"
#include "rules/rules_int.h"

struct probe {
	const struct pl_rule *rule;
	const char *want_secret; /* "" = any */
	int hits, secret_seen;
};

/* A composite match counts for the composite rule and for both its parts:
 * pairing must not make a part's own examples fail. */
static int matches_rule(const struct pl_match *m, const struct pl_rule *r)
{
	if (m->rule == r)
		return 1;
	return m->rule->parts &&
	       (strcmp(m->rule->parts[0], r->id) == 0 || strcmp(m->rule->parts[1], r->id) == 0);
}

static int same_secret(const struct pl_match *m, const char *text, const char *want)
{
	size_t n = m->secret_end - m->secret_start, w = strlen(want);
	if (m->part2_end <= m->part2_start)
		return w == n && memcmp(text + m->secret_start, want, n) == 0;
	size_t n2 = m->part2_end - m->part2_start;
	return w == n + 1 + n2 && memcmp(text + m->secret_start, want, n) == 0 &&
	       want[n] == ':' && memcmp(text + m->part2_start, want + n + 1, n2) == 0;
}

/* The rule's inspector may drop a match (a "JWT" that is not JSON), as in a
 * scan; examples must survive it. */
static int inspector_keeps(const struct pl_match *m, const char *text)
{
	if (!m->rule->inspect)
		return 1;
	size_t n = m->secret_end - m->secret_start, n2 = m->part2_end - m->part2_start;
	char *s = malloc(n + 1 + n2 + 1);
	if (!s)
		return 1;
	memcpy(s, text + m->secret_start, n);
	if (n2) {
		s[n] = ':';
		memcpy(s + n + 1, text + m->part2_start, n2);
		n += 1 + n2;
	}
	struct pl_finding f = {0};
	int keep = pl_inspect(m->rule->inspect, s, n, &f);
	for (size_t i = 0; i < f.ndetails; i++) {
		free(f.details[i].key);
		free(f.details[i].value);
	}
	free(f.details);
	free(s);
	return keep;
}

static int on_match(const struct pl_match *m, const char *text, void *ctx)
{
	struct probe *p = ctx;
	if (!matches_rule(m, p->rule) || !inspector_keeps(m, text))
		return 0;
	p->hits++;
	if (m->rule == p->rule && same_secret(m, text, p->want_secret))
		p->secret_seen = 1;
	if (m->rule != p->rule && p->want_secret[0]) {
		/* A part's pinned secret: one of the composite's two halves. */
		size_t a = m->secret_end - m->secret_start, b = m->part2_end - m->part2_start;
		size_t w = strlen(p->want_secret);
		if ((w == a && memcmp(text + m->secret_start, p->want_secret, a) == 0) ||
		    (w == b && memcmp(text + m->part2_start, p->want_secret, b) == 0))
			p->secret_seen = 1;
	}
	return 0;
}

static int run_one(struct pl_matcher *mt, struct probe *p, const char *text)
{
	size_t len = strlen(text);
	return pl_matcher_scan(mt, text, len, 0, len, on_match, p);
}

/* Every finding tells its reader how to revoke the secret and how to load
 * it instead, so a rule without that advice is incomplete. */
static int has_text(const char *s)
{
	for (; s && *s; s++)
		if (!strchr(" \t\r\n", *s))
			return 1;
	return 0;
}

static int check_rule(struct pl_matcher *mt, const struct pl_rule *r, FILE *out)
{
	int failures = 0;
	if (!has_text(r->remediation)) {
		fprintf(out, "FAIL %s: no remediation (how to revoke it, how to load it instead)\n",
			r->id);
		failures++;
	}
	if (!r->negative_examples[0]) {
		fprintf(out, "FAIL %s: no negative examples\n", r->id);
		failures++;
	}
	for (size_t i = 0; r->examples[i]; i++) {
		struct probe p = {.rule = r, .want_secret = r->example_secrets[i]};
		if (run_one(mt, &p, r->examples[i]) < 0) {
			fprintf(out, "FAIL %s: %s\n", r->id, pl_error_message());
			failures++;
		} else if (p.hits == 0) {
			fprintf(out, "FAIL %s: example %zu not found: %s\n", r->id, i + 1,
				r->examples[i]);
			failures++;
		} else if (p.want_secret[0] && !p.secret_seen) {
			fprintf(out, "FAIL %s: example %zu: captured secret is not %s\n", r->id,
				i + 1, p.want_secret);
			failures++;
		}
	}
	for (size_t i = 0; r->negative_examples[i]; i++) {
		struct probe p = {.rule = r, .want_secret = ""};
		if (run_one(mt, &p, r->negative_examples[i]) < 0 || p.hits) {
			fprintf(out, "FAIL %s: negative example %zu matched: %s\n", r->id, i + 1,
				r->negative_examples[i]);
			failures++;
		}
	}
	return failures;
}

int pl_ruleset_check(const struct pl_ruleset *rs, FILE *out)
{
	struct pl_matcher *mt;
	if (pl_matcher_new(rs, &mt) < 0) {
		fprintf(out, "FAIL: %s\n", pl_error_message());
		return 1;
	}
	int failures = 0;
	for (size_t i = 0; i < rs->n; i++)
		failures += check_rule(mt, rs->rules[i], out);
	pl_matcher_free(mt);
	return failures;
}
