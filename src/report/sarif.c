/* SARIF 2.1.0, for code-scanning dashboards. One run; rules[] holds only the
 * rules that have findings; each finding is one result whose first position
 * is its location and whose other positions are related locations. Checked
 * against the OASIS schema by tests/unit/test_report.c. */
#include <stdlib.h>
#include <string.h>

#include "report/report_int.h"
#include "util/alloc.h"
#include "util/buf.h"

#define PL_SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"
/* Viewers slow down on results with thousands of related locations; the
 * JSON report lists every position, and occurrenceCount says how many. */
#define PL_SARIF_MAX_RELATED 100

static const char *level_for(enum pl_confidence c)
{
	switch (c) {
	case PL_CONF_HIGH:
		return "error";
	case PL_CONF_MEDIUM:
		return "warning";
	case PL_CONF_LOW:
		break;
	}
	return "note";
}

static json_t *text_message(const char *text)
{
	json_t *m = pl_json_obj();
	pl_json_set(m, "text", pl_json_str(text));
	return m;
}

/* A relative URI reference: every byte but unreserved ones and '/' is
 * percent-encoded (spaces, non-ASCII, '%', '#', '?', and ':' which would
 * otherwise read as a scheme). */
static int uri_keeps(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("-._~/", c));
}

static char *uri_encode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	struct pl_buf b;
	pl_buf_init(&b, 0);
	/* Appends cannot fail: the buffer has no cap (the source name is bounded). */
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (uri_keeps(*p)) {
			(void)pl_buf_append(&b, p, 1);
		} else {
			char esc[3] = { '%', hex[*p >> 4], hex[*p & 0xf] };
			(void)pl_buf_append(&b, esc, 3);
		}
	}
	return pl_buf_detach(&b);
}

/* ---- rules ---- */

static int is_web_uri(const char *s)
{
	return s && (strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0) &&
	       !strpbrk(s, " \t\r\n\"<>\\^`{|}");
}

static json_t *rule_descriptor(const struct pl_rule *rule)
{
	json_t *o = pl_json_obj(), *conf = pl_json_obj(), *props = pl_json_obj();
	pl_json_set(o, "id", pl_json_str(rule->id));
	pl_json_set(o, "name", pl_json_str(rule->name));
	pl_json_set(o, "shortDescription", text_message(rule->name));
	if (rule->references && is_web_uri(rule->references[0]))
		pl_json_set(o, "helpUri", pl_json_str(rule->references[0]));
	if (rule->remediation)
		pl_json_set(o, "help", text_message(rule->remediation));
	pl_json_set(conf, "level", pl_json_str(level_for(rule->confidence)));
	pl_json_set(o, "defaultConfiguration", conf);
	pl_json_set(props, "confidence", pl_json_str(pl_confidence_name(rule->confidence)));
	pl_json_set(o, "properties", props);
	return o;
}

/* The rules that have findings, sorted by id, so ruleIndex is stable. */
struct rule_table {
	const struct pl_rule **v;
	size_t n;
};

static int cmp_rule(const void *a, const void *b)
{
	return strcmp((*(const struct pl_rule *const *)a)->id,
		      (*(const struct pl_rule *const *)b)->id);
}

static void rule_table_build(const struct pl_report *r, struct rule_table *t)
{
	t->v = pl_xmalloc((r->nfindings ? r->nfindings : 1) * sizeof(*t->v));
	for (size_t i = 0; i < r->nfindings; i++)
		t->v[i] = r->findings[i]->rule;
	qsort(t->v, r->nfindings, sizeof(*t->v), cmp_rule);
	t->n = 0;
	for (size_t i = 0; i < r->nfindings; i++)
		if (t->n == 0 || cmp_rule(&t->v[t->n - 1], &t->v[i]) != 0)
			t->v[t->n++] = t->v[i];
}

static size_t rule_index(const struct rule_table *t, const struct pl_rule *rule)
{
	const struct pl_rule **hit = bsearch(&rule, t->v, t->n, sizeof(*t->v), cmp_rule);
	return hit ? (size_t)(hit - t->v) : 0;
}

static json_t *rules_array(const struct rule_table *t)
{
	json_t *arr = pl_json_arr();
	for (size_t i = 0; i < t->n; i++)
		pl_json_push(arr, rule_descriptor(t->v[i]));
	return arr;
}

/* ---- locations ---- */

static json_t *physical(const char *source, const struct pl_position *p)
{
	json_t *phys = pl_json_obj(), *art = pl_json_obj();
	char *uri = uri_encode(source);
	pl_json_set(art, "uri", pl_json_str(uri));
	free(uri);
	pl_json_set(phys, "artifactLocation", art);
	if (p && p->line) {
		json_t *region = pl_json_obj();
		pl_json_set(region, "startLine", pl_json_uint(p->line));
		if (p->column)
			pl_json_set(region, "startColumn", pl_json_uint(p->column));
		pl_json_set(phys, "region", region);
	}
	return phys;
}

/* The member inside an archive has no URI of its own: name it logically. */
static json_t *member(const char *source, const char *path)
{
	json_t *arr = pl_json_arr(), *o = pl_json_obj();
	char *full = pl_xasprintf("%s!/%s", source, path);
	pl_json_set(o, "name", pl_json_str(path));
	pl_json_set(o, "fullyQualifiedName", pl_json_str(full));
	pl_json_set(o, "kind", pl_json_str("resource"));
	free(full);
	pl_json_push(arr, o);
	return arr;
}

/* id < 0 leaves the location without an id. */
static json_t *location(const char *source, const char *path, const struct pl_position *p,
			long id)
{
	json_t *loc = pl_json_obj();
	if (id >= 0)
		pl_json_set(loc, "id", json_integer(id));
	pl_json_set(loc, "physicalLocation", physical(source, p));
	if (path && path[0])
		pl_json_set(loc, "logicalLocations", member(source, path));
	return loc;
}

/* ---- results ---- */

static json_t *related(const struct pl_finding *f)
{
	json_t *arr = pl_json_arr();
	size_t n = f->npositions < PL_SARIF_MAX_RELATED + 1 ? f->npositions : PL_SARIF_MAX_RELATED + 1;
	for (size_t i = 1; i < n; i++)
		pl_json_push(arr, location(f->source, f->path, &f->positions[i], (long)i));
	return arr;
}

/* What pkgleaks knows beyond SARIF's own fields, named as the JSON report
 * names them (path_kind is pathKind here, SARIF's camelCase). */
static json_t *result_properties(const struct pl_finding *f)
{
	json_t *props = pl_json_obj();
	pl_json_set(props, "details", pl_json_details(f));
	json_t *validation = pl_json_validation(f);
	if (validation)
		pl_json_set(props, "validation", validation);
	pl_json_set(props, "encoding", pl_json_encoding(f));
	pl_json_set(props, "pathKind", pl_json_str(f->path_kind));
	return props;
}

static json_t *result(const struct pl_report *r, const struct pl_finding *f, size_t rule_idx)
{
	json_t *res = pl_json_obj(), *locs = pl_json_arr(), *fps = pl_json_obj();
	struct pl_position first = pl_report_first(f);
	char *secret = pl_finding_display_secret(f, r->opt.show_secrets);
	char *text = pl_xasprintf("%s: %s", f->rule->name, secret);
	pl_json_set(res, "ruleId", pl_json_str(f->rule->id));
	pl_json_set(res, "ruleIndex", pl_json_uint(rule_idx));
	pl_json_set(res, "level", pl_json_str(level_for(f->rule->confidence)));
	pl_json_set(res, "message", text_message(text));
	pl_json_push(locs, location(f->source, f->path, &first, -1));
	pl_json_set(res, "locations", locs);
	if (f->npositions > 1) {
		pl_json_set(res, "relatedLocations", related(f));
		pl_json_set(res, "occurrenceCount", pl_json_uint(f->npositions));
	}
	pl_json_set(fps, "pkgleaks/v1", pl_json_str(f->fingerprint));
	pl_json_set(res, "partialFingerprints", fps);
	pl_json_set(res, "properties", result_properties(f));
	free(text);
	free(secret);
	return res;
}

static json_t *results_array(const struct pl_report *r, const struct rule_table *t)
{
	json_t *arr = pl_json_arr();
	for (size_t i = 0; i < r->nfindings; i++)
		pl_json_push(arr, result(r, r->findings[i], rule_index(t, r->findings[i]->rule)));
	return arr;
}

/* ---- the run ---- */

static json_t *notification(const struct pl_report_error *e)
{
	json_t *n = pl_json_obj(), *locs = pl_json_arr();
	pl_json_set(n, "level", pl_json_str(e->warning ? "warning" : "error"));
	pl_json_set(n, "message", text_message(e->reason));
	pl_json_push(locs, location(e->source, e->path, NULL, -1));
	pl_json_set(n, "locations", locs);
	return n;
}

/* Per-file errors do not fail the run: the rest of the scan is complete. */
static json_t *invocations(const struct pl_report *r)
{
	json_t *arr = pl_json_arr(), *inv = pl_json_obj(), *notes = pl_json_arr();
	pl_json_set(inv, "executionSuccessful", json_true());
	for (size_t i = 0; i < r->nerrors; i++)
		pl_json_push(notes, notification(&r->errors[i]));
	pl_json_set(inv, "toolExecutionNotifications", notes);
	pl_json_push(arr, inv);
	return arr;
}

static json_t *tool(const struct pl_report *r, const struct rule_table *t)
{
	json_t *tl = pl_json_obj(), *driver = pl_json_obj();
	pl_json_set(driver, "name", pl_json_str("pkgleaks"));
	pl_json_set(driver, "version", pl_json_str(PKGLEAKS_VERSION));
	pl_json_set(driver, "informationUri", pl_json_str(PKGLEAKS_URL));
	pl_json_set(driver, "rules", rules_array(t));
	if (r->ruleset_version) {
		json_t *props = pl_json_obj();
		pl_json_set(props, "ruleset", pl_json_str(r->ruleset_version));
		pl_json_set(driver, "properties", props);
	}
	pl_json_set(tl, "driver", driver);
	return tl;
}

static int write_sarif(const struct pl_report *r, FILE *out)
{
	struct rule_table t;
	rule_table_build(r, &t);
	json_t *doc = pl_json_obj(), *runs = pl_json_arr(), *run = pl_json_obj();
	pl_json_set(run, "tool", tool(r, &t));
	pl_json_set(run, "invocations", invocations(r));
	pl_json_set(run, "results", results_array(r, &t));
	pl_json_push(runs, run);
	pl_json_set(doc, "$schema", pl_json_str(PL_SARIF_SCHEMA));
	pl_json_set(doc, "version", pl_json_str("2.1.0"));
	pl_json_set(doc, "runs", runs);
	free(t.v);
	int rc = pl_json_dump(doc, out, JSON_INDENT(2));
	return rc < 0 ? rc : pl_report_flush(out);
}

const struct pl_report_ops pl_report_sarif = { .name = "sarif", .write = write_sarif };
