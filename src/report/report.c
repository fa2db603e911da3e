#include "pkgleaks/report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pkgleaks/error.h"
#include "report/report_int.h"
#include "util/alloc.h"
#include "util/escape.h"

void pl_report_init(struct pl_report *r, const struct pl_report_options *opt)
{
	memset(r, 0, sizeof(*r));
	if (opt)
		r->opt = *opt;
}

void pl_report_release(struct pl_report *r)
{
	for (size_t i = 0; i < r->nfindings; i++)
		pl_finding_free(r->findings[i]);
	free(r->findings);
	for (size_t i = 0; i < r->nerrors; i++) {
		free(r->errors[i].source);
		free(r->errors[i].path);
		free(r->errors[i].reason);
	}
	free(r->errors);
	struct pl_report_options opt = r->opt;
	pl_report_init(r, &opt);
}

size_t pl_report_error_count(const struct pl_report *r)
{
	return r->nerrors - r->nwarnings;
}

struct pl_position pl_report_first(const struct pl_finding *f)
{
	struct pl_position none = { 0, 0 };
	return f->npositions ? f->positions[0] : none;
}

char *pl_report_location_escaped(const char *source, const char *path)
{
	char *raw = path && path[0] ? pl_xasprintf("%s!/%s", source, path) : pl_xstrdup(source);
	char *esc = pl_escape(raw, strlen(raw));
	free(raw);
	return esc;
}

/* ---- the sink ---- */

static void sink_finding(void *ctx, struct pl_finding *f)
{
	struct pl_report *r = ctx;
	if (f->rule->confidence < r->opt.min_confidence) {
		pl_finding_free(f);
		return;
	}
	PL_GROW(r->findings, r->cap_findings, r->nfindings + 1);
	r->findings[r->nfindings++] = f;
}

/* Printed at once as well as recorded: a long scan shows problems as they
 * happen, and the report lists them again at the end. */
static void record(struct pl_report *r, const char *source, const char *path,
		   const char *reason, int warning)
{
	PL_GROW(r->errors, r->cap_errors, r->nerrors + 1);
	struct pl_report_error *e = &r->errors[r->nerrors++];
	e->source = pl_xstrdup(source ? source : "");
	e->path = pl_xstrdup(path ? path : "");
	e->reason = pl_xstrdup(reason ? reason : "");
	e->warning = warning;
	r->nwarnings += warning != 0;
	char *loc = pl_report_location_escaped(e->source, e->path);
	char *why = pl_escape(e->reason, strlen(e->reason));
	fprintf(stderr, "pkgleaks: %s: %s: %s\n", warning ? "warning" : "error", loc, why);
	free(loc);
	free(why);
}

static void sink_error(void *ctx, const char *source, const char *path, const char *reason)
{
	record(ctx, source, path, reason, 0);
}

static void sink_warning(void *ctx, const char *source, const char *path, const char *reason)
{
	record(ctx, source, path, reason, 1);
}

static void sink_file_done(void *ctx, const char *source, uint64_t bytes)
{
	(void)source;
	struct pl_report *r = ctx;
	r->files++;
	r->bytes += bytes;
}

const struct pl_sink_ops pl_report_sink = {
	.finding = sink_finding,
	.error = sink_error,
	.warning = sink_warning,
	.file_done = sink_file_done,
};

/* ---- ordering: workers finish in any order, output must not ---- */

static int cmp_u64(uint64_t a, uint64_t b)
{
	return (a > b) - (a < b);
}

static int cmp_place(const struct pl_finding *a, const struct pl_finding *b)
{
	int c = strcmp(a->source, b->source);
	return c ? c : strcmp(a->path ? a->path : "", b->path ? b->path : "");
}

static int cmp_finding(const void *pa, const void *pb)
{
	const struct pl_finding *a = *(const struct pl_finding *const *)pa;
	const struct pl_finding *b = *(const struct pl_finding *const *)pb;
	struct pl_position x = pl_report_first(a), y = pl_report_first(b);
	int c = cmp_place(a, b);
	if (!c)
		c = cmp_u64(x.line, y.line);
	if (!c)
		c = cmp_u64(x.column, y.column);
	if (!c)
		c = strcmp(a->rule->id, b->rule->id);
	return c ? c : strcmp(a->fingerprint, b->fingerprint);
}

static int cmp_error(const void *pa, const void *pb)
{
	const struct pl_report_error *a = pa, *b = pb;
	int c = a->warning - b->warning;
	if (!c)
		c = strcmp(a->source, b->source);
	if (!c)
		c = strcmp(a->path, b->path);
	return c ? c : strcmp(a->reason, b->reason);
}

static int cmp_fingerprint(const void *pa, const void *pb)
{
	const struct pl_finding *a = *(const struct pl_finding *const *)pa;
	const struct pl_finding *b = *(const struct pl_finding *const *)pb;
	return strcmp(a->fingerprint, b->fingerprint);
}

static int cmp_place_p(const void *pa, const void *pb)
{
	return cmp_place(*(const struct pl_finding *const *)pa,
			 *(const struct pl_finding *const *)pb);
}

/* Distinct neighbours of a copy sorted by cmp: no reliance on the caller
 * having sorted the report. */
static size_t count_distinct(const struct pl_report *r, int (*cmp)(const void *, const void *))
{
	if (!r->nfindings)
		return 0;
	struct pl_finding **v = pl_xmalloc(r->nfindings * sizeof(*v));
	memcpy(v, r->findings, r->nfindings * sizeof(*v));
	qsort(v, r->nfindings, sizeof(*v), cmp);
	size_t n = 1;
	for (size_t i = 1; i < r->nfindings; i++)
		n += cmp(&v[i - 1], &v[i]) != 0;
	free(v);
	return n;
}

void pl_report_totals(const struct pl_report *r, struct pl_report_totals *t)
{
	memset(t, 0, sizeof(*t));
	t->secrets = count_distinct(r, cmp_fingerprint);
	t->files_with_findings = count_distinct(r, cmp_place_p);
	for (size_t i = 0; i < r->nfindings; i++)
		t->occurrences += r->findings[i]->npositions;
	t->warnings = r->nwarnings;
	t->errors = r->nerrors - r->nwarnings;
}

/* ---- writing ---- */

int pl_report_flush(FILE *out)
{
	if (fflush(out) != 0 || ferror(out))
		return pl_error_set(PL_EIO, "cannot write the report");
	return 0;
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void write_summary(const struct pl_report *r, FILE *f)
{
	struct pl_report_totals t;
	pl_report_totals(r, &t);
	fprintf(f, "%zu %s (%zu %s) in %zu %s with findings; ", t.secrets,
		plural(t.secrets, "secret", "secrets"), t.occurrences,
		plural(t.occurrences, "occurrence", "occurrences"), t.files_with_findings,
		plural(t.files_with_findings, "file", "files"));
	fprintf(f, "%" PRIu64 " %s scanned, %zu %s, %.1f MB in %.2f s\n", r->files,
		plural(r->files, "file", "files"), t.errors, plural(t.errors, "error", "errors"),
		(double)r->bytes / 1e6, r->seconds);
}

static const struct pl_report_ops *backend(enum pl_report_format format)
{
	switch (format) {
	case PL_FORMAT_TEXT:
		return &pl_report_text;
	case PL_FORMAT_JSON:
		return &pl_report_json;
	case PL_FORMAT_JSONL:
		return &pl_report_jsonl;
	case PL_FORMAT_SARIF:
		return &pl_report_sarif;
	}
	return NULL;
}

int pl_report_write(struct pl_report *r, FILE *out, FILE *summary)
{
	const struct pl_report_ops *ops = backend(r->opt.format);
	if (!ops)
		return pl_error_set(PL_EINVAL, "unknown report format %d", (int)r->opt.format);
	if (r->nfindings)
		qsort(r->findings, r->nfindings, sizeof(*r->findings), cmp_finding);
	if (r->nerrors)
		qsort(r->errors, r->nerrors, sizeof(*r->errors), cmp_error);
	int rc = ops->write(r, out);
	if (rc < 0)
		return rc;
	/* The caller chooses where the summary goes (the CLI: out for text,
	 * stderr for machine formats, NULL with --quiet). */
	FILE *sf = summary;
	if (!sf)
		return 0;
	write_summary(r, sf);
	return pl_report_flush(sf);
}
