/* Opening a store: choosing the back end, migrating the schema; the query
 * helpers the rest of the module is written with. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkgleaks/error.h"
#include "store/store_int.h"
#include "util/alloc.h"

/* Rows per multi-row INSERT: far under SQLite's 32766 and PostgreSQL's
 * 65535 parameters for the widest row we write. */
#define PL_STORE_BATCH_ROWS 256
/* The largest for a back end that caches statements (SQLite: one process,
 * no round trips). Preparing a statement costs about its length, and each
 * table has one text per power of two up to this: 256 made preparing 1.3%
 * of a scan of the corpus into a fresh store; more statements of fewer
 * rows cost less than that. */
#define PL_STORE_BATCH_ROWS_CACHED 32

static const struct pl_store_ops *const backends[] = {
	&pl_store_postgres_ops,
	&pl_store_sqlite_ops,
};

int pl_store_is_postgres_url(const char *url)
{
	return strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0;
}

/* ---- queries ---- */

int pl_store_query(struct pl_store *st, const char *sql, const struct pl_sql_value *params,
		   size_t nparams, pl_sql_row_fn fn, void *ctx)
{
	return st->ops->query(st->conn, sql, params, nparams, fn, ctx);
}

int pl_store_exec(struct pl_store *st, const char *sql, const struct pl_sql_value *params,
		  size_t nparams)
{
	return st->ops->query(st->conn, sql, params, nparams, NULL, NULL);
}

int pl_store_exec_later(struct pl_store *st, const char *sql, const struct pl_sql_value *params,
			size_t nparams)
{
	if (!st->ops->send)
		return pl_store_exec(st, sql, params, nparams);
	return st->ops->send(st->conn, sql, params, nparams);
}

int pl_store_sync(struct pl_store *st)
{
	return st->ops->sync ? st->ops->sync(st->conn) : 0;
}

int pl_store_error_context(int code, const char *context)
{
	char msg[1024];
	snprintf(msg, sizeof(msg), "%s", pl_error_message());
	return pl_error_set(code, "%s: %s", context, msg);
}

int64_t pl_store_int(const char *s, int64_t def)
{
	if (!s)
		return def;
	errno = 0;
	char *end;
	long long v = strtoll(s, &end, 10);
	return errno || end == s ? def : (int64_t)v;
}

struct one_int {
	int64_t *out;
	int got;
};

static int take_int(void *ctx, size_t ncols, const char *const *v)
{
	struct one_int *o = ctx;
	if (!o->got && ncols > 0) {
		*o->out = pl_store_int(v[0], *o->out);
		o->got = 1;
	}
	return 0;
}

int pl_store_query_int(struct pl_store *st, const char *sql, const struct pl_sql_value *params,
		       size_t nparams, int64_t *out)
{
	struct one_int o = {out, 0};
	int rc = pl_store_query(st, sql, params, nparams, take_int, &o);
	return rc < 0 ? rc : o.got;
}

int pl_store_begin(struct pl_store *st)
{
	if (st->in_tx)
		return pl_error_set(PL_EINVAL, "store: a transaction is already open");
	int rc = pl_store_exec(st, st->ops->begin_sql, NULL, 0);
	st->in_tx = rc == 0;
	return rc;
}

int pl_store_commit(struct pl_store *st)
{
	int rc = pl_store_disclosure_refresh_stale(st);
	if (rc == 0)
		rc = pl_store_exec(st, "COMMIT", NULL, 0);
	if (rc < 0)
		pl_store_rollback(st);
	st->in_tx = 0;
	return rc;
}

void pl_store_rollback(struct pl_store *st)
{
	char msg[1024];
	snprintf(msg, sizeof(msg), "%s", pl_error_message());
	(void)pl_store_sync(st); /* what failed is already reported */
	/* The caller reports the error that made it roll back, not this one. */
	(void)pl_store_exec(st, "ROLLBACK", NULL, 0);
	pl_store_disclosure_stale_clear(st);
	pl_error_set(PL_EIO, "%s", msg);
	st->in_tx = 0;
}

/* "($1, $2), ($3, $4)" for nrows rows of ncols (thousands of placeholders
 * per statement: no printf per number). */
static char *values_sql(const char *prefix, size_t ncols, size_t nrows, const char *suffix)
{
	size_t plen = strlen(prefix), slen = strlen(suffix), n = 1;
	/* "$" + up to 20 digits + ", " per value, "(" ")" ", " per row */
	char *sql = pl_xmalloc(plen + slen + nrows * (ncols * 24 + 4) + 1), *w = sql;
	memcpy(w, prefix, plen);
	w += plen;
	for (size_t r = 0; r < nrows; r++) {
		if (r) {
			memcpy(w, ", ", 2);
			w += 2;
		}
		*w++ = '(';
		for (size_t c = 0; c < ncols; c++, n++) {
			char digits[24];
			size_t k = 0;
			for (size_t v = n; v; v /= 10)
				digits[k++] = (char)('0' + v % 10);
			if (c) {
				memcpy(w, ", ", 2);
				w += 2;
			}
			*w++ = '$';
			while (k)
				*w++ = digits[--k];
		}
		*w++ = ')';
	}
	memcpy(w, suffix, slen + 1);
	return sql;
}

/* Rows in the next multi-row INSERT: PL_STORE_BATCH_ROWS, then the rest in
 * one statement, or, for a back end that caches prepared statements
 * (sqlite.c), in halving powers of two: a few texts, each prepared once. */
static size_t next_batch(const struct pl_store *st, size_t left)
{
	if (!st->ops->caches_statements)
		return left < PL_STORE_BATCH_ROWS ? left : PL_STORE_BATCH_ROWS;
	size_t b = PL_STORE_BATCH_ROWS_CACHED;
	while (b > left)
		b /= 2;
	return b;
}

static int insert_rows(struct pl_store *st, const char *prefix, size_t ncols,
		       const struct pl_sql_value *v, size_t nrows, const char *suffix,
		       pl_sql_row_fn fn, void *ctx, int later)
{
	int rc = 0;
	for (size_t done = 0, n; rc == 0 && done < nrows; done += n) {
		n = next_batch(st, nrows - done);
		char *sql = values_sql(prefix, ncols, n, suffix);
		rc = later ? pl_store_exec_later(st, sql, v + done * ncols, n * ncols)
			   : pl_store_query(st, sql, v + done * ncols, n * ncols, fn, ctx);
		free(sql);
	}
	return rc;
}

int pl_store_insert_rows(struct pl_store *st, const char *prefix, size_t ncols,
			 const struct pl_sql_value *v, size_t nrows, const char *suffix,
			 pl_sql_row_fn fn, void *ctx)
{
	return insert_rows(st, prefix, ncols, v, nrows, suffix, fn, ctx, 0);
}

int pl_store_insert_rows_later(struct pl_store *st, const char *prefix, size_t ncols,
			       const struct pl_sql_value *v, size_t nrows, const char *suffix)
{
	return insert_rows(st, prefix, ncols, v, nrows, suffix, NULL, NULL, 1);
}

int pl_store_insert_new_rows(struct pl_store *st, const char *into, size_t ncols,
			     const struct pl_sql_value *v, size_t nrows, const char *returning,
			     pl_sql_row_fn fn, void *ctx)
{
	/* SQLite's upsert machinery costs a third more per row than OR IGNORE
	 * (1.7 against 1.3 us a blob row): the same skip of a key already
	 * there. It would also skip a NOT NULL violation, which these rows
	 * never have. */
	int ignore = st->ops->insert_or_ignore;
	char *prefix = pl_xasprintf("INSERT %sINTO %s VALUES ", ignore ? "OR IGNORE " : "", into);
	char *suffix = pl_xasprintf("%s%s", ignore ? "" : " ON CONFLICT DO NOTHING", returning);
	int rc = fn ? pl_store_insert_rows(st, prefix, ncols, v, nrows, suffix, fn, ctx)
		    : pl_store_insert_rows_later(st, prefix, ncols, v, nrows, suffix);
	free(prefix);
	free(suffix);
	return rc;
}

/* ---- schema ---- */

int pl_store_schema_latest(const struct pl_store *st)
{
	return (int)st->ops->nmigrations;
}

int pl_store_schema_version(struct pl_store *st, int *version)
{
	int64_t v = 0;
	int rc = pl_store_query_int(st, "SELECT COALESCE(MAX(version), 0) FROM schema_version",
				    NULL, 0, &v);
	*version = (int)v;
	return rc < 0 ? rc : 0;
}

static int apply_migrations(struct pl_store *st)
{
	int64_t v = 0;
	int rc = pl_store_query_int(st, "SELECT COALESCE(MAX(version), 0) FROM schema_version",
				    NULL, 0, &v);
	if (rc < 0)
		return rc;
	rc = 0;
	if (v > (int64_t)st->ops->nmigrations)
		return pl_error_set(PL_EINVAL,
				    "the store's schema (version %lld) is newer than this pkgleaks "
				    "knows (%zu): upgrade pkgleaks",
				    (long long)v, st->ops->nmigrations);
	for (size_t i = (size_t)v; rc == 0 && i < st->ops->nmigrations; i++) {
		struct pl_sql_value p = pl_sql_int((int64_t)i + 1);
		rc = st->ops->script(st->conn, st->ops->migrations[i]);
		if (rc == 0)
			rc = pl_store_exec(st, "INSERT INTO schema_version (version) VALUES ($1)", &p, 1);
		if (rc < 0) {
			char what[64];
			snprintf(what, sizeof(what), "schema migration %zu failed", i + 1);
			pl_store_error_context(rc, what);
		}
	}
	return rc;
}

/* Migrations run in one transaction, under a lock: concurrent first runs
 * (several workers on one PostgreSQL) apply each migration once. */
static int migrate(struct pl_store *st, enum pl_store_mode mode)
{
	int current;
	int rc = pl_store_schema_version(st, &current);
	if (rc == 0 && current == pl_store_schema_latest(st))
		return 0; /* up to date: nothing to write (a read-only store is fine) */
	if (rc < 0 && mode == PL_STORE_EXISTING)
		return pl_error_set(PL_ENOTFOUND, "not a pkgleaks store (no schema_version table):"
						  " scan into it first (pkgleaks scan --db)");
	pl_error_clear();
	rc = pl_store_begin(st);
	if (rc == 0 && st->ops->lock_schema_sql[0])
		rc = pl_store_exec(st, st->ops->lock_schema_sql, NULL, 0);
	if (rc == 0)
		rc = pl_store_exec(st,
				   "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
				   NULL, 0);
	if (rc == 0)
		rc = apply_migrations(st);
	if (rc == 0)
		return pl_store_commit(st);
	if (st->in_tx)
		pl_store_rollback(st);
	return rc;
}

/* ---- opening ---- */

/* user:password@ and password=... are not for messages. */
static char *display_name(const char *url)
{
	char *d = pl_xstrdup(url);
	char *scheme = strstr(d, "://");
	if (scheme) {
		char *auth = scheme + 3, *end = auth + strcspn(auth, "/?");
		char *at = memchr(auth, '@', (size_t)(end - auth));
		char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
		if (colon) {
			char *masked = pl_xasprintf("%.*s:***%s", (int)(colon - d), d, at);
			free(d);
			d = masked;
		}
	}
	char *pw = strstr(d, "password=");
	if (pw) {
		size_t keep = (size_t)(pw - d) + 9, rest = strcspn(pw + 9, "&");
		char *masked = pl_xasprintf("%.*s***%s", (int)keep, d, pw + 9 + rest);
		free(d);
		d = masked;
	}
	return d;
}

int pl_store_open(const char *url, enum pl_store_mode mode, struct pl_store **out)
{
	*out = NULL;
	if (!url || !url[0])
		return pl_error_set(PL_EINVAL, "no store given");
	const struct pl_store_ops *ops = NULL;
	for (size_t i = 0; !ops && i < sizeof(backends) / sizeof(backends[0]); i++)
		if (backends[i]->claims(url))
			ops = backends[i];
	struct pl_store *st = pl_xcalloc(1, sizeof(*st));
	st->ops = ops;
	st->display = display_name(url);
	int rc = ops->open(url, mode, &st->conn);
	if (rc == 0)
		rc = migrate(st, mode);
	if (rc < 0) {
		char *what = pl_xasprintf("store %s", st->display);
		pl_store_error_context(rc, what);
		free(what);
		pl_store_free(st);
		return rc;
	}
	*out = st;
	return 0;
}

void pl_store_free(struct pl_store *st)
{
	if (!st)
		return;
	if (st->conn)
		st->ops->close(st->conn);
	explicit_bzero(st->key, sizeof(st->key)); /* libcrypto may not be loaded */
	pl_store_disclosure_stale_clear(st);
	free(st->stale);
	free(st->display);
	free(st);
}

const char *pl_store_backend(const struct pl_store *st)
{
	return st->ops->name;
}

const char *pl_store_display_name(const struct pl_store *st)
{
	return st->display;
}

/* ---- small writers and readers ---- */

int pl_store_add_validation(struct pl_store *st, const char *fingerprint, int64_t checked_at,
			    const char *status, const char *detail)
{
	if (strcmp(status, "valid") && strcmp(status, "invalid") && strcmp(status, "unknown"))
		return pl_error_set(PL_EINVAL, "validation status '%s': expected valid, invalid or "
					       "unknown", status);
	struct pl_sql_value p[] = {pl_sql_int(checked_at), pl_sql_text(status),
				   pl_sql_text(detail), pl_sql_text(fingerprint)};
	int rc = pl_store_exec(st,
			       "INSERT INTO validations (secret_id, checked_at, status, detail)"
			       " SELECT id, $1, $2, $3 FROM secrets WHERE fingerprint = $4",
			       p, 4);
	if (rc == 0 && st->ops->changes(st->conn) == 0)
		return pl_error_set(PL_ENOTFOUND, "no secret with fingerprint %s in the store",
				    fingerprint);
	return rc;
}

int64_t pl_store_blob_findings(struct pl_store *st, const char *blob_id, const char *ruleset)
{
	struct pl_sql_value p[] = {pl_sql_text(blob_id), pl_sql_text(ruleset)};
	int64_t n = -1;
	int rc = pl_store_query_int(st,
				    "SELECT nfindings FROM blobs WHERE id = $1 AND ruleset_version = $2",
				    p, 2, &n);
	return rc <= 0 ? -1 : n;
}

static int take_totals(void *ctx, size_t ncols, const char *const *v)
{
	struct pl_store_totals *t = ctx;
	uint64_t *f[] = {&t->artifacts, &t->blobs, &t->secrets, &t->occurrences,
			 &t->blob_findings, &t->validations};
	for (size_t i = 0; i < ncols && i < 6; i++)
		*f[i] = (uint64_t)pl_store_int(v[i], 0);
	return 0;
}

int pl_store_totals(struct pl_store *st, struct pl_store_totals *out)
{
	memset(out, 0, sizeof(*out));
	return pl_store_query(st,
			      "SELECT (SELECT COUNT(*) FROM artifacts), (SELECT COUNT(*) FROM blobs),"
			      " (SELECT COUNT(*) FROM secrets), (SELECT COUNT(*) FROM occurrences),"
			      " (SELECT COUNT(*) FROM blob_findings),"
			      " (SELECT COUNT(*) FROM validations)",
			      NULL, 0, take_totals, out);
}

const char *pl_period_name(enum pl_period p)
{
	return p == PL_PERIOD_YEAR ? "year" : p == PL_PERIOD_QUARTER ? "quarter" : "month";
}
