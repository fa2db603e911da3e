/* JSON (one document) and JSON Lines (one finding per line) reports. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pkgleaks/error.h"
#include "report/report_int.h"
#include "util/escape.h"

/* jansson fails only on allocation once strings are valid UTF-8. */
static void json_oom(void)
{
	fprintf(stderr, "pkgleaks: out of memory (building JSON)\n");
	abort();
}

static json_t *must(json_t *v)
{
	if (!v)
		json_oom();
	return v;
}

json_t *pl_json_str(const char *s)
{
	if (!s)
		return must(json_null());
	json_t *v = json_string(s);
	if (v)
		return v;
	/* Not valid UTF-8 (a raw archive member name): escape the bad bytes. */
	char *esc = pl_escape(s, strlen(s));
	v = json_string(esc);
	free(esc);
	return must(v);
}

json_t *pl_json_uint(uint64_t n)
{
	/* json_int_t is signed; counts never reach 2^63, but clamp, not wrap. */
	return must(json_integer(n > INT64_MAX ? INT64_MAX : (json_int_t)n));
}

json_t *pl_json_obj(void)
{
	return must(json_object());
}

json_t *pl_json_arr(void)
{
	return must(json_array());
}

void pl_json_set(json_t *obj, const char *key, json_t *value)
{
	if (json_object_set_new(obj, key, must(value)) != 0)
		json_oom();
}

void pl_json_push(json_t *arr, json_t *value)
{
	if (json_array_append_new(arr, must(value)) != 0)
		json_oom();
}

int pl_json_dump(json_t *doc, FILE *out, size_t flags)
{
	int rc = json_dumpf(doc, out, flags);
	json_decref(doc);
	if (rc != 0 || fputc('\n', out) == EOF)
		return pl_error_set(PL_EIO, "cannot write the report");
	return 0;
}

/* ---- one finding ---- */

static json_t *positions(const struct pl_finding *f)
{
	json_t *arr = pl_json_arr();
	for (size_t i = 0; i < f->npositions; i++) {
		json_t *p = pl_json_obj();
		pl_json_set(p, "line", pl_json_uint(f->positions[i].line));
		pl_json_set(p, "column", pl_json_uint(f->positions[i].column));
		pl_json_push(arr, p);
	}
	return arr;
}

static json_t *references(const struct pl_rule *rule)
{
	json_t *arr = pl_json_arr();
	for (char **ref = rule->references; ref && *ref; ref++)
		pl_json_push(arr, pl_json_str(*ref));
	return arr;
}

json_t *pl_json_details(const struct pl_finding *f)
{
	json_t *o = pl_json_obj();
	for (size_t i = 0; i < f->ndetails; i++)
		pl_json_set(o, f->details[i].key, pl_json_str(f->details[i].value));
	return o;
}

json_t *pl_json_validation(const struct pl_finding *f)
{
	const struct pl_validation *v = f->validation;
	if (!v || v->status == PL_VALIDATION_NONE)
		return NULL;
	json_t *o = pl_json_obj(), *d = pl_json_obj();
	pl_json_set(o, "status", pl_json_str(pl_validation_status_name(v->status)));
	pl_json_set(o, "reason", pl_json_str(v->reason));
	char when[32] = "";
	time_t t = (time_t)v->checked_at;
	struct tm tm;
	if (v->checked_at > 0 && gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	pl_json_set(o, "checked_at", pl_json_str(when[0] ? when : NULL));
	pl_json_set(o, "cached", must(json_boolean(v->cached)));
	for (size_t i = 0; i < v->ndetails; i++)
		pl_json_set(d, v->details[i].key, pl_json_str(v->details[i].value));
	pl_json_set(o, "details", d);
	return o;
}

json_t *pl_json_encoding(const struct pl_finding *f)
{
	return pl_json_str(f->encoding && f->encoding[0] ? f->encoding : NULL);
}

static json_t *finding(const struct pl_report *r, const struct pl_finding *f)
{
	json_t *o = pl_json_obj();
	struct pl_position first = pl_report_first(f);
	char *secret = pl_finding_display_secret(f, r->opt.show_secrets);
	pl_json_set(o, "rule", pl_json_str(f->rule->id));
	pl_json_set(o, "name", pl_json_str(f->rule->name));
	pl_json_set(o, "secret", pl_json_str(secret));
	pl_json_set(o, "fingerprint", pl_json_str(f->fingerprint));
	pl_json_set(o, "source", pl_json_str(f->source));
	pl_json_set(o, "path", pl_json_str(f->path ? f->path : ""));
	pl_json_set(o, "line", pl_json_uint(first.line));
	pl_json_set(o, "column", pl_json_uint(first.column));
	pl_json_set(o, "confidence", pl_json_str(pl_confidence_name(f->rule->confidence)));
	pl_json_set(o, "path_kind", pl_json_str(f->path_kind));
	pl_json_set(o, "encoding", pl_json_encoding(f));
	pl_json_set(o, "details", pl_json_details(f));
	json_t *validation = pl_json_validation(f);
	if (validation)
		pl_json_set(o, "validation", validation);
	pl_json_set(o, "locations", positions(f));
	pl_json_set(o, "remediation", pl_json_str(f->rule->remediation));
	pl_json_set(o, "references", references(f->rule));
	free(secret);
	return o;
}

/* ---- the document ---- */

static json_t *problems(const struct pl_report *r, int warnings)
{
	json_t *arr = pl_json_arr();
	for (size_t i = 0; i < r->nerrors; i++) {
		const struct pl_report_error *e = &r->errors[i];
		if (!e->warning != !warnings)
			continue;
		json_t *o = pl_json_obj();
		pl_json_set(o, "source", pl_json_str(e->source));
		pl_json_set(o, "path", pl_json_str(e->path));
		pl_json_set(o, "reason", pl_json_str(e->reason));
		pl_json_push(arr, o);
	}
	return arr;
}

static json_t *summary(const struct pl_report *r)
{
	struct pl_report_totals t;
	pl_report_totals(r, &t);
	json_t *o = pl_json_obj();
	pl_json_set(o, "secrets", pl_json_uint(t.secrets));
	pl_json_set(o, "occurrences", pl_json_uint(t.occurrences));
	pl_json_set(o, "files_with_findings", pl_json_uint(t.files_with_findings));
	pl_json_set(o, "files", pl_json_uint(r->files));
	pl_json_set(o, "errors", pl_json_uint(t.errors));
	pl_json_set(o, "warnings", pl_json_uint(t.warnings));
	pl_json_set(o, "bytes", pl_json_uint(r->bytes));
	pl_json_set(o, "seconds", must(json_real(r->seconds)));
	return o;
}

static int write_json(const struct pl_report *r, FILE *out)
{
	json_t *doc = pl_json_obj();
	json_t *arr = pl_json_arr();
	for (size_t i = 0; i < r->nfindings; i++)
		pl_json_push(arr, finding(r, r->findings[i]));
	pl_json_set(doc, "version", pl_json_str(PKGLEAKS_VERSION));
	pl_json_set(doc, "ruleset", pl_json_str(r->ruleset_version));
	pl_json_set(doc, "findings", arr);
	pl_json_set(doc, "errors", problems(r, 0));
	pl_json_set(doc, "warnings", problems(r, 1));
	pl_json_set(doc, "summary", summary(r));
	int rc = pl_json_dump(doc, out, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
	return rc < 0 ? rc : pl_report_flush(out);
}

/* Errors are not lines here: a JSONL consumer reads findings only, and the
 * errors already went to stderr as they happened. */
static int write_jsonl(const struct pl_report *r, FILE *out)
{
	for (size_t i = 0; i < r->nfindings; i++) {
		int rc = pl_json_dump(finding(r, r->findings[i]), out, JSON_COMPACT);
		if (rc < 0)
			return rc;
	}
	return pl_report_flush(out);
}

const struct pl_report_ops pl_report_json = { .name = "json", .write = write_json };
const struct pl_report_ops pl_report_jsonl = { .name = "jsonl", .write = write_jsonl };
