/* `pkgleaks validate`: asks the issuers again about secrets a findings
 * store holds (issue 6), and records each answer with its time, so that
 * `pkgleaks report` can say which are still valid, and since when. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "pkgleaks/error.h"
#include "pkgleaks/store.h"

static const char validate_usage[] =
	"usage: pkgleaks validate [--db[=PATH|URL]] [--older-than DURATION] [--rule ID]\n"
	"                         [--limit N] [options]\n"
	"\n"
	"Asks each stored secret's own issuer again, read-only, whether it still works,\n"
	"and records every answer with its time in the store (`pkgleaks report` then\n"
	"counts each secret by its newest check, and shows how long after it was first\n"
	"seen it was last found valid). Only secrets whose raw value the scan kept\n"
	"(`scan --db --store-secrets`, with PKGLEAKS_KEY) can be checked; the others are\n"
	"listed as not checked. Secrets are always printed redacted.\n"
	"\n"
	"  --db[=PATH|URL]         the store: a SQLite file (default pkgleaks.db) or a\n"
	"                          postgresql:// URL\n"
	"      --older-than D      only secrets never checked, or whose newest check is D\n"
	"                          old or older (30s, 15m, 12h, 7d, 2w, 1y; 0s: all)\n"
	"      --rule ID           only secrets of this rule\n"
	"      --limit N           at most N secrets (those with a raw value first, then\n"
	"                          the never checked, then the longest unchecked)\n"
	"      --rules FILE        rules from a YAML file, for secrets the scan found\n"
	"                          with them (repeatable)\n"
	"  -q, --quiet             no per-secret lines, only the summary\n"
	"      --only-valid        per-secret lines only for valid secrets\n"
	"      --validate-private  also contact hosts on loopback, private or link-local\n"
	"                          addresses\n"
	"      --validate-pypi-upload-probe  PyPI: send an upload PyPI must reject\n"
	"      --validate-jobs N   checks in parallel (default 8)\n"
	"      --validate-timeout S  seconds per request (default 10)\n"
	"      --validate-rate R   requests per second to each service (default: the\n"
	"                          rule's, else 10)\n"
	"      --validate-cache-ttl S  take answers from the validation cache file when\n"
	"                          younger than S seconds (default 0: ask every time)\n"
	"\n"
	"Output: one line per secret (status, rule, redacted secret, fingerprint prefix,\n"
	"why or what the issuer said) on stdout; the summary on stderr.\n"
	"Exit status: 0 no secret is valid, 1 at least one is, 2 error.\n"
	"\n"
	"examples:\n"
	"  PKGLEAKS_KEY=... pkgleaks scan --db=study.db --store-secrets mirror/\n"
	"  PKGLEAKS_KEY=... pkgleaks validate --db=study.db --older-than 7d\n"
	"  pkgleaks report --db=study.db --table headline --table persistence\n";

enum { OPT_DB = 256, OPT_OLDER, OPT_RULE, OPT_LIMIT, OPT_RULES };

#define MAX_RULE_FILES 64

struct validate_args {
	const char *db;
	int64_t older_than; /* seconds; -1: every secret */
	const char *rule;
	uint64_t limit;
	char *rules[MAX_RULE_FILES];
	int nrules, quiet;
	struct cli_validate v;
};

/* "7d" and the like into seconds; -1 on a malformed value. */
static int parse_duration(const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	double n = strtod(s, &end);
	if (end == s || errno || n < 0 || !(n == n))
		return -1;
	double unit = 1;
	if (*end) {
		static const struct {
			char c;
			double secs;
		} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 7 * 86400},
			     {'y', 365.25 * 86400}};
		unit = 0;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (end[0] == units[i].c && end[1] == '\0')
				unit = units[i].secs;
		if (!unit)
			return -1;
	}
	if (n * unit > 1e11)
		return -1;
	*out = (int64_t)(n * unit);
	return 0;
}

static int parse_option(struct validate_args *a, int c, const char *v, int argc, char **argv)
{
	unsigned long long u;
	switch (c) {
	case OPT_DB:
		a->db = cli_db_value(v, argc, argv, &optind);
		return 0;
	case OPT_OLDER:
		if (parse_duration(v, &a->older_than))
			return cli_fail("invalid value '%s' for --older-than: expected a duration "
					"such as 30s, 12h, 7d, 2w or 1y", v);
		return 0;
	case OPT_RULE:
		a->rule = v;
		return 0;
	case OPT_LIMIT:
		if (cli_parse_uint(v, UINT64_MAX, &u) || !u)
			return cli_fail("invalid value '%s' for --limit: expected a positive number", v);
		a->limit = u;
		return 0;
	case OPT_RULES:
		if (a->nrules >= MAX_RULE_FILES)
			return cli_fail("at most %d --rules files", MAX_RULE_FILES);
		a->rules[a->nrules++] = (char *)v;
		return 0;
	case 'q':
		a->quiet = 1;
		return 0;
	}
	return cli_validate_option(&a->v, c, v);
}

/* One selected secret and what became of it. */
struct checked {
	const struct pl_stored_secret *s;
	struct pl_validation *val; /* owned */
	int sent;                  /* handed to the validator */
};

/* A NOT_CHECKED answer: why, then what it is about (may be ""). */
static struct pl_validation *not_checked(const char *why, const char *what)
{
	struct pl_validation *v = calloc(1, sizeof(*v));
	char buf[256];
	snprintf(buf, sizeof(buf), "%s%s", why, what);
	if (!v || !(v->reason = strdup(buf))) {
		fputs("pkgleaks: out of memory\n", stderr);
		abort();
	}
	v->status = PL_VALIDATION_NOT_CHECKED;
	return v;
}

/* Reads the raw value and queues its check; otherwise says why not. */
static void submit(struct pl_store *st, const struct pl_ruleset *rs, struct pl_validator *vd,
		   struct checked *c)
{
	const struct pl_stored_secret *s = c->s;
	if (!s->has_raw) {
		c->val = not_checked("raw value not stored", "");
		return;
	}
	const struct pl_rule *rule = pl_ruleset_find(rs, s->rule);
	if (!rule) {
		c->val = not_checked("rule not loaded (--rules FILE): ", s->rule);
		return;
	}
	char *raw;
	size_t len;
	int rc = pl_store_secret_reveal(st, s->fingerprint, &raw, &len);
	if (rc == PL_ENOTFOUND) {
		c->val = not_checked("raw value not stored", "");
		return;
	}
	if (rc < 0) {
		c->val = not_checked("raw value unreadable: ", pl_error_message());
		return;
	}
	pl_validator_submit_value(vd, rule, raw, len, s->fingerprint);
	memset(raw, 0, len);
	free(raw);
	c->sent = 1;
}

/* What to store as the check's detail: the reason, else what the issuer said. */
static char *detail_text(const struct pl_validation *v)
{
	if (v->reason)
		return strdup(v->reason);
	if (!v->ndetails)
		return NULL;
	char buf[512];
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < v->ndetails && n < sizeof(buf); i++) {
		int w = snprintf(buf + n, sizeof(buf) - n, "%s%s=%s", i ? ", " : "",
				 v->details[i].key, v->details[i].value);
		if (w < 0)
			break;
		n += (size_t)w;
	}
	return strdup(buf);
}

/* Only checks the issuer answered (or failed to) are recorded, as scan
 * --validate --db does: what was not sent is not a check. */
static int record(struct pl_store *st, struct checked *c, size_t n, size_t *recorded)
{
	struct pl_validation_record *r = calloc(n + 1, sizeof(*r));
	char **details = calloc(n + 1, sizeof(*details));
	if (!r || !details) {
		fputs("pkgleaks: out of memory\n", stderr);
		abort();
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const struct pl_validation *v = c[i].val;
		if (v->status != PL_VALIDATION_VALID && v->status != PL_VALIDATION_INVALID &&
		    v->status != PL_VALIDATION_UNKNOWN)
			continue;
		details[k] = detail_text(v);
		r[k] = (struct pl_validation_record){c[i].s->fingerprint, v->checked_at,
						     pl_validation_status_name(v->status), details[k]};
		k++;
	}
	int rc = pl_store_add_validations(st, r, k);
	for (size_t i = 0; i < k; i++)
		free(details[i]);
	free(details);
	free(r);
	*recorded = rc == 0 ? k : 0;
	return rc;
}

/* "3.2 years", "45 days", "5 hours" */
static void span(int64_t secs, char *out, size_t n)
{
	double d = (double)secs;
	if (d >= 365.25 * 86400)
		snprintf(out, n, "%.1f years", d / (365.25 * 86400));
	else if (d >= 2 * 86400)
		snprintf(out, n, "%.0f days", d / 86400);
	else
		snprintf(out, n, "%.0f hours", d / 3600);
}

static void print_line(const struct checked *c, FILE *out)
{
	const struct pl_validation *v = c->val;
	const char *name = v->status == PL_VALIDATION_NOT_CHECKED ? "not checked"
								  : pl_validation_status_name(v->status);
	fprintf(out, "%-11s  %s  %s  %.12s", name, c->s->rule, c->s->redacted, c->s->fingerprint);
	if (v->reason)
		fprintf(out, "  (%s)", v->reason);
	for (size_t i = 0; i < v->ndetails; i++)
		fprintf(out, "%s%s=%s", i ? ", " : "  ", v->details[i].key, v->details[i].value);
	if (v->status == PL_VALIDATION_VALID && c->s->first_seen >= 0 &&
	    v->checked_at >= c->s->first_seen) {
		char when[32], after[32];
		time_t t = (time_t)c->s->first_seen;
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d", &tm);
		span(v->checked_at - c->s->first_seen, after, sizeof(after));
		fprintf(out, "  first seen %s, still valid after %s", when, after);
	}
	fputc('\n', out);
}

static int run(struct validate_args *a)
{
	struct pl_store *st = NULL;
	struct pl_ruleset *rs = NULL;
	struct pl_stored_secret *secrets = NULL;
	struct checked *c = NULL;
	size_t n = 0;
	int rc = PL_EXIT_ERROR;
	if (pl_store_open(a->db, PL_STORE_EXISTING, &st) < 0) {
		cli_fail("%s", pl_error_message());
		goto cleanup;
	}
	int64_t now = (int64_t)time(NULL);
	struct pl_stored_secret_filter f = {a->older_than < 0 ? -1 : now - a->older_than, a->rule,
					    a->limit};
	if (pl_store_secrets_to_validate(st, &f, &secrets, &n) < 0) {
		cli_fail("%s", pl_error_message());
		goto cleanup;
	}
	size_t with_raw = 0;
	for (size_t i = 0; i < n; i++)
		with_raw += secrets[i].has_raw != 0;
	if (with_raw) {
		const char *key = getenv("PKGLEAKS_KEY");
		if (!key || !*key) {
			cli_fail("%zu stored secrets have raw values, encrypted: set PKGLEAKS_KEY to "
				 "the key `scan --store-secrets` used", with_raw);
			goto cleanup;
		}
		if (pl_store_unlock(st, key) < 0) {
			cli_fail("PKGLEAKS_KEY: %s", pl_error_message());
			goto cleanup;
		}
		if (!(rs = cli_load_rules(a->rules, a->nrules)))
			goto cleanup;
		if (pl_validator_new(&a->v.opt, &a->v.validator) != 0) {
			cli_fail("%s", pl_error_message());
			goto cleanup;
		}
	}
	c = calloc(n + 1, sizeof(*c));
	if (!c) {
		cli_fail("out of memory");
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		c[i].s = &secrets[i];
		if (secrets[i].has_raw)
			submit(st, rs, a->v.validator, &c[i]);
		else
			c[i].val = not_checked("raw value not stored", "");
	}
	struct pl_validate_stats vs = {0};
	if (a->v.validator) {
		pl_validator_wait(a->v.validator);
		for (size_t i = 0; i < n; i++) {
			if (!c[i].sent)
				continue;
			struct pl_finding fd = {0};
			memcpy(fd.fingerprint, secrets[i].fingerprint, sizeof(fd.fingerprint));
			pl_validator_attach(a->v.validator, &fd);
			c[i].val = fd.validation;
		}
		pl_validator_stats(a->v.validator, &vs);
		cli_validate_release(&a->v);
	}
	size_t by[5] = {0}, recorded = 0;
	for (size_t i = 0; i < n; i++) {
		by[c[i].val->status]++;
		if (!a->quiet && (!a->v.only_valid || c[i].val->status == PL_VALIDATION_VALID))
			print_line(&c[i], stdout);
	}
	int failed = record(st, c, n, &recorded) < 0;
	if (failed)
		fprintf(stderr, "pkgleaks: store: the checks were not recorded: %s\n",
			pl_error_message());
	size_t checked = by[PL_VALIDATION_VALID] + by[PL_VALIDATION_INVALID] +
			 by[PL_VALIDATION_UNKNOWN];
	fprintf(stderr,
		"validate: %zu secret%s selected: %zu checked (%zu valid, %zu invalid, %zu unknown), "
		"%zu not checked; %" PRIu64 " requests sent, %" PRIu64 " answers from the cache; "
		"%zu checks recorded in %s\n",
		n, n == 1 ? "" : "s", checked, by[PL_VALIDATION_VALID], by[PL_VALIDATION_INVALID],
		by[PL_VALIDATION_UNKNOWN], by[PL_VALIDATION_NOT_CHECKED], vs.requests,
		vs.from_cache, recorded, pl_store_display_name(st));
	rc = failed ? PL_EXIT_ERROR : by[PL_VALIDATION_VALID] ? PL_EXIT_FOUND : PL_EXIT_CLEAN;
cleanup:
	cli_validate_release(&a->v);
	for (size_t i = 0; c && i < n; i++)
		pl_validation_free(c[i].val);
	free(c);
	pl_stored_secrets_free(secrets, n);
	pl_ruleset_free(rs);
	pl_store_free(st);
	return rc;
}

int cmd_validate(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"db", optional_argument, NULL, OPT_DB},
		{"older-than", required_argument, NULL, OPT_OLDER},
		{"rule", required_argument, NULL, OPT_RULE},
		{"limit", required_argument, NULL, OPT_LIMIT},
		{"rules", required_argument, NULL, OPT_RULES},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		CLI_VALIDATE_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	struct validate_args a = {.db = CLI_DEFAULT_DB, .older_than = -1};
	cli_validate_defaults(&a.v);
	/* An explicit re-check: the cache file would answer for the issuer. */
	a.v.opt.cache_ttl = 0;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(validate_usage, stdout);
			return PL_EXIT_CLEAN;
		}
		if (c == '?') {
			fputs("try `pkgleaks validate --help`\n", stderr);
			return PL_EXIT_ERROR;
		}
		int rc = parse_option(&a, c, optarg, argc, argv);
		if (rc)
			return rc;
	}
	if (optind < argc)
		return cli_fail("validate: unexpected argument '%s' (try `pkgleaks validate --help`)",
				argv[optind]);
	return run(&a);
}
