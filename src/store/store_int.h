/* The store module's private parts: the back-end table and the helpers the
 * generic code (store.c, write.c, stats.c, sink.c) is written with.
 *
 * SQL is written once, portable between SQLite (>= 3.35: RETURNING, window
 * functions, ON CONFLICT) and PostgreSQL, with $1, $2, ... placeholders
 * (sqlite.c turns them into ?1, ?2). Values always travel as bound
 * parameters; only constant text and numbers are ever pasted into SQL.
 * Where the dialects differ (schema, date truncation, locking) each back end
 * gives its own text through the table. */
#ifndef PL_STORE_INT_H
#define PL_STORE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "pkgleaks/store.h"

enum pl_sql_type { PL_SQL_NULL = 0, PL_SQL_TEXT, PL_SQL_INT };

/* One bound parameter. */
struct pl_sql_value {
	enum pl_sql_type type;
	const char *s; /* PL_SQL_TEXT: borrowed, NUL-terminated, valid UTF-8 */
	int64_t i;     /* PL_SQL_INT */
};

static inline struct pl_sql_value pl_sql_text(const char *s)
{
	return (struct pl_sql_value){s ? PL_SQL_TEXT : PL_SQL_NULL, s, 0};
}
static inline struct pl_sql_value pl_sql_int(int64_t i)
{
	return (struct pl_sql_value){PL_SQL_INT, NULL, i};
}
/* An integer, or NULL when negative (unknown times, no filter). */
static inline struct pl_sql_value pl_sql_int_or_null(int64_t i)
{
	return i < 0 ? (struct pl_sql_value){PL_SQL_NULL, NULL, 0} : pl_sql_int(i);
}

/* A result row: ncols values as text (NULL for SQL NULL). Returns 0 to go
 * on, negative to stop the query with that code. */
typedef int (*pl_sql_row_fn)(void *ctx, size_t ncols, const char *const *values);

/* One back end. Every function returns 0 or a negative code with the
 * message set (pl_error_set). */
struct pl_store_ops {
	const char *name; /* "sqlite", "postgresql" */
	/* True when this back end serves url. */
	int (*claims)(const char *url);
	int (*open)(const char *url, enum pl_store_mode mode, void **conn);
	void (*close)(void *conn);
	/* One statement with parameters; rows go to fn (NULL: ignored). */
	int (*query)(void *conn, const char *sql, const struct pl_sql_value *params,
		     size_t nparams, pl_sql_row_fn fn, void *ctx);
	/* Several statements, no parameters (migrations). */
	int (*script)(void *conn, const char *sql);
	/* Rows changed by the last INSERT/UPDATE/DELETE run through query. */
	uint64_t (*changes)(void *conn);
	/* Optional: sends a statement whose rows nobody reads without waiting
	 * for it (PostgreSQL's pipeline: a round trip per statement was most of
	 * a write's time). Its error, if any, comes back from sync, or from
	 * the next query, which then does not run. */
	int (*send)(void *conn, const char *sql, const struct pl_sql_value *params,
		    size_t nparams);
	/* Waits for what send sent; the first error among them. */
	int (*sync)(void *conn);
	int caches_statements;       /* prepared statements are reused by text: multi-row
	                                INSERTs then use a few fixed sizes, else one
	                                statement for the remainder (fewer round trips) */
	/* Skips rows whose key is there with INSERT OR IGNORE instead of ON
	 * CONFLICT DO NOTHING (pl_store_insert_new_rows). */
	int insert_or_ignore;
	const char *begin_sql;       /* starts a write transaction */
	const char *lock_schema_sql; /* serialises migrations inside it ("" if begin does) */
	/* Migrations: migrations[i] takes the schema from version i to i + 1. */
	const char *const *migrations;
	size_t nmigrations;
	/* A text expression for the period of Unix time column `first_seen`. */
	const char *(*period_expr)(enum pl_period p);
};

extern const struct pl_store_ops pl_store_sqlite_ops, pl_store_postgres_ops;

/* A project whose disclosure rows the open transaction must refresh. */
struct pl_store_stale {
	char *ecosystem, *project;
	int found;   /* an artifact written holds secrets */
	int64_t now; /* the latest write's time */
};

struct pl_store {
	const struct pl_store_ops *ops;
	void *conn;
	char *display; /* url without password */
	int in_tx;
	/* Projects written in the open transaction, refreshed once each just
	 * before it commits (pl_store_disclosure_refresh_stale). */
	struct pl_store_stale *stale;
	size_t nstale, capstale;
	int unlocked;
	unsigned char key[32]; /* AES-256-GCM key for raw secrets, when unlocked */
};

/* Runs a statement on the store (see pl_store_ops.query). */
int pl_store_query(struct pl_store *st, const char *sql, const struct pl_sql_value *params,
		   size_t nparams, pl_sql_row_fn fn, void *ctx);
int pl_store_exec(struct pl_store *st, const char *sql, const struct pl_sql_value *params,
		  size_t nparams);
/* pl_store_exec without waiting where the back end can (ops.send): the
 * error comes back from pl_store_sync or the next statement. */
int pl_store_exec_later(struct pl_store *st, const char *sql, const struct pl_sql_value *params,
			size_t nparams);
int pl_store_sync(struct pl_store *st);
/* Reads one integer (the first column of the first row); *out untouched
 * when there is no row. Returns 1 when a row was read, 0 when none. */
int pl_store_query_int(struct pl_store *st, const char *sql, const struct pl_sql_value *params,
		       size_t nparams, int64_t *out);

/* Transactions: begin, then commit or rollback (rollback never fails
 * visibly: the error that caused it is the one kept). */
int pl_store_begin(struct pl_store *st);
int pl_store_commit(struct pl_store *st);
void pl_store_rollback(struct pl_store *st);

/* Multi-row INSERT: prefix is "INSERT INTO t(a, b) VALUES ", each row has
 * ncols values (rows * ncols in v), suffix follows (may be ""); rows go in
 * batches that stay under both back ends' parameter limits. fn gets the
 * RETURNING rows, if any. */
int pl_store_insert_rows(struct pl_store *st, const char *prefix, size_t ncols,
			 const struct pl_sql_value *v, size_t nrows, const char *suffix,
			 pl_sql_row_fn fn, void *ctx);

/* The same, sent with pl_store_exec_later (no rows back). */
int pl_store_insert_rows_later(struct pl_store *st, const char *prefix, size_t ncols,
			       const struct pl_sql_value *v, size_t nrows, const char *suffix);

/* pl_store_insert_rows for rows that may be stored already (a unique key
 * they would break): those are skipped. into is "t (a, b)"; returning is
 * "" or " RETURNING a" (then only the rows inserted come back). Without
 * fn, the rows are sent with pl_store_exec_later. */
int pl_store_insert_new_rows(struct pl_store *st, const char *into, size_t ncols,
			     const struct pl_sql_value *v, size_t nrows, const char *returning,
			     pl_sql_row_fn fn, void *ctx);

/* Puts context before the current error message: "context: message".
 * (pl_error_set cannot take pl_error_message() as an argument: it writes
 * the buffer it would read.) Returns code. */
int pl_store_error_context(int code, const char *context);

/* Parses a decimal column value (NULL gives def). */
int64_t pl_store_int(const char *s, int64_t def);

/* ---- the write of one artifact (write.c) ---- */

/* One finding: a secret in one file of the artifact, at npos positions
 * (each becomes an occurrence row). Strings are borrowed. */
struct pl_store_find {
	const char *fingerprint, *rule, *redacted;
	const char *sealed;   /* encrypted raw value (crypto.c), or NULL */
	const char *blob;     /* id of the blob it was found in (PL_BLOB_ID_LEN), or NULL */
	const char *path;     /* escaped path inside the artifact ("" for a plain file) */
	const char *path_kind, *ext, *encoding;
	const struct pl_position *pos;
	size_t npos;
};

/* A blob matched in this artifact: finds[first, first + count) came from it;
 * they become its blob_findings when the blob is new to the store. */
struct pl_store_blob {
	const char *id;
	uint64_t size;
	size_t first, count;
};

/* A blob skipped as already scanned: its stored findings (nfindings of
 * them, as blob_seen was told) are recorded at path for this artifact. */
struct pl_store_replay {
	const char *blob_id;
	const char *path, *path_kind, *ext;
	int64_t nfindings;
};

struct pl_store_artifact {
	const char *ecosystem, *project, *version, *filename, *sha256;
	uint64_t size, bytes_scanned;
	int64_t upload_time, scan_time; /* upload_time -1: unknown */
	const char *ruleset_version;
	const char *status; /* ok, partial, error */
	const char *error;  /* NULL when ok */
	const char *url;    /* where a registry download came from, or NULL */
	int yanked;         /* the index yanked it: 1, 0, or -1 unknown (NULL) */
	const struct pl_store_find *finds;
	size_t nfinds;
	const struct pl_store_blob *blobs;
	size_t nblobs;
	const struct pl_store_replay *replays;
	size_t nreplays;
	const struct pl_contact *contacts; /* from its metadata (issue 8) */
	size_t ncontacts;
	/* More writes in the same transaction (pl_store_sink_options
	 * .in_transaction), or NULL; given source, and the status stored. */
	int (*in_tx)(void *ctx, struct pl_store *st, const char *source, const char *status,
		     const char *error);
	void *in_tx_ctx;
	const char *source;
};

/* What writing one artifact did. */
struct pl_store_written {
	int unchanged;        /* already stored whole under this ruleset: nothing written */
	int group_lost;       /* on failure: the open group went with it (see below) */
	uint64_t occurrences; /* rows written, replayed ones included */
	uint64_t replayed;    /* rows copied from blob_findings for skipped blobs */
};

/* Writes (or rewrites) one artifact and everything found in it, all or
 * nothing: inside the store's open group transaction (begun if none) under
 * a savepoint, so a failure undoes this artifact only. When even that
 * fails (a lost connection) the whole group is rolled back and group_lost
 * is set. Unless force is set, an artifact already stored with status ok
 * under the same ruleset version is left as it is (unchanged = 1).
 *
 * Group commit: several whole artifacts share one transaction, committed
 * by pl_store_group_commit (the sink does it every PL_STORE_GROUP_SECONDS
 * and at the end). A kill loses the open group, never part of an artifact;
 * with random blob ids, one commit per artifact would rewrite most
 * B-tree pages of the blob index each time. */
int pl_store_write_artifact(struct pl_store *st, const struct pl_store_artifact *a, int force,
			    struct pl_store_written *out);
/* Commits the open group, if any; on failure it is rolled back. */
int pl_store_group_commit(struct pl_store *st);

/* Occurrences stored for a blob under a ruleset version; -1 when the blob
 * was never scanned under it (or on error, with the message set). */
int64_t pl_store_blob_findings(struct pl_store *st, const char *blob_id, const char *ruleset);

/* ---- blobs already stored, in memory (cache.c) ----
 *
 * blob_seen is asked for every blob under the scan's lock; a query each
 * time is a round trip on PostgreSQL. When the store holds at most
 * PL_BLOB_CACHE_MAX blobs under the ruleset they are loaded once, and a
 * miss then needs no query; what the run commits is added. Past the cap a
 * miss asks the store. Another process writing the same store meanwhile
 * only costs matching a blob again (rows are written idempotently). */
#define PL_BLOB_CACHE_MAX 200000

struct pl_blob_slot {
	uint64_t key[2]; /* the blob id; all zero = empty slot */
	int64_t nfindings;
};

struct pl_blob_cache {
	struct pl_blob_slot *slots; /* NULL: no cache, ask the store */
	size_t cap, count;          /* cap is a power of two, at most half full */
	int complete;               /* every stored blob is in it: a miss is an answer */
	/* The sizes of those blobs, plus one (0 = empty slot), in the same
	 * kind of table; any_size: a blob of unknown size was added, so
	 * every size may be taken. */
	uint64_t *sizes;
	size_t size_cap, size_count;
	int any_size;
};

/* Loads the blobs stored under ruleset, or leaves the cache empty and
 * incomplete when there are more than PL_BLOB_CACHE_MAX. */
void pl_blob_cache_load(struct pl_blob_cache *c, struct pl_store *st, const char *ruleset);
/* Records a stored blob (its id and size, -1 when unknown); past the cap the
 * cache stops being complete. */
void pl_blob_cache_add(struct pl_blob_cache *c, const char *blob_id, int64_t nfindings,
		       int64_t size);
/* The blob's nfindings, -1 when it is not in the cache. */
int64_t pl_blob_cache_find(const struct pl_blob_cache *c, const char *blob_id);
/* 1 when the cache is complete and holds no blob of this size: a blob of
 * that size is new whatever its bytes. */
int pl_blob_cache_size_new(const struct pl_blob_cache *c, uint64_t size);
void pl_blob_cache_release(struct pl_blob_cache *c);

/* ---- raw secrets (crypto.c) ---- */

/* Seals a raw value for the fingerprint: a new base64 string the caller frees. */
char *pl_store_seal(const struct pl_store *st, const char *fingerprint, const char *secret,
		    size_t len);

/* ---- disclosure (disclose.c, issue 8) ---- */

/* Writes an artifact's contacts; existed: replace the ones it had. */
int pl_store_write_contacts(struct pl_store *st, int64_t artifact_id,
			    const struct pl_contact *c, size_t n, int existed);
/* An artifact left unchanged that has no contacts stored (it was written
 * before they were kept) gets these. */
int pl_store_contacts_backfill(struct pl_store *st, const char *sha256,
			       const struct pl_contact *c, size_t n);
/* After an artifact's write: its project (named exactly as stored) needs
 * its disclosure rows refreshed before the transaction commits; found: the
 * artifact holds secrets (rows to add). A group of many releases of one
 * project refreshes it once, not once a release. */
void pl_store_disclosure_stale(struct pl_store *st, const char *ecosystem, const char *project,
			       int found, int64_t now);
/* Refreshes the projects marked stale (pl_store_commit calls it). */
int pl_store_disclosure_refresh_stale(struct pl_store *st);
/* Forgets them (the transaction rolled back). */
void pl_store_disclosure_stale_clear(struct pl_store *st);

#endif
