/* Baselines: the fingerprints of findings already known, so that a CI run
 * fails only on new ones. File format (sorted, unique, lowercase hex):
 *   {"pkgleaks_baseline": 1, "fingerprints": ["<64 hex>", ...]} */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pkgleaks/error.h"
#include "report/report_int.h"
#include "util/alloc.h"

/* Two million fingerprints fit in well under this; anything bigger is not a
 * baseline, and jansson would hold it all in memory. */
#define PL_BASELINE_MAX_BYTES (256u << 20)
#define PL_BASELINE_VERSION 1

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static json_t *sorted_fingerprints(const struct pl_report *r)
{
	const char **v = pl_xmalloc((r->nfindings ? r->nfindings : 1) * sizeof(*v));
	for (size_t i = 0; i < r->nfindings; i++)
		v[i] = r->findings[i]->fingerprint;
	qsort(v, r->nfindings, sizeof(*v), cmp_str);
	json_t *arr = pl_json_arr();
	for (size_t i = 0; i < r->nfindings; i++)
		if (i == 0 || strcmp(v[i - 1], v[i]) != 0)
			pl_json_push(arr, pl_json_str(v[i]));
	free(v);
	return arr;
}

int pl_report_write_baseline(const struct pl_report *r, const char *path)
{
	FILE *fp = fopen(path, "w");
	if (!fp)
		return pl_error_set(PL_EIO, "cannot create baseline %s: %s", path, strerror(errno));
	json_t *doc = pl_json_obj();
	pl_json_set(doc, "pkgleaks_baseline", pl_json_uint(PL_BASELINE_VERSION));
	pl_json_set(doc, "fingerprints", sorted_fingerprints(r));
	int rc = pl_json_dump(doc, fp, JSON_INDENT(2));
	if (rc == 0 && ferror(fp))
		rc = pl_error_set(PL_EIO, "cannot write baseline %s", path);
	if (fclose(fp) != 0 && rc == 0)
		rc = pl_error_set(PL_EIO, "cannot write baseline %s: %s", path, strerror(errno));
	return rc;
}

/* ---- reading ---- */

static int open_baseline(const char *path, FILE **out)
{
	FILE *fp = fopen(path, "rb");
	if (!fp && errno == ENOENT)
		return pl_error_set(PL_ENOTFOUND, "baseline %s does not exist", path);
	if (!fp)
		return pl_error_set(PL_EIO, "cannot open baseline %s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fileno(fp), &st) != 0 || S_ISDIR(st.st_mode)) {
		fclose(fp);
		return pl_error_set(PL_EIO, "cannot read baseline %s: not a file", path);
	}
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > PL_BASELINE_MAX_BYTES) {
		fclose(fp);
		return pl_error_set(PL_ELIMIT, "baseline %s is larger than %u MiB", path,
				    PL_BASELINE_MAX_BYTES >> 20);
	}
	*out = fp;
	return 0;
}

static int load_baseline(const char *path, json_t **out)
{
	FILE *fp = NULL;
	int rc = open_baseline(path, &fp);
	if (rc < 0)
		return rc;
	json_error_t err;
	json_t *doc = json_loadf(fp, JSON_REJECT_DUPLICATES, &err);
	int read_failed = ferror(fp);
	fclose(fp);
	if (read_failed) {
		json_decref(doc);
		return pl_error_set(PL_EIO, "cannot read baseline %s", path);
	}
	if (!doc)
		return pl_error_set(PL_EFORMAT, "baseline %s is not valid JSON (line %d: %s)", path,
				    err.line, err.text);
	*out = doc;
	return 0;
}

static int is_fingerprint(const json_t *v)
{
	const char *s = json_string_value(v);
	if (!s || strlen(s) != 64)
		return 0;
	return strspn(s, "0123456789abcdef") == 64;
}

/* Checks the shape and returns the fingerprints array (borrowed from doc). */
static int check_baseline(const char *path, json_t *doc, json_t **fps)
{
	json_t *ver = json_object_get(doc, "pkgleaks_baseline");
	if (!json_is_integer(ver))
		return pl_error_set(PL_EFORMAT,
				    "baseline %s is not a pkgleaks baseline (no \"pkgleaks_baseline\": 1)",
				    path);
	if (json_integer_value(ver) != PL_BASELINE_VERSION)
		return pl_error_set(PL_EFORMAT, "baseline %s has version %lld; this pkgleaks reads %d",
				    path, (long long)json_integer_value(ver), PL_BASELINE_VERSION);
	*fps = json_object_get(doc, "fingerprints");
	if (!json_is_array(*fps))
		return pl_error_set(PL_EFORMAT, "baseline %s has no \"fingerprints\" array", path);
	for (size_t i = 0; i < json_array_size(*fps); i++)
		if (!is_fingerprint(json_array_get(*fps, i)))
			return pl_error_set(PL_EFORMAT,
					    "baseline %s: fingerprint %zu is not 64 lowercase hex digits",
					    path, i + 1);
	return 0;
}

/* Removes (and frees) findings listed in the sorted vector; returns how many. */
static size_t drop_listed(struct pl_report *r, const char **v, size_t n)
{
	size_t kept = 0, dropped = 0;
	for (size_t i = 0; i < r->nfindings; i++) {
		struct pl_finding *f = r->findings[i];
		const char *key = f->fingerprint;
		if (n && bsearch(&key, v, n, sizeof(*v), cmp_str)) {
			pl_finding_free(f);
			dropped++;
		} else {
			r->findings[kept++] = f;
		}
	}
	r->nfindings = kept;
	return dropped;
}

int pl_report_apply_baseline(struct pl_report *r, const char *path)
{
	json_t *doc = NULL, *fps = NULL;
	int rc = load_baseline(path, &doc);
	if (rc < 0)
		return rc;
	rc = check_baseline(path, doc, &fps);
	if (rc < 0)
		goto cleanup;
	size_t n = json_array_size(fps);
	const char **v = pl_xmalloc((n ? n : 1) * sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = json_string_value(json_array_get(fps, i));
	/* Sorted on write, but the file may have been edited by hand. */
	qsort(v, n, sizeof(*v), cmp_str);
	size_t dropped = drop_listed(r, v, n);
	free(v);
	rc = dropped > INT_MAX ? INT_MAX : (int)dropped;
cleanup:
	json_decref(doc);
	return rc;
}
