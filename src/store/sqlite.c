/* The SQLite back end: one file, WAL journal, one connection used by one
 * thread at a time (the scan sink's store lock). Statements are prepared once and cached by their text. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "pkgleaks/error.h"
#include "store/store_int.h"
#include "util/alloc.h"

/* Prepared statements kept; batch inserts of a few sizes plus the fixed ones. */
#define SQ_CACHE 48
/* How long a writer waits for another process's transaction (ms). */
#define SQ_BUSY_MS 30000
/* Columns a result row may have. */
#define SQ_MAX_COLS 32

static const char *const migrations[] = {
	/* 1: the first schema */
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
	"CREATE TABLE artifacts (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  ecosystem TEXT NOT NULL, project TEXT NOT NULL, version TEXT NOT NULL,\n"
	"  filename TEXT NOT NULL, sha256 TEXT NOT NULL UNIQUE, size BIGINT NOT NULL,\n"
	"  upload_time BIGINT, scan_time BIGINT NOT NULL, ruleset_version TEXT NOT NULL,\n"
	"  status TEXT NOT NULL CHECK (status IN ('ok', 'error', 'partial')), error TEXT,\n"
	"  bytes_scanned BIGINT NOT NULL DEFAULT 0);\n"
	"CREATE INDEX artifacts_project ON artifacts (ecosystem, project, version);\n"
	"CREATE INDEX artifacts_upload ON artifacts (upload_time);\n"
	"CREATE TABLE blobs (\n"
	"  sha256 TEXT NOT NULL, ruleset_version TEXT NOT NULL, size BIGINT,\n"
	"  nfindings BIGINT NOT NULL, PRIMARY KEY (sha256, ruleset_version)) WITHOUT ROWID;\n"
	"CREATE TABLE secrets (\n"
	"  id INTEGER PRIMARY KEY, fingerprint TEXT NOT NULL UNIQUE, rule TEXT NOT NULL,\n"
	"  redacted TEXT NOT NULL, sealed TEXT);\n"
	"CREATE INDEX secrets_rule ON secrets (rule);\n"
	"CREATE TABLE occurrences (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  secret_id BIGINT NOT NULL REFERENCES secrets (id),\n"
	"  artifact_id BIGINT NOT NULL REFERENCES artifacts (id) ON DELETE CASCADE,\n"
	"  blob TEXT, path TEXT NOT NULL, line BIGINT NOT NULL, col BIGINT NOT NULL,\n"
	"  path_kind TEXT NOT NULL, ext TEXT NOT NULL, encoding TEXT NOT NULL);\n"
	"CREATE INDEX occurrences_artifact ON occurrences (artifact_id);\n"
	"CREATE INDEX occurrences_secret ON occurrences (secret_id);\n"
	"CREATE TABLE blob_findings (\n"
	"  blob TEXT NOT NULL, ruleset_version TEXT NOT NULL,\n"
	"  secret_id BIGINT NOT NULL REFERENCES secrets (id),\n"
	"  line BIGINT NOT NULL, col BIGINT NOT NULL, encoding TEXT NOT NULL);\n"
	"CREATE INDEX blob_findings_blob ON blob_findings (blob, ruleset_version);\n"
	"CREATE TABLE validations (\n"
	"  id INTEGER PRIMARY KEY, secret_id BIGINT NOT NULL REFERENCES secrets (id),\n"
	"  checked_at BIGINT NOT NULL,\n"
	"  status TEXT NOT NULL CHECK (status IN ('valid', 'invalid', 'unknown')),\n"
	"  detail TEXT);\n"
	"CREATE INDEX validations_secret ON validations (secret_id, checked_at);\n"
	"CREATE VIEW secret_status AS\n"
	"  SELECT s.id AS secret_id, COALESCE((SELECT v.status FROM validations v\n"
	"    WHERE v.secret_id = s.id ORDER BY v.checked_at DESC, v.id DESC LIMIT 1),\n"
	"    'unchecked') AS status FROM secrets s;\n",
	/* 2: registry sources (issue 5): where an artifact came from and whether
	 * the index yanked it; the queues of crawl and follow. */
	"ALTER TABLE artifacts ADD COLUMN url TEXT;\n"
	"ALTER TABLE artifacts ADD COLUMN yanked INTEGER;\n"
	"CREATE INDEX artifacts_url ON artifacts (url);\n"
	"CREATE TABLE queue (\n"
	"  queue TEXT NOT NULL, ecosystem TEXT NOT NULL, project TEXT NOT NULL,\n"
	"  status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'error')),\n"
	"  serial BIGINT, error TEXT, updated BIGINT NOT NULL,\n"
	"  PRIMARY KEY (queue, ecosystem, project));\n"
	"CREATE INDEX queue_status ON queue (queue, ecosystem, status);\n",
	/* 3: scale-out (issue 7): the work queue and the workers. Workers need
	 * PostgreSQL (src/store/work.c); the tables keep both schemas at one
	 * version. */
	"CREATE TABLE work (\n"
	"  id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, ecosystem TEXT NOT NULL,\n"
	"  project TEXT NOT NULL, version TEXT NOT NULL, filename TEXT NOT NULL, url TEXT,\n"
	"  path TEXT, sha256 TEXT, integrity TEXT, size BIGINT, upload_time BIGINT,\n"
	"  yanked INTEGER, priority INTEGER NOT NULL DEFAULT 0,\n"
	"  status TEXT NOT NULL DEFAULT 'queued'\n"
	"    CHECK (status IN ('queued', 'leased', 'done', 'failed')),\n"
	"  attempts INTEGER NOT NULL DEFAULT 0, not_before BIGINT NOT NULL DEFAULT 0,\n"
	"  worker TEXT, lease BIGINT, lease_until BIGINT, error TEXT,\n"
	"  added BIGINT NOT NULL, started BIGINT, finished BIGINT,\n"
	"  CHECK ((url IS NULL) <> (path IS NULL)));\n"
	"CREATE INDEX work_next ON work (priority DESC, id) WHERE status = 'queued';\n"
	"CREATE INDEX work_leased ON work (lease_until) WHERE status = 'leased';\n"
	"CREATE INDEX work_finished ON work (finished) WHERE status = 'done';\n"
	"CREATE INDEX work_failed ON work (id) WHERE status = 'failed';\n"
	"CREATE TABLE workers (\n"
	"  id TEXT PRIMARY KEY, host TEXT NOT NULL, pid BIGINT NOT NULL, jobs INTEGER NOT NULL,\n"
	"  started BIGINT NOT NULL, last_seen BIGINT NOT NULL,\n"
	"  state TEXT NOT NULL CHECK (state IN ('running', 'stopping', 'stopped')),\n"
	"  done BIGINT NOT NULL DEFAULT 0, failed BIGINT NOT NULL DEFAULT 0);\n",
	/* 4: disclosure (issue 8): owner contacts from each artifact's metadata,
	 * and each secret's disclosure state per project (src/store/disclose.c). */
	"CREATE TABLE contacts (\n"
	"  artifact_id BIGINT NOT NULL REFERENCES artifacts (id) ON DELETE CASCADE,\n"
	"  seq INTEGER NOT NULL, role TEXT NOT NULL, name TEXT, email TEXT, url TEXT,\n"
	"  PRIMARY KEY (artifact_id, seq));\n"
	"CREATE TABLE disclosures (\n"
	"  secret_id BIGINT NOT NULL REFERENCES secrets (id) ON DELETE CASCADE,\n"
	"  ecosystem TEXT NOT NULL, project TEXT NOT NULL,\n"
	"  state TEXT NOT NULL CHECK (state IN ('new', 'notified', 'rotated', 'fixed')),\n"
	"  state_at BIGINT NOT NULL, notified_at BIGINT, rotated_at BIGINT,\n"
	"  fixed_version TEXT, fixed_at BIGINT,\n"
	"  PRIMARY KEY (secret_id, ecosystem, project));\n"
	"CREATE INDEX disclosures_project ON disclosures (ecosystem, project);\n",
	/* 5: blobs are named by a keyed hash (PL_BLOB_ID_LEN in scan.h), its
	 * key in meta; rows named by SHA-256 can never match again. */
	"ALTER TABLE blobs RENAME COLUMN sha256 TO id;\n"
	"DELETE FROM blob_findings;\n"
	"DELETE FROM blobs;\n",
	/* 6: the keyed hash is GMAC instead of Poly1305 (scan.h): ids made
	 * before can never match again. */
	"DELETE FROM blob_findings; DELETE FROM blobs;\n",
};

struct sq_stmt {
	char *sql; /* as the caller wrote it (the cache key) */
	size_t len;
	sqlite3_stmt *stmt;
	uint64_t used;
};

struct sq {
	sqlite3 *db;
	struct sq_stmt cache[SQ_CACHE];
	uint64_t tick;
};

static int sq_fail(struct sq *c, const char *what)
{
	return pl_error_set(PL_EIO, "sqlite: %s: %s", what, sqlite3_errmsg(c->db));
}

static int sq_claims(const char *url)
{
	return !pl_store_is_postgres_url(url);
}

/* $1 -> ?1 outside quotes: SQLite's numbered parameters bind by number.
 * When the placeholders are exactly $1, $2, ... in order (every INSERT),
 * plain ? is used: SQLite looks ?NNN up in a list at prepare time, which
 * costs n^2 for the thousands of parameters of a multi-row INSERT. */
static char *sq_translate(const char *sql)
{
	char *out = pl_xstrdup(sql);
	char quote = 0;
	int in_order = 1;
	unsigned long next = 1;
	for (char *p = out; *p; p++) {
		if (quote) {
			quote = *p == quote ? 0 : quote;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
		} else if (*p == '$' && p[1] >= '0' && p[1] <= '9') {
			*p = '?';
			in_order &= strtoul(p + 1, NULL, 10) == next++;
		}
	}
	if (!in_order)
		return out;
	/* Drop the numbers: "?12" -> "?" (the text only gets shorter). */
	char *w = out;
	quote = 0;
	for (const char *r = out; *r;) {
		if (quote)
			quote = *r == quote ? 0 : quote;
		else if (*r == '\'' || *r == '"')
			quote = *r;
		else if (*r == '?') {
			*w++ = *r++;
			while (*r >= '0' && *r <= '9')
				r++;
			continue;
		}
		*w++ = *r++;
	}
	*w = '\0';
	return out;
}

static void sq_evict(struct sq_stmt *e)
{
	sqlite3_finalize(e->stmt);
	free(e->sql);
	*e = (struct sq_stmt){0};
}

static int sq_prepare(struct sq *c, const char *sql, sqlite3_stmt **out)
{
	/* Lengths first: the multi-row INSERTs of one table share hundreds of
	 * bytes of text, and comparing them was most of a look-up. */
	size_t len = strlen(sql);
	struct sq_stmt *lru = &c->cache[0];
	for (size_t i = 0; i < SQ_CACHE; i++) {
		struct sq_stmt *e = &c->cache[i];
		if (e->sql && e->len == len && memcmp(e->sql, sql, len) == 0) {
			e->used = ++c->tick;
			*out = e->stmt;
			return 0;
		}
		if (!e->sql || (lru->sql && e->used < lru->used))
			lru = e;
	}
	char *text = sq_translate(sql);
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v2(c->db, text, -1, &stmt, NULL);
	free(text);
	if (rc != SQLITE_OK)
		return sq_fail(c, "prepare");
	if (lru->sql)
		sq_evict(lru);
	*lru = (struct sq_stmt){pl_xstrdup(sql), len, stmt, ++c->tick};
	*out = stmt;
	return 0;
}

static int sq_bind(struct sq *c, sqlite3_stmt *st, const struct pl_sql_value *p, size_t n)
{
	if ((int)n > sqlite3_bind_parameter_count(st))
		return pl_error_set(PL_EINVAL, "sqlite: %zu parameters for %d placeholders", n,
				    sqlite3_bind_parameter_count(st));
	for (size_t i = 0; i < n; i++) {
		int rc, idx = (int)i + 1;
		if (p[i].type == PL_SQL_TEXT)
			rc = sqlite3_bind_text(st, idx, p[i].s, -1, SQLITE_STATIC);
		else if (p[i].type == PL_SQL_INT)
			rc = sqlite3_bind_int64(st, idx, p[i].i);
		else
			rc = sqlite3_bind_null(st, idx);
		if (rc != SQLITE_OK)
			return sq_fail(c, "bind");
	}
	return 0;
}

static int sq_row(sqlite3_stmt *st, pl_sql_row_fn fn, void *ctx)
{
	const char *vals[SQ_MAX_COLS];
	int n = sqlite3_column_count(st);
	if (n > SQ_MAX_COLS)
		return pl_error_set(PL_EINVAL, "sqlite: %d columns in a row (at most %d)", n,
				    SQ_MAX_COLS);
	for (int i = 0; i < n; i++)
		vals[i] = sqlite3_column_type(st, i) == SQLITE_NULL
				  ? NULL
				  : (const char *)sqlite3_column_text(st, i);
	return fn(ctx, (size_t)n, vals);
}

static int sq_query(void *conn, const char *sql, const struct pl_sql_value *params,
		    size_t nparams, pl_sql_row_fn fn, void *ctx)
{
	struct sq *c = conn;
	sqlite3_stmt *st = NULL;
	int rc = sq_prepare(c, sql, &st);
	if (rc < 0)
		return rc;
	if (rc == 0)
		rc = sq_bind(c, st, params, nparams);
	while (rc == 0) {
		int s = sqlite3_step(st);
		if (s == SQLITE_DONE)
			break;
		if (s != SQLITE_ROW)
			rc = sq_fail(c, "step");
		else if (fn)
			rc = sq_row(st, fn, ctx);
	}
	/* Reset at once: a read statement left open would hold the WAL snapshot. */
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

static int sq_script(void *conn, const char *sql)
{
	struct sq *c = conn;
	char *err = NULL;
	if (sqlite3_exec(c->db, sql, NULL, NULL, &err) == SQLITE_OK)
		return 0;
	int rc = pl_error_set(PL_EIO, "sqlite: %s", err ? err : sqlite3_errmsg(c->db));
	sqlite3_free(err);
	return rc;
}

static uint64_t sq_changes(void *conn)
{
	struct sq *c = conn;
	return (uint64_t)sqlite3_changes64(c->db);
}

static void sq_close(void *conn)
{
	struct sq *c = conn;
	if (!c)
		return;
	for (size_t i = 0; i < SQ_CACHE; i++)
		if (c->cache[i].sql)
			sq_evict(&c->cache[i]);
	sqlite3_close(c->db);
	free(c);
}

/* WAL: readers do not block the writer and a killed writer loses only its
 * open transaction; NORMAL sync is safe in WAL against a process kill. */
static const char sq_setup[] = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
			       " PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;";

/* SQLite counts every allocation under a global mutex unless told not to
 * (nothing here reads the counts). Only possible before its first use. */
static void sq_configure(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static int sq_open(const char *url, enum pl_store_mode mode, void **conn)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, sq_configure);
	struct sq *c = pl_xcalloc(1, sizeof(*c));
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
		    (mode == PL_STORE_CREATE ? SQLITE_OPEN_CREATE : 0);
	int rc = sqlite3_open_v2(url, &c->db, flags, NULL);
	if (rc != SQLITE_OK) {
		int code = rc == SQLITE_CANTOPEN && mode == PL_STORE_EXISTING ? PL_ENOTFOUND : PL_EIO;
		pl_error_set(code, "cannot open it: %s", c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		sq_close(c);
		return code;
	}
	sqlite3_extended_result_codes(c->db, 1);
	if (sqlite3_busy_timeout(c->db, SQ_BUSY_MS) != SQLITE_OK || sq_script(c, sq_setup) < 0) {
		rc = pl_store_error_context(PL_EIO, "cannot use it");
		sq_close(c);
		return rc;
	}
	*conn = c;
	return 0;
}

static const char *sq_period(enum pl_period p)
{
	switch (p) {
	case PL_PERIOD_YEAR:
		return "strftime('%Y', first_seen, 'unixepoch')";
	case PL_PERIOD_QUARTER:
		return "(strftime('%Y', first_seen, 'unixepoch') || '-Q' ||"
		       " ((CAST(strftime('%m', first_seen, 'unixepoch') AS INTEGER) + 2) / 3))";
	default:
		return "strftime('%Y-%m', first_seen, 'unixepoch')";
	}
}

const struct pl_store_ops pl_store_sqlite_ops = {
	.name = "sqlite",
	.claims = sq_claims,
	.open = sq_open,
	.close = sq_close,
	.query = sq_query,
	.script = sq_script,
	.changes = sq_changes,
	.caches_statements = 1,
	.insert_or_ignore = 1,
	/* IMMEDIATE takes the write lock at once: no deadlock upgrading later. */
	.begin_sql = "BEGIN IMMEDIATE",
	.lock_schema_sql = "",
	.migrations = migrations,
	.nmigrations = sizeof(migrations) / sizeof(migrations[0]),
	.period_expr = sq_period,
};
