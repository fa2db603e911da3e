/* The report for people: findings grouped by file, then errors and warnings.
 * Everything from a package is escaped: a file name must not be able to send
 * escape sequences to the reader's terminal. A "how to fix" section ends the
 * report: each rule's remediation once, however many findings it has. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_int.h"
#include "util/alloc.h"
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

/* What the issuer said: "validation: valid (login=octocat, scopes=repo)". */
static void print_validation(const struct pl_finding *f, FILE *out)
{
	const struct pl_validation *v = f->validation;
	if (!v || v->status == PL_VALIDATION_NONE)
		return;
	const char *name = v->status == PL_VALIDATION_NOT_CHECKED ? "not checked"
								   : pl_validation_status_name(v->status);
	fprintf(out, "    validation: %s", name);
	if (v->reason || v->ndetails || v->cached) {
		fputs(" (", out);
		const char *sep = "";
		if (v->reason) {
			fputs(v->reason, out);
			sep = "; ";
		}
		for (size_t i = 0; i < v->ndetails; i++, sep = ", ")
			fprintf(out, "%s%s=%s", sep, v->details[i].key, v->details[i].value);
		if (v->cached)
			fprintf(out, "%scached", v->reason || v->ndetails ? "; " : "");
		fputc(')', out);
	}
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
	print_validation(f, out);
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

/* ---- how to fix: each rule's remediation once, in order of first finding ---- */

#define PL_TEXT_WRAP 78

/* Prints text word-wrapped at PL_TEXT_WRAP columns, each line indented. */
static void print_wrapped(const char *text, const char *indent, FILE *out)
{
	size_t col = 0, ind = strlen(indent);
	while (*text) {
		while (*text == ' ')
			text++;
		size_t n = strcspn(text, " ");
		if (!n)
			break;
		if (col && col + 1 + n > PL_TEXT_WRAP) {
			fputc('\n', out);
			col = 0;
		}
		fprintf(out, "%s%.*s", col ? " " : indent, (int)n, text);
		col += (col ? 1 : ind) + n;
		text += n;
	}
	if (col)
		fputc('\n', out);
}

static size_t count_rule(const struct pl_report *r, const struct pl_rule *rule)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nfindings; i++)
		n += r->findings[i]->rule == rule;
	return n;
}

static void print_fix(const struct pl_report *r, const struct pl_rule *rule,
		      const struct style *s, FILE *out)
{
	size_t n = count_rule(r, rule);
	char *text = pl_escape(rule->remediation, strlen(rule->remediation));
	fprintf(out, "  %s%s%s %s(%s, %zu finding%s)%s\n", s->bold, rule->name, s->reset, s->dim,
		rule->id, n, n == 1 ? "" : "s", s->reset);
	print_wrapped(text, "    ", out);
	if (rule->references && rule->references[0]) {
		char *ref = pl_escape(rule->references[0], strlen(rule->references[0]));
		fprintf(out, "    %ssee %s%s\n", s->dim, ref, s->reset);
		free(ref);
	}
	free(text);
}

/* Rules seen so far are few (at most the ruleset), findings may be many. */
static void print_fixes(const struct pl_report *r, const struct style *s, FILE *out)
{
	const struct pl_rule **seen = NULL;
	size_t nseen = 0, cap = 0;
	for (size_t i = 0; i < r->nfindings; i++) {
		const struct pl_rule *rule = r->findings[i]->rule;
		size_t j = 0;
		while (j < nseen && seen[j] != rule)
			j++;
		if (j < nseen || !rule->remediation || !rule->remediation[0])
			continue;
		PL_GROW(seen, cap, nseen + 1);
		seen[nseen++] = rule;
		if (nseen == 1)
			fprintf(out, "%show to fix:%s\n", s->bold, s->reset);
		print_fix(r, rule, s, out);
	}
	if (nseen)
		fputc('\n', out);
	free(seen);
}

static int write_text(const struct pl_report *r, FILE *out)
{
	struct style s = style_for(r);
	print_findings(r, &s, out);
	print_problems(r, 0, out);
	print_problems(r, 1, out);
	print_fixes(r, &s, out);
	return pl_report_flush(out);
}

const struct pl_report_ops pl_report_text = { .name = "text", .write = write_text };
