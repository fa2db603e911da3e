/* The study report as one self-contained HTML page: inline CSS, the tables,
 * and the charts drawn here as inline SVG (no script, nothing fetched). */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pkgleaks/error.h"
#include "report/report_int.h"
#include "report/study_int.h"
#include "util/alloc.h"

/* Rules drawn in their own colour in the trend chart; the rest are "other". */
#define TREND_SERIES 8
/* Periods on the time axis at most (50 years of months). */
#define TREND_MAX_PERIODS 600
/* Bars in a horizontal bar chart at most. */
#define HBAR_MAX 12

static const char *const palette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
				      "#edc948", "#b07aa1", "#ff9da7", "#9c755f"};

static const char css[] =
	"body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#222;"
	"padding:0 16px}h1{font-size:22px}h2{font-size:17px;margin-top:32px;border-bottom:1px solid"
	" #ddd}table{border-collapse:collapse;margin:8px 0}td,th{padding:3px 10px;border-bottom:"
	"1px solid #eee;text-align:left}td.n,th.n{text-align:right;font-variant-numeric:"
	"tabular-nums}.cards{display:flex;flex-wrap:wrap;gap:12px}.card{border:1px solid #ddd;"
	"border-radius:6px;padding:10px 14px;min-width:150px}.card b{display:block;font-size:24px}"
	".legend span{display:inline-block;margin:2px 12px 2px 0}.legend i{display:inline-block;"
	"width:12px;height:12px;margin-right:5px;vertical-align:-1px}svg text{font:11px "
	"system-ui,sans-serif;fill:#444}.muted{color:#777}code{font-size:12px}";

/* ---- escaping ---- */

static void esc(const char *s, FILE *out)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&#39;", out);
			break;
		default:
			fputc(*s, out);
		}
	}
}

/* ---- the trend chart: stacked bars of distinct secrets first seen ---- */

/* A period label as a number on a continuous axis; -1 if unreadable. */
static long period_index(const char *p, enum pl_period kind)
{
	int y = 0, m = 0;
	if (kind == PL_PERIOD_MONTH && sscanf(p, "%4d-%2d", &y, &m) == 2 && m >= 1 && m <= 12)
		return (long)y * 12 + m - 1;
	if (kind == PL_PERIOD_QUARTER && sscanf(p, "%4d-Q%1d", &y, &m) == 2 && m >= 1 && m <= 4)
		return (long)y * 4 + m - 1;
	if (kind == PL_PERIOD_YEAR && sscanf(p, "%4d", &y) == 1)
		return y;
	return -1;
}

static void period_label(long idx, enum pl_period kind, char out[32])
{
	if (kind == PL_PERIOD_MONTH)
		snprintf(out, 32, "%04ld-%02ld", idx / 12, idx % 12 + 1);
	else if (kind == PL_PERIOD_QUARTER)
		snprintf(out, 32, "%04ld-Q%ld", idx / 4, idx % 4 + 1);
	else
		snprintf(out, 32, "%04ld", idx);
}

struct trend_grid {
	const char *series[TREND_SERIES + 1]; /* rule names; the last is "other" */
	size_t nseries;
	long first;     /* period index of column 0 */
	size_t nperiods;
	uint64_t *count; /* nperiods * (TREND_SERIES + 1) */
	uint64_t *valid; /* per period */
	uint64_t max;    /* tallest stack */
};

/* The rules with the most distinct secrets get their own colour. */
static void pick_series(const struct pl_stats *s, struct trend_grid *g)
{
	size_t n = 0;
	for (size_t i = 0; i < s->nrules && n < TREND_SERIES; i++) {
		int seen = 0;
		for (size_t k = 0; k < s->ntrends && !seen; k++)
			seen = strcmp(s->trends[k].rule, s->rules[i].rule) == 0;
		if (seen)
			g->series[n++] = s->rules[i].rule;
	}
	g->nseries = n;
	g->series[n] = "other";
}

static size_t series_of(const struct trend_grid *g, const char *rule)
{
	for (size_t j = 0; j < g->nseries; j++)
		if (strcmp(g->series[j], rule) == 0)
			return j;
	return TREND_SERIES;
}

static int grid_build(const struct pl_stats *s, enum pl_period kind, struct trend_grid *g)
{
	memset(g, 0, sizeof(*g));
	long lo = -1, hi = -1;
	for (size_t i = 0; i < s->ntrends; i++) {
		long idx = period_index(s->trends[i].period, kind);
		if (idx < 0)
			continue;
		lo = lo < 0 || idx < lo ? idx : lo;
		hi = idx > hi ? idx : hi;
	}
	if (lo < 0)
		return 0;
	if (hi - lo + 1 > TREND_MAX_PERIODS)
		lo = hi - TREND_MAX_PERIODS + 1;
	pick_series(s, g);
	g->first = lo;
	g->nperiods = (size_t)(hi - lo + 1);
	g->count = pl_xcalloc(g->nperiods * (TREND_SERIES + 1), sizeof(*g->count));
	g->valid = pl_xcalloc(g->nperiods, sizeof(*g->valid));
	for (size_t i = 0; i < s->ntrends; i++) {
		long idx = period_index(s->trends[i].period, kind);
		if (idx < lo)
			continue;
		size_t col = (size_t)(idx - lo);
		g->count[col * (TREND_SERIES + 1) + series_of(g, s->trends[i].rule)] += s->trends[i].secrets;
		g->valid[col] += s->trends[i].valid;
	}
	for (size_t c = 0; c < g->nperiods; c++) {
		uint64_t total = 0;
		for (size_t j = 0; j <= TREND_SERIES; j++)
			total += g->count[c * (TREND_SERIES + 1) + j];
		g->max = total > g->max ? total : g->max;
	}
	return 1;
}

/* A round step for about five grid lines over max. */
static uint64_t nice_step(uint64_t max)
{
	double raw = (double)(max ? max : 1) / 5.0;
	double p = pow(10.0, floor(log10(raw)));
	double f = raw / p;
	double step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
	return step < 1 ? 1 : (uint64_t)step;
}

#define CW 1000
#define CH 380
#define ML 56
#define MR 16
#define MT 14
#define MB 70

static void trend_axes(const struct trend_grid *g, enum pl_period kind, uint64_t top, FILE *out)
{
	uint64_t step = nice_step(g->max);
	double plot_h = CH - MT - MB;
	for (uint64_t v = 0; v <= top; v += step) {
		double y = MT + plot_h - plot_h * (double)v / (double)top;
		fprintf(out, "<line class=\"grid\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
			     "stroke=\"#e5e5e5\"/><text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%" PRIu64
			     "</text>\n", ML, CW - MR, y, y, ML - 6, y + 4, v);
	}
	double bw = (double)(CW - ML - MR) / (double)g->nperiods;
	size_t every = g->nperiods / 30 + 1;
	for (size_t c = 0; c < g->nperiods; c += every) {
		char label[32];
		period_label(g->first + (long)c, kind, label);
		double x = ML + bw * ((double)c + 0.5);
		fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"end\" transform=\"rotate(-45 "
			     "%.1f %d)\">%s</text>\n", x, CH - MB + 14, x, CH - MB + 14, label);
	}
}

static void trend_bars(const struct trend_grid *g, enum pl_period kind, uint64_t top, FILE *out)
{
	double plot_h = CH - MT - MB, bw = (double)(CW - ML - MR) / (double)g->nperiods;
	double gap = bw > 6 ? bw * 0.15 : 0;
	for (size_t c = 0; c < g->nperiods; c++) {
		char label[32];
		period_label(g->first + (long)c, kind, label);
		double y = MT + plot_h;
		for (size_t j = 0; j <= TREND_SERIES; j++) {
			uint64_t n = g->count[c * (TREND_SERIES + 1) + j];
			if (!n)
				continue;
			double h = plot_h * (double)n / (double)top;
			y -= h;
			fprintf(out, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
				     "height=\"%.1f\" fill=\"%s\"><title>%s ",
				ML + bw * (double)c + gap / 2, y, bw - gap, h,
				palette[j < g->nseries ? j : TREND_SERIES], label);
			esc(j < g->nseries ? g->series[j] : "other", out);
			fprintf(out, ": %" PRIu64 "</title></rect>\n", n);
		}
	}
}

/* Valid secrets among those first seen, as a line over the bars. */
static void trend_valid(const struct trend_grid *g, uint64_t top, FILE *out)
{
	uint64_t any = 0;
	for (size_t c = 0; c < g->nperiods; c++)
		any += g->valid[c];
	if (!any)
		return;
	double plot_h = CH - MT - MB, bw = (double)(CW - ML - MR) / (double)g->nperiods;
	fputs("<polyline class=\"valid\" fill=\"none\" stroke=\"#111\" stroke-width=\"2\" points=\"", out);
	for (size_t c = 0; c < g->nperiods; c++)
		fprintf(out, "%s%.1f,%.1f", c ? " " : "", ML + bw * ((double)c + 0.5),
			MT + plot_h - plot_h * (double)g->valid[c] / (double)top);
	fputs("\"/>\n", out);
}

static void trend_legend(const struct trend_grid *g, FILE *out)
{
	uint64_t other = 0;
	for (size_t c = 0; c < g->nperiods; c++)
		other += g->count[c * (TREND_SERIES + 1) + TREND_SERIES];
	fputs("<p class=\"legend\">", out);
	for (size_t j = 0; j <= g->nseries; j++) {
		size_t colour = j < g->nseries ? j : TREND_SERIES;
		if (j == g->nseries && !other)
			break;
		fprintf(out, "<span><i style=\"background:%s\"></i>", palette[colour]);
		esc(g->series[j], out);
		fputs("</span>", out);
	}
	fputs("<span><i style=\"background:#111;height:3px\"></i>valid among them</span></p>\n", out);
}

static void trend_chart(const struct pl_stats *s, enum pl_period kind, FILE *out)
{
	struct trend_grid g;
	fprintf(out, "<h2>Distinct secrets first seen, by rule, per %s</h2>\n", pl_period_name(kind));
	if (!grid_build(s, kind, &g)) {
		fputs("<p class=\"muted\">No secret with a known upload time.</p>\n", out);
		return;
	}
	uint64_t step = nice_step(g.max), top = (g.max + step - 1) / step * step;
	top = top ? top : step;
	fprintf(out, "<svg id=\"trend-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		     "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"distinct secrets "
		     "first seen per period, stacked by rule\">\n", CW, CH, CW, CH);
	trend_axes(&g, kind, top, out);
	trend_bars(&g, kind, top, out);
	trend_valid(&g, top, out);
	fprintf(out, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#999\"/>\n</svg>\n", ML,
		CW - MR, CH - MB, CH - MB);
	trend_legend(&g, out);
	free(g.count);
	free(g.valid);
}

/* ---- horizontal bars: where secrets sit ---- */

static void hbar_chart(const char *id, const char *title, const struct pl_stats_where *w,
		       size_t n, FILE *out)
{
	n = n > HBAR_MAX ? HBAR_MAX : n;
	fprintf(out, "<h2>%s</h2>\n", title);
	if (!n) {
		fputs("<p class=\"muted\">No occurrences.</p>\n", out);
		return;
	}
	uint64_t max = 1;
	for (size_t i = 0; i < n; i++)
		max = w[i].secrets > max ? w[i].secrets : max;
	int row = 26, left = 140, width = 720, h = (int)n * row + 10;
	fprintf(out, "<svg id=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		     "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\">\n", id, left + width + 80, h,
		left + width + 80, h, title);
	for (size_t i = 0; i < n; i++) {
		double bw = (double)width * (double)w[i].secrets / (double)max;
		int y = 5 + (int)i * row;
		fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", left - 8, y + 15);
		esc(w[i].key[0] ? w[i].key : "(none)", out);
		fprintf(out, "</text><rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
			     "fill=\"%s\"><title>%" PRIu64 " secrets, %" PRIu64 " occurrences</title>"
			     "</rect><text x=\"%.1f\" y=\"%d\">%" PRIu64 "</text>\n",
			left, y, bw < 1 ? 1 : bw, row - 8, palette[i % 8], w[i].secrets, w[i].occurrences,
			left + (bw < 1 ? 1 : bw) + 6, y + 15, w[i].secrets);
	}
	fputs("</svg>\n", out);
}

/* ---- tables ---- */

static void cell(const char *s, FILE *out)
{
	fputs("<td>", out);
	esc(s, out);
	fputs("</td>", out);
}

static void ncell(uint64_t v, FILE *out)
{
	fprintf(out, "<td class=\"n\">%" PRIu64 "</td>", v);
}

static void head_row(const char *const *cols, size_t n, unsigned numeric, FILE *out)
{
	fputs("<table><thead><tr>", out);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "<th%s>%s</th>", (numeric >> i) & 1 ? " class=\"n\"" : "", cols[i]);
	fputs("</tr></thead><tbody>\n", out);
}

static void headline_cards(const struct pl_stats_headline *h, FILE *out)
{
	const char *names[] = {"unique secrets", "occurrences", "artifacts scanned",
			       "projects scanned", "projects with a secret", "kinds of secret",
			       "valid", "invalid", "unknown", "unchecked"};
	uint64_t vals[] = {h->secrets, h->occurrences, h->artifacts, h->projects,
			   h->projects_with_secrets, h->kinds, h->valid, h->invalid,
			   h->unknown, h->unchecked};
	fputs("<h2>Headline</h2><div class=\"cards\" id=\"headline\">\n", out);
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		fprintf(out, "<div class=\"card\"><b>%" PRIu64 "</b>%s</div>\n", vals[i], names[i]);
	fputs("</div>\n", out);
}

static void rules_table(const struct pl_stats *s, FILE *out)
{
	static const char *const cols[] = {"rule", "unique secrets", "occurrences", "projects",
					   "valid"};
	fputs("<h2>Per rule</h2>\n", out);
	head_row(cols, 5, 0x1e, out);
	for (size_t i = 0; i < s->nrules; i++) {
		fputs("<tr>", out);
		cell(s->rules[i].rule, out);
		ncell(s->rules[i].secrets, out);
		ncell(s->rules[i].occurrences, out);
		ncell(s->rules[i].projects, out);
		ncell(s->rules[i].valid, out);
		fputs("</tr>\n", out);
	}
	fputs("</tbody></table>\n", out);
}

static void trends_table(const struct pl_stats *s, FILE *out)
{
	static const char *const cols[] = {"period", "rule", "unique secrets", "valid"};
	fputs("<details><summary>The numbers</summary>\n", out);
	head_row(cols, 4, 0xc, out);
	for (size_t i = 0; i < s->ntrends; i++) {
		fputs("<tr>", out);
		cell(s->trends[i].period, out);
		cell(s->trends[i].rule, out);
		ncell(s->trends[i].secrets, out);
		ncell(s->trends[i].valid, out);
		fputs("</tr>\n", out);
	}
	fputs("</tbody></table></details>\n", out);
}

static void where_table(const char *key, const struct pl_stats_where *w, size_t n, FILE *out)
{
	const char *cols[] = {key, "unique secrets", "occurrences"};
	head_row(cols, 3, 0x6, out);
	for (size_t i = 0; i < n; i++) {
		fputs("<tr>", out);
		cell(w[i].key[0] ? w[i].key : "(none)", out);
		ncell(w[i].secrets, out);
		ncell(w[i].occurrences, out);
		fputs("</tr>\n", out);
	}
	fputs("</tbody></table>\n", out);
}

static void persist_row(const struct pl_stats *s, const struct pl_study_options *o, size_t i,
			FILE *out)
{
	const struct pl_stats_persist *p = &s->persist[i];
	char *owned, d1[32], d2[32];
	pl_study_date(p->first_time, d1);
	pl_study_date(p->last_time, d2);
	fputs("<tr>", out);
	cell(p->rule, out);
	fputs("<td><code>", out);
	esc(pl_study_secret(s, o, i, &owned), out);
	fputs("</code></td>", out);
	fputs("<td>", out);
	esc(p->ecosystem, out);
	fputs("/", out);
	esc(p->project, out);
	fputs("</td>", out);
	char *first = pl_xasprintf("%s (%s)", p->first_version, d1);
	char *last = pl_xasprintf("%s (%s)", p->last_version, d2);
	cell(first, out);
	cell(last, out);
	ncell(p->releases, out);
	cell(p->newest_version, out);
	cell(p->still ? "yes" : "no", out);
	cell(pl_study_state(p), out);
	char after[32];
	pl_study_valid_after(p, after);
	cell(after, out);
	fputs("</tr>\n", out);
	free(first);
	free(last);
	free(owned);
}

static void persist_table(const struct pl_stats *s, const struct pl_study_options *o, FILE *out)
{
	static const char *const cols[] = {"rule", "secret", "project", "first release",
					   "last release", "releases", "newest release",
					   "still there", "disclosure", "still valid after"};
	fputs("<h2>Persistence</h2>\n", out);
	head_row(cols, 10, 0x20, out);
	for (size_t i = 0; i < s->npersist; i++)
		persist_row(s, o, i, out);
	fputs("</tbody></table>\n", out);
}

static void artifacts_table(const struct pl_stats *s, FILE *out)
{
	static const char *const cols[] = {"ecosystem", "project", "version", "file", "uploaded",
					   "status", "secrets", "occurrences"};
	fputs("<h2>Artifacts</h2>\n", out);
	head_row(cols, 8, 0xc0, out);
	for (size_t i = 0; i < s->nartifacts; i++) {
		const struct pl_stats_artifact *a = &s->artifacts[i];
		char d[32];
		pl_study_date(a->upload_time, d);
		fputs("<tr>", out);
		const char *cells[] = {a->ecosystem, a->project, a->version, a->filename, d, a->status};
		for (size_t k = 0; k < 6; k++)
			cell(cells[k], out);
		ncell(a->secrets, out);
		ncell(a->occurrences, out);
		fputs("</tr>\n", out);
	}
	fputs("</tbody></table>\n", out);
}

static void page_head(const struct pl_study_options *o, FILE *out)
{
	fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		     "<meta name=\"generator\" content=\"pkgleaks %s\">"
		     "<title>pkgleaks report</title><style>%s</style></head><body>\n"
		     "<h1>Secrets in packages: pkgleaks report</h1>\n<p class=\"muted\">Store ",
		PKGLEAKS_VERSION, css);
	esc(o->store_name, out);
	fputs(" (", out);
	esc(o->backend, out);
	fputs(")", out);
	const struct pl_stats_filter *f = o->filter;
	if (f && f->ecosystem) {
		fputs("; ecosystem ", out);
		esc(f->ecosystem, out);
	}
	if (f && f->project) {
		fputs("; project ", out);
		esc(f->project, out);
	}
	char d[32];
	if (f && f->since >= 0) {
		pl_study_date(f->since, d);
		fprintf(out, "; uploaded from %s", d);
	}
	if (f && f->until >= 0) {
		pl_study_date(f->until, d);
		fprintf(out, "; uploaded before %s", d);
	}
	fputs(".</p>\n", out);
}

int pl_study_html(const struct pl_stats *s, const struct pl_study_options *o, FILE *out)
{
	enum pl_period kind = o->filter ? o->filter->period : PL_PERIOD_MONTH;
	page_head(o, out);
	if (o->tables & PL_STUDY_HEADLINE)
		headline_cards(&s->headline, out);
	if (o->tables & PL_STUDY_TRENDS) {
		trend_chart(s, kind, out);
		trends_table(s, out);
	}
	if (o->tables & PL_STUDY_RULES)
		rules_table(s, out);
	if (o->tables & PL_STUDY_KINDS) {
		hbar_chart("kind-chart", "Where: unique secrets by path kind", s->kinds, s->nkinds, out);
		where_table("path kind", s->kinds, s->nkinds, out);
	}
	if (o->tables & PL_STUDY_EXTENSIONS) {
		hbar_chart("ext-chart", "Where: unique secrets by file extension", s->extensions,
			   s->nextensions, out);
		where_table("extension", s->extensions, s->nextensions, out);
	}
	if (o->tables & PL_STUDY_PERSISTENCE)
		persist_table(s, o, out);
	if (o->tables & PL_STUDY_ARTIFACTS)
		artifacts_table(s, out);
	fputs("</body></html>\n", out);
	return pl_report_flush(out);
}
