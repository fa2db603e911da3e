/* The study report as text, JSON and CSV (HTML is study_html.c). */
#include "pkgleaks/study.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pkgleaks/error.h"
#include "report/report_int.h"
#include "report/study_int.h"
#include "util/alloc.h"
#include "util/escape.h"

static const char *const table_names[] = {"headline", "kinds", "rules", "trends",
					  "extensions", "persistence", "artifacts"};
static const int table_bits[] = {PL_STUDY_HEADLINE, PL_STUDY_KINDS, PL_STUDY_RULES,
				 PL_STUDY_TRENDS, PL_STUDY_EXTENSIONS, PL_STUDY_PERSISTENCE,
				 PL_STUDY_ARTIFACTS};

int pl_study_table(const char *name)
{
	for (size_t i = 0; i < sizeof(table_names) / sizeof(table_names[0]); i++)
		if (strcmp(name, table_names[i]) == 0)
			return table_bits[i];
	return -1;
}

void pl_study_date(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (t < 0 || !gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%d", &tm))
		snprintf(out, 32, "%s", "unknown");
}

const char *pl_study_secret(const struct pl_stats *s, const struct pl_study_options *o, size_t i,
			    char **owned)
{
	*owned = NULL;
	if (!o->revealed || !o->revealed[i])
		return s->persist[i].redacted;
	*owned = pl_escape(o->revealed[i], strlen(o->revealed[i]));
	return *owned;
}

const char *pl_study_state(const struct pl_stats_persist *p)
{
	static const char *const states[][2] = {{"fixed", "fixed after notice"},
						{"rotated", "rotated after notice"},
						{"notified", "notified"}};
	int after = p->notified_at >= 0 && p->state_at >= p->notified_at;
	for (size_t i = 0; p->state && i < sizeof(states) / sizeof(states[0]); i++)
		if (strcmp(p->state, states[i][0]) == 0)
			return states[i][after];
	return "new";
}

int pl_study_valid_after(const struct pl_stats_persist *p, char out[32])
{
	if (p->last_valid < 0 || p->first_seen < 0 || p->last_valid < p->first_seen) {
		snprintf(out, 32, "-");
		return -1;
	}
	double d = (double)(p->last_valid - p->first_seen), year = 365.25 * 86400;
	if (d >= year)
		snprintf(out, 32, "%.1f years", d / year);
	else if (d >= 2 * 86400)
		snprintf(out, 32, "%.0f days", d / 86400);
	else
		snprintf(out, 32, "%.0f hours", d / 3600);
	return 0;
}

/* ---- text: aligned tables ---- */

/* Terminal columns of printable UTF-8 (one per character). */
static size_t width(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		n += (*p & 0xc0) != 0x80;
	return n;
}

struct tbl {
	size_t ncols, nrows;
	const char *const *head;
	unsigned numeric; /* bit i: column i is right-aligned */
	char **cells;     /* nrows * ncols, owned */
};

static void tbl_cell(struct tbl *t, size_t row, size_t col, char *owned)
{
	t->cells[row * t->ncols + col] = owned;
}

static void tbl_print(struct tbl *t, FILE *out)
{
	size_t w[16] = {0};
	for (size_t c = 0; c < t->ncols && c < 16; c++) {
		w[c] = width(t->head[c]);
		for (size_t r = 0; r < t->nrows; r++)
			if (width(t->cells[r * t->ncols + c]) > w[c])
				w[c] = width(t->cells[r * t->ncols + c]);
	}
	for (size_t r = 0; r <= t->nrows; r++) {
		fputs(" ", out);
		for (size_t c = 0; c < t->ncols && c < 16; c++) {
			const char *v = r == 0 ? t->head[c] : t->cells[(r - 1) * t->ncols + c];
			size_t pad = w[c] - width(v);
			int right = (t->numeric >> c) & 1, last = c + 1 == t->ncols;
			fprintf(out, " %*s%s%*s", right ? (int)pad : 0, "", v,
				right || last ? 0 : (int)pad, "");
		}
		fputc('\n', out);
	}
	if (t->nrows == 0)
		fputs("  (none)\n", out);
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
}

static struct tbl tbl_new(const char *const *head, size_t ncols, size_t nrows, unsigned numeric)
{
	return (struct tbl){ncols, nrows, head, numeric, pl_xcalloc(nrows * ncols + 1, sizeof(char *))};
}

static char *num(uint64_t v)
{
	return pl_xasprintf("%" PRIu64, v);
}

static void text_headline(const struct pl_stats_headline *h, FILE *out)
{
	fprintf(out, "Headline\n"
		     "  unique secrets           %" PRIu64 "\n"
		     "  occurrences              %" PRIu64 "\n"
		     "  artifacts scanned        %" PRIu64 "\n"
		     "  projects scanned         %" PRIu64 "\n"
		     "  projects with a secret   %" PRIu64 "\n"
		     "  kinds of secret          %" PRIu64 "\n"
		     "  validity                 %" PRIu64 " valid, %" PRIu64 " invalid, %" PRIu64
		     " unknown, %" PRIu64 " unchecked\n\n",
		h->secrets, h->occurrences, h->artifacts, h->projects, h->projects_with_secrets,
		h->kinds, h->valid, h->invalid, h->unknown, h->unchecked);
}

static void text_rules(const struct pl_stats *s, FILE *out)
{
	static const char *const head[] = {"RULE", "SECRETS", "OCCURRENCES", "PROJECTS", "VALID"};
	struct tbl t = tbl_new(head, 5, s->nrules, 0x1e);
	for (size_t i = 0; i < s->nrules; i++) {
		const struct pl_stats_rule *r = &s->rules[i];
		tbl_cell(&t, i, 0, pl_xstrdup(r->rule));
		tbl_cell(&t, i, 1, num(r->secrets));
		tbl_cell(&t, i, 2, num(r->occurrences));
		tbl_cell(&t, i, 3, num(r->projects));
		tbl_cell(&t, i, 4, num(r->valid));
	}
	fputs("Per rule\n", out);
	tbl_print(&t, out);
	fputc('\n', out);
}

static void text_trends(const struct pl_stats *s, const struct pl_study_options *o, FILE *out)
{
	static const char *const head[] = {"PERIOD", "RULE", "SECRETS", "VALID"};
	struct tbl t = tbl_new(head, 4, s->ntrends, 0xc);
	for (size_t i = 0; i < s->ntrends; i++) {
		tbl_cell(&t, i, 0, pl_xstrdup(s->trends[i].period));
		tbl_cell(&t, i, 1, pl_xstrdup(s->trends[i].rule));
		tbl_cell(&t, i, 2, num(s->trends[i].secrets));
		tbl_cell(&t, i, 3, num(s->trends[i].valid));
	}
	fprintf(out, "Distinct secrets first seen, per %s (by upload time)\n",
		pl_period_name(o->filter ? o->filter->period : PL_PERIOD_MONTH));
	tbl_print(&t, out);
	fputc('\n', out);
}

static void text_where(const char *title, const char *key, const struct pl_stats_where *w,
		       size_t n, FILE *out)
{
	const char *head[] = {key, "SECRETS", "OCCURRENCES"};
	struct tbl t = tbl_new(head, 3, n, 0x6);
	for (size_t i = 0; i < n; i++) {
		tbl_cell(&t, i, 0, pl_xstrdup(w[i].key[0] ? w[i].key : "(none)"));
		tbl_cell(&t, i, 1, num(w[i].secrets));
		tbl_cell(&t, i, 2, num(w[i].occurrences));
	}
	fprintf(out, "%s\n", title);
	tbl_print(&t, out);
	fputc('\n', out);
}

static void text_persist(const struct pl_stats *s, const struct pl_study_options *o, FILE *out)
{
	static const char *const head[] = {"RULE", "SECRET", "PROJECT", "FIRST", "LAST",
					   "RELEASES", "NEWEST", "STILL THERE", "DISCLOSURE",
					   "STILL VALID AFTER"};
	struct tbl t = tbl_new(head, 10, s->npersist, 0x20);
	for (size_t i = 0; i < s->npersist; i++) {
		const struct pl_stats_persist *p = &s->persist[i];
		char *owned;
		const char *secret = pl_study_secret(s, o, i, &owned);
		tbl_cell(&t, i, 0, pl_xstrdup(p->rule));
		tbl_cell(&t, i, 1, pl_xstrdup(secret));
		tbl_cell(&t, i, 2, pl_xasprintf("%s/%s", p->ecosystem, p->project));
		tbl_cell(&t, i, 3, pl_xstrdup(p->first_version));
		tbl_cell(&t, i, 4, pl_xstrdup(p->last_version));
		tbl_cell(&t, i, 5, num(p->releases));
		tbl_cell(&t, i, 6, pl_xstrdup(p->newest_version));
		tbl_cell(&t, i, 7, pl_xstrdup(p->still ? "yes" : "no"));
		tbl_cell(&t, i, 8, pl_xstrdup(pl_study_state(p)));
		char after[32];
		pl_study_valid_after(p, after);
		tbl_cell(&t, i, 9, pl_xstrdup(after));
		free(owned);
	}
	fputs("Persistence (first and last release holding each secret)\n", out);
	tbl_print(&t, out);
	fputc('\n', out);
}

static void text_artifacts(const struct pl_stats *s, FILE *out)
{
	static const char *const head[] = {"ECOSYSTEM", "PROJECT", "VERSION", "FILE", "UPLOADED",
					   "STATUS", "SECRETS", "OCCURRENCES"};
	struct tbl t = tbl_new(head, 8, s->nartifacts, 0xc0);
	for (size_t i = 0; i < s->nartifacts; i++) {
		const struct pl_stats_artifact *a = &s->artifacts[i];
		char date[32];
		pl_study_date(a->upload_time, date);
		tbl_cell(&t, i, 0, pl_xstrdup(a->ecosystem));
		tbl_cell(&t, i, 1, pl_xstrdup(a->project));
		tbl_cell(&t, i, 2, pl_xstrdup(a->version));
		tbl_cell(&t, i, 3, pl_xstrdup(a->filename));
		tbl_cell(&t, i, 4, pl_xstrdup(date));
		tbl_cell(&t, i, 5, pl_xstrdup(a->status));
		tbl_cell(&t, i, 6, num(a->secrets));
		tbl_cell(&t, i, 7, num(a->occurrences));
	}
	fputs("Artifacts\n", out);
	tbl_print(&t, out);
	fputc('\n', out);
}

static void text_filters(const struct pl_study_options *o, FILE *out)
{
	const struct pl_stats_filter *f = o->filter;
	char since[32], until[32];
	fprintf(out, "pkgleaks report: %s (%s)\n", o->store_name ? o->store_name : "?",
		o->backend ? o->backend : "?");
	if (!f || (!f->ecosystem && !f->project && f->since < 0 && f->until < 0))
		return (void)fputs("all artifacts\n\n", out);
	pl_study_date(f->since, since);
	pl_study_date(f->until, until);
	fprintf(out, "artifacts: ecosystem %s, project %s, uploaded from %s to before %s\n\n",
		f->ecosystem ? f->ecosystem : "any", f->project ? f->project : "any",
		f->since >= 0 ? since : "any time", f->until >= 0 ? until : "now");
}

static int write_text(const struct pl_stats *s, const struct pl_study_options *o, FILE *out)
{
	text_filters(o, out);
	if (o->tables & PL_STUDY_HEADLINE)
		text_headline(&s->headline, out);
	if (o->tables & PL_STUDY_RULES)
		text_rules(s, out);
	if (o->tables & PL_STUDY_TRENDS)
		text_trends(s, o, out);
	if (o->tables & PL_STUDY_EXTENSIONS)
		text_where("Where: by file extension", "EXTENSION", s->extensions, s->nextensions, out);
	if (o->tables & PL_STUDY_KINDS)
		text_where("Where: by path kind", "PATH KIND", s->kinds, s->nkinds, out);
	if (o->tables & PL_STUDY_PERSISTENCE)
		text_persist(s, o, out);
	if (o->tables & PL_STUDY_ARTIFACTS)
		text_artifacts(s, out);
	return pl_report_flush(out);
}

/* ---- JSON ---- */

static json_t *json_time(int64_t t)
{
	char buf[32];
	time_t tt = (time_t)t;
	struct tm tm;
	if (t < 0 || !gmtime_r(&tt, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return pl_json_str(NULL);
	return pl_json_str(buf);
}

static json_t *json_headline(const struct pl_stats_headline *h)
{
	json_t *o = pl_json_obj();
	pl_json_set(o, "unique_secrets", pl_json_uint(h->secrets));
	pl_json_set(o, "occurrences", pl_json_uint(h->occurrences));
	pl_json_set(o, "artifacts", pl_json_uint(h->artifacts));
	pl_json_set(o, "projects", pl_json_uint(h->projects));
	pl_json_set(o, "projects_with_secrets", pl_json_uint(h->projects_with_secrets));
	pl_json_set(o, "kinds", pl_json_uint(h->kinds));
	pl_json_set(o, "valid", pl_json_uint(h->valid));
	pl_json_set(o, "invalid", pl_json_uint(h->invalid));
	pl_json_set(o, "unknown", pl_json_uint(h->unknown));
	pl_json_set(o, "unchecked", pl_json_uint(h->unchecked));
	return o;
}

static json_t *json_rules(const struct pl_stats *s)
{
	json_t *a = pl_json_arr();
	for (size_t i = 0; i < s->nrules; i++) {
		json_t *o = pl_json_obj();
		pl_json_set(o, "rule", pl_json_str(s->rules[i].rule));
		pl_json_set(o, "unique_secrets", pl_json_uint(s->rules[i].secrets));
		pl_json_set(o, "occurrences", pl_json_uint(s->rules[i].occurrences));
		pl_json_set(o, "projects", pl_json_uint(s->rules[i].projects));
		pl_json_set(o, "valid", pl_json_uint(s->rules[i].valid));
		pl_json_push(a, o);
	}
	return a;
}

static json_t *json_trends(const struct pl_stats *s)
{
	json_t *a = pl_json_arr();
	for (size_t i = 0; i < s->ntrends; i++) {
		json_t *o = pl_json_obj();
		pl_json_set(o, "period", pl_json_str(s->trends[i].period));
		pl_json_set(o, "rule", pl_json_str(s->trends[i].rule));
		pl_json_set(o, "unique_secrets", pl_json_uint(s->trends[i].secrets));
		pl_json_set(o, "valid", pl_json_uint(s->trends[i].valid));
		pl_json_push(a, o);
	}
	return a;
}

static json_t *json_where(const char *key, const struct pl_stats_where *w, size_t n)
{
	json_t *a = pl_json_arr();
	for (size_t i = 0; i < n; i++) {
		json_t *o = pl_json_obj();
		pl_json_set(o, key, pl_json_str(w[i].key));
		pl_json_set(o, "unique_secrets", pl_json_uint(w[i].secrets));
		pl_json_set(o, "occurrences", pl_json_uint(w[i].occurrences));
		pl_json_push(a, o);
	}
	return a;
}

static json_t *json_persist_one(const struct pl_stats *s, const struct pl_study_options *o,
				size_t i)
{
	const struct pl_stats_persist *p = &s->persist[i];
	json_t *j = pl_json_obj();
	char *owned;
	pl_json_set(j, "rule", pl_json_str(p->rule));
	pl_json_set(j, "fingerprint", pl_json_str(p->fingerprint));
	pl_json_set(j, "secret", pl_json_str(pl_study_secret(s, o, i, &owned)));
	pl_json_set(j, "ecosystem", pl_json_str(p->ecosystem));
	pl_json_set(j, "project", pl_json_str(p->project));
	pl_json_set(j, "first_release", pl_json_str(p->first_version));
	pl_json_set(j, "first_upload", json_time(p->first_time));
	pl_json_set(j, "last_release", pl_json_str(p->last_version));
	pl_json_set(j, "last_upload", json_time(p->last_time));
	pl_json_set(j, "releases", pl_json_uint(p->releases));
	pl_json_set(j, "newest_release", pl_json_str(p->newest_version));
	pl_json_set(j, "in_newest_release", json_boolean(p->still));
	pl_json_set(j, "disclosure_state", pl_json_str(p->state));
	pl_json_set(j, "notified_at", json_time(p->notified_at));
	pl_json_set(j, "fixed_in", pl_json_str(p->fixed_version));
	pl_json_set(j, "after_notice", json_boolean(strstr(pl_study_state(p), "after notice") != NULL));
	/* First seen anywhere -> the newest check that said valid. */
	pl_json_set(j, "first_seen", json_time(p->first_seen));
	pl_json_set(j, "last_valid_check", json_time(p->last_valid));
	char after[32];
	pl_json_set(j, "still_valid_after_days",
		    pl_study_valid_after(p, after) == 0
			    ? json_integer((p->last_valid - p->first_seen) / 86400)
			    : json_null());
	free(owned);
	return j;
}

static json_t *json_artifact(const struct pl_stats_artifact *a)
{
	json_t *j = pl_json_obj();
	pl_json_set(j, "ecosystem", pl_json_str(a->ecosystem));
	pl_json_set(j, "project", pl_json_str(a->project));
	pl_json_set(j, "version", pl_json_str(a->version));
	pl_json_set(j, "filename", pl_json_str(a->filename));
	pl_json_set(j, "sha256", pl_json_str(a->sha256));
	pl_json_set(j, "size", pl_json_uint(a->size));
	pl_json_set(j, "upload_time", json_time(a->upload_time));
	pl_json_set(j, "status", pl_json_str(a->status));
	pl_json_set(j, "error", pl_json_str(a->error));
	pl_json_set(j, "unique_secrets", pl_json_uint(a->secrets));
	pl_json_set(j, "occurrences", pl_json_uint(a->occurrences));
	return j;
}

static json_t *json_totals(const struct pl_store_totals *t)
{
	json_t *o = pl_json_obj();
	pl_json_set(o, "artifacts", pl_json_uint(t->artifacts));
	pl_json_set(o, "blobs", pl_json_uint(t->blobs));
	pl_json_set(o, "secrets", pl_json_uint(t->secrets));
	pl_json_set(o, "occurrences", pl_json_uint(t->occurrences));
	pl_json_set(o, "blob_findings", pl_json_uint(t->blob_findings));
	pl_json_set(o, "validations", pl_json_uint(t->validations));
	return o;
}

static json_t *json_filters(const struct pl_stats_filter *f)
{
	json_t *o = pl_json_obj();
	pl_json_set(o, "ecosystem", pl_json_str(f ? f->ecosystem : NULL));
	pl_json_set(o, "project", pl_json_str(f ? f->project : NULL));
	pl_json_set(o, "since", json_time(f ? f->since : -1));
	pl_json_set(o, "until", json_time(f ? f->until : -1));
	pl_json_set(o, "period", pl_json_str(pl_period_name(f ? f->period : PL_PERIOD_MONTH)));
	return o;
}

static int write_json(const struct pl_stats *s, const struct pl_study_options *o, FILE *out)
{
	json_t *doc = pl_json_obj(), *store = pl_json_obj();
	pl_json_set(doc, "pkgleaks_report", pl_json_uint(1));
	pl_json_set(store, "backend", pl_json_str(o->backend));
	pl_json_set(store, "name", pl_json_str(o->store_name));
	pl_json_set(doc, "store", store);
	pl_json_set(doc, "filters", json_filters(o->filter));
	pl_json_set(doc, "totals", json_totals(&s->totals));
	if (o->tables & PL_STUDY_HEADLINE)
		pl_json_set(doc, "headline", json_headline(&s->headline));
	if (o->tables & PL_STUDY_RULES)
		pl_json_set(doc, "rules", json_rules(s));
	if (o->tables & PL_STUDY_TRENDS)
		pl_json_set(doc, "trends", json_trends(s));
	if (o->tables & PL_STUDY_EXTENSIONS)
		pl_json_set(doc, "extensions", json_where("extension", s->extensions, s->nextensions));
	if (o->tables & PL_STUDY_KINDS)
		pl_json_set(doc, "path_kinds", json_where("path_kind", s->kinds, s->nkinds));
	if (o->tables & PL_STUDY_PERSISTENCE) {
		json_t *a = pl_json_arr();
		for (size_t i = 0; i < s->npersist; i++)
			pl_json_push(a, json_persist_one(s, o, i));
		pl_json_set(doc, "persistence", a);
	}
	if (o->tables & PL_STUDY_ARTIFACTS) {
		json_t *a = pl_json_arr();
		for (size_t i = 0; i < s->nartifacts; i++)
			pl_json_push(a, json_artifact(&s->artifacts[i]));
		pl_json_set(doc, "artifacts", a);
	}
	int rc = pl_json_dump(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	return rc < 0 ? rc : pl_report_flush(out);
}

/* ---- CSV: one block per table, each row led by the table's name ---- */

/* RFC 4180 quoting; a text cell that a spreadsheet would run as a formula
 * (=, +, -, @, tab, CR first) gets a leading apostrophe. */
static void csv_text(const char *s, FILE *out)
{
	fputc(',', out);
	int formula = strchr("=+-@\t\r", s[0]) && s[0];
	if (!formula && !strpbrk(s, ",\"\n\r")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	if (formula)
		fputc('\'', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static void csv_num(uint64_t v, FILE *out)
{
	fprintf(out, ",%" PRIu64, v);
}

/* The header row of a block; blocks are separated by an empty line. */
static void csv_head(const char *cols, FILE *out, int *first)
{
	if (!*first)
		fputc('\n', out);
	*first = 0;
	fprintf(out, "table,%s\n", cols);
}

static void csv_headline(const struct pl_stats_headline *h, FILE *out, int *first)
{
	const char *names[] = {"unique_secrets", "occurrences", "artifacts", "projects",
			       "projects_with_secrets", "kinds", "valid", "invalid",
			       "unknown", "unchecked"};
	uint64_t vals[] = {h->secrets, h->occurrences, h->artifacts, h->projects,
			   h->projects_with_secrets, h->kinds, h->valid, h->invalid,
			   h->unknown, h->unchecked};
	csv_head("metric,value", out, first);
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		fputs("headline", out);
		csv_text(names[i], out);
		csv_num(vals[i], out);
		fputc('\n', out);
	}
}

static void csv_rules(const struct pl_stats *s, FILE *out, int *first)
{
	csv_head("rule,unique_secrets,occurrences,projects,valid", out, first);
	for (size_t i = 0; i < s->nrules; i++) {
		fputs("rules", out);
		csv_text(s->rules[i].rule, out);
		csv_num(s->rules[i].secrets, out);
		csv_num(s->rules[i].occurrences, out);
		csv_num(s->rules[i].projects, out);
		csv_num(s->rules[i].valid, out);
		fputc('\n', out);
	}
}

static void csv_trends(const struct pl_stats *s, FILE *out, int *first)
{
	csv_head("period,rule,unique_secrets,valid", out, first);
	for (size_t i = 0; i < s->ntrends; i++) {
		fputs("trends", out);
		csv_text(s->trends[i].period, out);
		csv_text(s->trends[i].rule, out);
		csv_num(s->trends[i].secrets, out);
		csv_num(s->trends[i].valid, out);
		fputc('\n', out);
	}
}

static void csv_where(const char *table, const char *key, const struct pl_stats_where *w,
		      size_t n, FILE *out, int *first)
{
	char *cols = pl_xasprintf("%s,unique_secrets,occurrences", key);
	csv_head(cols, out, first);
	free(cols);
	for (size_t i = 0; i < n; i++) {
		fputs(table, out);
		csv_text(w[i].key, out);
		csv_num(w[i].secrets, out);
		csv_num(w[i].occurrences, out);
		fputc('\n', out);
	}
}

static void csv_persist(const struct pl_stats *s, const struct pl_study_options *o, FILE *out,
			int *first)
{
	csv_head("rule,fingerprint,secret,ecosystem,project,first_release,"
				"first_upload,last_release,last_upload,releases,newest_release,"
				"in_newest_release,disclosure,last_valid_check,still_valid_after",
		 out, first);
	for (size_t i = 0; i < s->npersist; i++) {
		const struct pl_stats_persist *p = &s->persist[i];
		char *owned, d1[32], d2[32];
		pl_study_date(p->first_time, d1);
		pl_study_date(p->last_time, d2);
		fputs("persistence", out);
		csv_text(p->rule, out);
		csv_text(p->fingerprint, out);
		csv_text(pl_study_secret(s, o, i, &owned), out);
		const char *cells[] = {p->ecosystem, p->project, p->first_version, d1,
				       p->last_version, d2};
		for (size_t k = 0; k < 6; k++)
			csv_text(cells[k], out);
		csv_num(p->releases, out);
		csv_text(p->newest_version, out);
		csv_text(p->still ? "yes" : "no", out);
		csv_text(pl_study_state(p), out);
		char d3[32], after[32];
		pl_study_date(p->last_valid, d3);
		csv_text(p->last_valid < 0 ? "" : d3, out);
		csv_text(pl_study_valid_after(p, after) == 0 ? after : "", out);
		fputc('\n', out);
		free(owned);
	}
}

static void csv_artifacts(const struct pl_stats *s, FILE *out, int *first)
{
	csv_head("ecosystem,project,version,filename,sha256,size,upload_time,status,"
			      "error,unique_secrets,occurrences", out, first);
	for (size_t i = 0; i < s->nartifacts; i++) {
		const struct pl_stats_artifact *a = &s->artifacts[i];
		char d[32];
		pl_study_date(a->upload_time, d);
		fputs("artifacts", out);
		const char *cells[] = {a->ecosystem, a->project, a->version, a->filename, a->sha256};
		for (size_t k = 0; k < 5; k++)
			csv_text(cells[k], out);
		csv_num(a->size, out);
		csv_text(d, out);
		csv_text(a->status, out);
		csv_text(a->error ? a->error : "", out);
		csv_num(a->secrets, out);
		csv_num(a->occurrences, out);
		fputc('\n', out);
	}
}

static int write_csv(const struct pl_stats *s, const struct pl_study_options *o, FILE *out)
{
	int first = 1;
	if (o->tables & PL_STUDY_HEADLINE)
		csv_headline(&s->headline, out, &first);
	if (o->tables & PL_STUDY_RULES)
		csv_rules(s, out, &first);
	if (o->tables & PL_STUDY_TRENDS)
		csv_trends(s, out, &first);
	if (o->tables & PL_STUDY_EXTENSIONS)
		csv_where("extensions", "extension", s->extensions, s->nextensions, out, &first);
	if (o->tables & PL_STUDY_KINDS)
		csv_where("path_kinds", "path_kind", s->kinds, s->nkinds, out, &first);
	if (o->tables & PL_STUDY_PERSISTENCE)
		csv_persist(s, o, out, &first);
	if (o->tables & PL_STUDY_ARTIFACTS)
		csv_artifacts(s, out, &first);
	return pl_report_flush(out);
}

int pl_study_write(const struct pl_stats *s, const struct pl_study_options *o, FILE *out)
{
	switch (o->format) {
	case PL_STUDY_JSON:
		return write_json(s, o, out);
	case PL_STUDY_CSV:
		return write_csv(s, o, out);
	case PL_STUDY_HTML:
		return pl_study_html(s, o, out);
	default:
		return write_text(s, o, out);
	}
}
