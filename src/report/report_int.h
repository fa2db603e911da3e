/* Shared by the report backends (text, json, sarif); not public API.
 *
 * Names that came from packages (source, path, error reasons) are stored raw
 * and escaped only when written: for people with pl_escape, in JSON only when
 * they are not valid UTF-8 (JSON itself escapes control characters). */
#ifndef PL_REPORT_INT_H
#define PL_REPORT_INT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pkgleaks/report.h"

/* Set by the build (meson.build); a default keeps single files compilable. */
#ifndef PKGLEAKS_VERSION
#define PKGLEAKS_VERSION "unknown"
#endif
#ifndef PKGLEAKS_URL
#define PKGLEAKS_URL "https://github.com/pkgleaks/pkgleaks"
#endif

/* Counts for the summary line and the JSON summary. */
struct pl_report_totals {
	size_t secrets;             /* distinct fingerprints */
	size_t occurrences;         /* positions over all findings */
	size_t files_with_findings; /* distinct (source, path) */
	size_t errors, warnings;
};
void pl_report_totals(const struct pl_report *r, struct pl_report_totals *t);

/* The first position of f, or {0, 0} when it has none. */
struct pl_position pl_report_first(const struct pl_finding *f);

/* "source!/path" (or "source" when path is empty), escaped for a terminal;
 * the caller frees. */
char *pl_report_location_escaped(const char *source, const char *path);

/* Flushes out; PL_EIO when anything written to it failed (one check at the
 * end instead of one per fprintf: stdio errors are sticky). */
int pl_report_flush(FILE *out);

/* JSON building (json.c). Every string is made valid UTF-8 before jansson
 * sees it, so the only failure left is out-of-memory, which aborts. */
json_t *pl_json_str(const char *s); /* NULL gives JSON null */
json_t *pl_json_uint(uint64_t n);
void pl_json_set(json_t *obj, const char *key, json_t *value);  /* steals value */
void pl_json_push(json_t *arr, json_t *value);                  /* steals value */
json_t *pl_json_obj(void);
json_t *pl_json_arr(void);
/* A finding's details as one object ({} when none; a repeated key keeps
 * its last value), and its encoding as a string or null for plain text. */
json_t *pl_json_details(const struct pl_finding *f);
json_t *pl_json_encoding(const struct pl_finding *f);
/* The issuer's answer ({"status", "reason", "checked_at", "cached",
 * "details"}), or NULL when the finding was not validated. */
json_t *pl_json_validation(const struct pl_finding *f);
/* Dumps doc and a newline to out (no flush), then drops doc; PL_EIO on
 * failure. */
int pl_json_dump(json_t *doc, FILE *out, size_t flags);

#endif
