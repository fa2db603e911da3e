/* The --validate options of `pkgleaks scan`, kept apart from cmd_scan.c:
 * parsing, wrapping the scan's sink, then attaching the answers to the
 * report's findings and printing one summary line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "pkgleaks/error.h"
#include "pkgleaks/store.h"

void cli_validate_defaults(struct cli_validate *v)
{
	memset(v, 0, sizeof(*v));
	pl_validate_options_default(&v->opt);
}

int cli_validate_option(struct cli_validate *v, int c, const char *arg)
{
	unsigned long long u;
	double d;
	switch (c) {
	case CLI_OPT_VALIDATE:
		v->enabled = 1;
		return 0;
	case CLI_OPT_VALIDATE_PRIVATE:
		v->opt.allow_private = 1;
		return 0;
	case CLI_OPT_ONLY_VALID:
		v->enabled = v->only_valid = 1;
		return 0;
	case CLI_OPT_PYPI_PROBE:
		v->opt.pypi_upload_probe = 1;
		return 0;
	case CLI_OPT_VALIDATE_JOBS:
		if (cli_parse_uint(arg, 256, &u) || !u)
			return cli_fail("invalid value '%s' for --validate-jobs: expected 1 to 256", arg);
		v->opt.jobs = (unsigned)u;
		return 0;
	case CLI_OPT_VALIDATE_TIMEOUT:
		if (cli_parse_double(arg, &d) || d > 600)
			return cli_fail("invalid value '%s' for --validate-timeout: expected seconds "
					"(0 to 600)", arg);
		v->opt.timeout = d;
		if (v->opt.connect_timeout > d)
			v->opt.connect_timeout = d;
		return 0;
	case CLI_OPT_VALIDATE_RATE:
		if (cli_parse_double(arg, &d) || d > 10000)
			return cli_fail("invalid value '%s' for --validate-rate: expected requests "
					"per second", arg);
		v->opt.rate = d;
		v->opt.force_rate = 1;
		v->opt.concurrency = d >= 40 ? 16 : v->opt.concurrency;
		return 0;
	case CLI_OPT_VALIDATE_CACHE_TTL:
		if (strcmp(arg, "0") == 0) {
			v->opt.cache_ttl = 0;
			return 0;
		}
		if (cli_parse_double(arg, &d))
			return cli_fail("invalid value '%s' for --validate-cache-ttl: expected seconds",
					arg);
		v->opt.cache_ttl = d;
		return 0;
	}
	return cli_fail("unknown validation option");
}

int cli_validate_begin(struct cli_validate *v, const struct pl_sink_ops **sink, void **ctx)
{
	if (!v->enabled)
		return 0;
	if (pl_validator_new(&v->opt, &v->validator) != 0)
		return cli_fail("%s", pl_error_message());
	pl_validate_sink_init(&v->sink, v->validator, *sink, *ctx);
	*sink = &v->sink.ops;
	*ctx = &v->sink;
	return 0;
}

static int cmp_fp(const void *a, const void *b)
{
	return strcmp((*(struct pl_finding *const *)a)->fingerprint,
		      (*(struct pl_finding *const *)b)->fingerprint);
}

/* One validations row per secret (the store keeps every check with its
 * time); what was not sent is not a check and is not recorded. */
static void record(const struct pl_report *r, struct pl_store *st, int quiet)
{
	if (!r->nfindings)
		return;
	struct pl_finding **v = calloc(r->nfindings, sizeof(*v));
	if (!v) {
		fputs("pkgleaks: out of memory\n", stderr);
		abort();
	}
	memcpy(v, r->findings, r->nfindings * sizeof(*v));
	qsort(v, r->nfindings, sizeof(*v), cmp_fp);
	size_t n = 0, failed = 0;
	for (size_t i = 0; i < r->nfindings; i++) {
		const struct pl_validation *val = v[i]->validation;
		if ((i && strcmp(v[i - 1]->fingerprint, v[i]->fingerprint) == 0) || !val ||
		    val->status == PL_VALIDATION_NOT_CHECKED || val->status == PL_VALIDATION_NONE)
			continue;
		if (pl_store_add_validation(st, v[i]->fingerprint, val->checked_at,
					    pl_validation_status_name(val->status), val->reason) == 0)
			n++;
		else
			failed++;
	}
	free(v);
	if (failed)
		fprintf(stderr, "pkgleaks: store: %zu validations not recorded: %s\n", failed,
			pl_error_message());
	else if (!quiet && n)
		fprintf(stderr, "store: %zu validations recorded\n", n);
}

void cli_validate_end(struct cli_validate *v, struct pl_report *r, int quiet,
		      struct pl_store *st)
{
	if (!v->validator)
		return;
	pl_validator_wait(v->validator);
	for (size_t i = 0; i < r->nfindings; i++)
		pl_validator_attach(v->validator, r->findings[i]);
	if (st)
		record(r, st, quiet);
	size_t kept = 0;
	for (size_t i = 0; i < r->nfindings; i++) {
		struct pl_finding *f = r->findings[i];
		if (v->only_valid && f->validation->status != PL_VALIDATION_VALID) {
			pl_finding_free(f);
			continue;
		}
		r->findings[kept++] = f;
	}
	r->nfindings = kept;
	struct pl_validate_stats vs;
	pl_validator_stats(v->validator, &vs);
	if (!quiet)
		fprintf(stderr,
			"validation: %llu unique secrets: %llu valid, %llu invalid, %llu unknown, "
			"%llu not checked; %llu requests sent, %llu answers from the cache\n",
			(unsigned long long)vs.unique,
			(unsigned long long)vs.by_status[PL_VALIDATION_VALID],
			(unsigned long long)vs.by_status[PL_VALIDATION_INVALID],
			(unsigned long long)vs.by_status[PL_VALIDATION_UNKNOWN],
			(unsigned long long)vs.by_status[PL_VALIDATION_NOT_CHECKED],
			(unsigned long long)vs.requests, (unsigned long long)vs.from_cache);
	pl_validator_free(v->validator);
	v->validator = NULL;
}

void cli_validate_release(struct cli_validate *v)
{
	pl_validator_free(v->validator);
	v->validator = NULL;
}
