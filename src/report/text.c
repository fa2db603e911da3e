/* The report for people: findings grouped by file, then errors and warnings.
 * Everything from a package is escaped: a file name must not be able to send
 * escape sequences to the reader's terminal. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_int.h"
#include "util/escape.h"

/* A finding in a minified file can occur thousands of times on one line. */
#define PL_TEXT_MAX_ALSO 10

struct style {
	const char *bold, *red, *dim, *reset;
};

static struct style style_for(const struct pl_report *r)
{
	static const struct style ansi = { "\033[1m", "\033[31m", "\033[2m", "\033[0m" };
	static const struct style plain = { "", "", "", "" };
	return r->opt.color ? ansi : plain;
}

static void print_also(const struct pl_finding *f, const struct style *s, FILE *out)
{
	if (f->npositions < 2)
		return;
	size_t shown = f->npositions < PL_TEXT_MAX_ALSO + 1 ? f->npositions : PL_TEXT_MAX_ALSO + 1;
	fprintf(out, "    %salso at", s->dim);
	for (size_t i = 1; i < shown; i++)
		fprintf(out, "%s %" PRIu64 ":%" PRIu64, i > 1 ? "," : "", f->positions[i].line,
			f->positions[i].column);
	if (f->npositions > shown)
		fprintf(out, " and %zu more", f->npositions - shown);
	fprintf(out, "%s\n", s->reset);
}

/* What the secret says about itself, on one line: "scope=account, expires=…".
 * Values are escaped by whoever added them (finding.h). */
static void print_details(const struct pl_finding *f, FILE *out)
{
	if (!f->ndetails)
		return;
	fputs("    ", out);
	for (size_t i = 0; i < f->ndetails; i++)
		fprintf(out, "%s%s=%s", i ? ", " : "", f->details[i].key, f->details[i].value);
	fputc('\n', out);
}

static void print_finding(const struct pl_report *r, const struct pl_finding *f,
			  const struct style *s, FILE *out)
{
	struct pl_position p = pl_report_first(f);
	char *secret = pl_finding_display_secret(f, r->opt.show_secrets);
	fprintf(out, "  %" PRIu64 ":%" PRIu64 "  %s %s(%s, %s)", p.line, p.column, f->rule->name,
		s->dim, f->rule->id, pl_confidence_name(f->rule->confidence));
	/* Found only after decoding: the bytes on disk do not show it. */
	if (f->encoding && f->encoding[0])
		fprintf(out, " (in %s)", f->encoding);
	fprintf(out, "%s\n", s->reset);
	fprintf(out, "    %s%s%s%s%s\n", f->before ? f->before : "", s->red, secret, s->reset,
		f->after ? f->after : "");
	print_details(f, out);
	print_also(f, s, out);
	fprintf(out, "    %sfingerprint %.12s%s\n", s->dim, f->fingerprint, s->reset);
	free(secret);
}

static int same_file(const struct pl_finding *a, const struct pl_finding *b)
{
	return strcmp(a->source, b->source) == 0 &&
	       strcmp(a->path ? a->path : "", b->path ? b->path : "") == 0;
}

static void print_findings(const struct pl_report *r, const struct style *s, FILE *out)
{
	for (size_t i = 0; i < r->nfindings; i++) {
		const struct pl_finding *f = r->findings[i];
		if (i == 0 || !same_file(r->findings[i - 1], f)) {
			if (i > 0)
				fputc('\n', out);
			char *loc = pl_report_location_escaped(f->source, f->path);
			fprintf(out, "%s%s%s\n", s->bold, loc, s->reset);
			free(loc);
		}
		print_finding(r, f, s, out);
	}
	if (r->nfindings)
		fputc('\n', out);
}

static void print_problems(const struct pl_report *r, int warnings, FILE *out)
{
	size_t n = warnings ? r->nwarnings : r->nerrors - r->nwarnings;
	if (!n)
		return;
	fprintf(out, "%s:\n", warnings ? "warnings" : "errors");
	for (size_t i = 0; i < r->nerrors; i++) {
		const struct pl_report_error *e = &r->errors[i];
		if (!e->warning != !warnings)
			continue;
		char *loc = pl_report_location_escaped(e->source, e->path);
		char *why = pl_escape(e->reason, strlen(e->reason));
		fprintf(out, "  %s: %s\n", loc, why);
		free(loc);
		free(why);
	}
	fputc('\n', out);
}

static int write_text(const struct pl_report *r, FILE *out)
{
	struct style s = style_for(r);
	print_findings(r, &s, out);
	print_problems(r, 0, out);
	print_problems(r, 1, out);
	return pl_report_flush(out);
}

const struct pl_report_ops pl_report_text = { .name = "text", .write = write_text };
