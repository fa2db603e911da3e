/* What `pkgleaks validate` re-checks (issue 6): the stored secrets whose
 * newest validation is old enough (or that were never validated), with
 * what the command prints about each. Every check is then written back with
 * pl_store_add_validation (store.c), one row per check with its time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkgleaks/error.h"
#include "store/store_int.h"
#include "util/alloc.h"

/* lv: each secret's newest check. Secrets with a raw value come first, then
 * the never checked, then the longest unchecked; the fingerprint breaks ties,
 * so both back ends pick the same secrets under a limit. */
static const char select_sql[] =
	"WITH lv AS (SELECT secret_id, MAX(checked_at) AS last FROM validations GROUP BY secret_id)"
	" SELECT s.fingerprint, s.rule, s.redacted,"
	" CASE WHEN s.sealed IS NULL THEN 0 ELSE 1 END, lv.last,"
	" (SELECT MIN(a.upload_time) FROM occurrences o JOIN artifacts a ON a.id = o.artifact_id"
	" WHERE o.secret_id = s.id)"
	" FROM secrets s LEFT JOIN lv ON lv.secret_id = s.id"
	" WHERE (CAST($1 AS BIGINT) IS NULL OR lv.last IS NULL OR lv.last <= $1)"
	" AND (CAST($2 AS TEXT) IS NULL OR s.rule = $2)"
	" ORDER BY CASE WHEN s.sealed IS NULL THEN 1 ELSE 0 END, COALESCE(lv.last, -1),"
	" s.fingerprint";

struct take {
	struct pl_stored_secret *items;
	size_t n, cap;
};

static int take_secret(void *ctx, size_t ncols, const char *const *v)
{
	struct take *t = ctx;
	if (ncols < 6 || !v[0] || strlen(v[0]) != 64)
		return pl_error_set(PL_EIO, "store: unexpected row in the secrets table");
	pl_xgrow((void **)&t->items, &t->cap, t->n + 1, sizeof(*t->items));
	struct pl_stored_secret *s = &t->items[t->n++];
	memset(s, 0, sizeof(*s));
	memcpy(s->fingerprint, v[0], 65);
	s->rule = pl_xstrdup(v[1] ? v[1] : "");
	s->redacted = pl_xstrdup(v[2] ? v[2] : "");
	s->has_raw = pl_store_int(v[3], 0) != 0;
	s->last_checked = pl_store_int(v[4], -1);
	s->first_seen = pl_store_int(v[5], -1);
	return 0;
}

int pl_store_secrets_to_validate(struct pl_store *st, const struct pl_stored_secret_filter *f,
				 struct pl_stored_secret **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	struct pl_sql_value p[] = {pl_sql_int_or_null(f->checked_before), pl_sql_text(f->rule)};
	/* Numbers may be pasted into SQL (store_int.h); a parameter in LIMIT
	 * would need a dialect each. */
	char *sql = f->limit ? pl_xasprintf("%s LIMIT %llu", select_sql, (unsigned long long)f->limit)
			     : pl_xstrdup(select_sql);
	struct take t = {0};
	int rc = pl_store_query(st, sql, p, 2, take_secret, &t);
	free(sql);
	if (rc < 0) {
		pl_stored_secrets_free(t.items, t.n);
		return rc;
	}
	*out = t.items;
	*n = t.n;
	return 0;
}

void pl_stored_secrets_free(struct pl_stored_secret *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(s[i].rule);
		free(s[i].redacted);
	}
	free(s);
}

int pl_store_add_validations(struct pl_store *st, const struct pl_validation_record *r, size_t n)
{
	if (!n)
		return 0;
	int rc = pl_store_begin(st);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = pl_store_add_validation(st, r[i].fingerprint, r[i].checked_at, r[i].status,
					     r[i].detail);
	if (rc == 0)
		return pl_store_commit(st);
	pl_store_rollback(st);
	return rc;
}
