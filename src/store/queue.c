/* Registry sources in the store: artifacts already fetched, meta values
 * (the follow serial), and the queues of projects crawl and follow work
 * through. A kill loses at most the open transaction: a project is marked
 * done in the same group transaction as its last artifact, or after it. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pkgleaks/error.h"
#include "store/store_int.h"
#include "util/alloc.h"

/* Runs fn inside the open group transaction (under a savepoint) or its
 * own: all of it or nothing. */
static int atomically(struct pl_store *st, int (*fn)(struct pl_store *st, void *ctx), void *ctx)
{
	int own = !st->in_tx;
	int rc = own ? pl_store_begin(st) : pl_store_exec(st, "SAVEPOINT queue", NULL, 0);
	if (rc < 0)
		return rc;
	rc = fn(st, ctx);
	if (rc == 0)
		return own ? pl_store_commit(st)
			   : pl_store_exec(st, "RELEASE SAVEPOINT queue", NULL, 0);
	char msg[1024];
	snprintf(msg, sizeof(msg), "%s", pl_error_message());
	if (own)
		pl_store_rollback(st);
	else if (pl_store_exec(st, "ROLLBACK TO SAVEPOINT queue", NULL, 0) == 0)
		(void)pl_store_exec(st, "RELEASE SAVEPOINT queue", NULL, 0);
	return pl_error_set(rc, "%s", msg);
}

int pl_store_artifact_known(struct pl_store *st, const char *sha256, const char *url,
			    const char *ruleset_version)
{
	struct pl_sql_value p[] = {pl_sql_text(sha256 ? sha256 : url),
				   pl_sql_text(ruleset_version)};
	const char *sql;
	if (!ruleset_version) /* recorded at all, whatever happened to it */
		sql = sha256 ? "SELECT 1 FROM artifacts WHERE sha256 = $1"
			     : "SELECT 1 FROM artifacts WHERE url = $1 LIMIT 1";
	else
		sql = sha256 ? "SELECT 1 FROM artifacts WHERE sha256 = $1 AND"
			       " status IN ('ok', 'partial') AND ruleset_version = $2"
			     : "SELECT 1 FROM artifacts WHERE url = $1 AND"
			       " status IN ('ok', 'partial') AND ruleset_version = $2 LIMIT 1";
	int64_t one = 0;
	int rc = pl_store_query_int(st, sql, p, ruleset_version ? 2 : 1, &one);
	return rc < 0 ? rc : one == 1;
}

/* ---- meta ---- */

static int take_text(void *ctx, size_t ncols, const char *const *v)
{
	char **out = ctx;
	if (!*out && ncols > 0 && v[0])
		*out = pl_xstrdup(v[0]);
	return 0;
}

int pl_store_meta_get(struct pl_store *st, const char *key, char **out)
{
	*out = NULL;
	struct pl_sql_value p = pl_sql_text(key);
	return pl_store_query(st, "SELECT value FROM meta WHERE key = $1", &p, 1, take_text, out);
}

int pl_store_meta_set(struct pl_store *st, const char *key, const char *value)
{
	struct pl_sql_value p[] = {pl_sql_text(key), pl_sql_text(value)};
	return pl_store_exec(st, "INSERT INTO meta (key, value) VALUES ($1, $2)"
				 " ON CONFLICT (key) DO UPDATE SET value = excluded.value", p, 2);
}

/* ---- queues ---- */

struct queue_add {
	const char *queue, *ecosystem;
	const struct pl_queue_item *items;
	size_t n;
	int requeue;
	const char *meta_key, *meta_value;
};

#define QUEUE_COLS 6

static int queue_add_rows(struct pl_store *st, void *ctx)
{
	const struct queue_add *q = ctx;
	struct pl_sql_value *v = pl_xcalloc(q->n * QUEUE_COLS + 1, sizeof(*v));
	int64_t now = (int64_t)time(NULL);
	for (size_t i = 0; i < q->n; i++) {
		struct pl_sql_value *r = v + i * QUEUE_COLS;
		r[0] = pl_sql_text(q->queue);
		r[1] = pl_sql_text(q->ecosystem);
		r[2] = pl_sql_text(q->items[i].project);
		r[3] = pl_sql_text("pending");
		r[4] = pl_sql_int_or_null(q->items[i].serial);
		r[5] = pl_sql_int(now);
	}
	/* A project already queued stays as it is, unless asked or newer. */
	int rc = pl_store_insert_rows(
		st,
		"INSERT INTO queue (queue, ecosystem, project, status, serial, updated) VALUES ",
		QUEUE_COLS, v, q->n,
		q->requeue ? " ON CONFLICT (queue, ecosystem, project) DO UPDATE SET"
			     " status = 'pending', error = NULL, updated = excluded.updated,"
			     " serial = COALESCE(excluded.serial, queue.serial)"
			   : " ON CONFLICT (queue, ecosystem, project) DO UPDATE SET"
			     " status = 'pending', error = NULL, updated = excluded.updated,"
			     " serial = excluded.serial WHERE excluded.serial IS NOT NULL AND"
			     " (queue.serial IS NULL OR excluded.serial > queue.serial)",
		NULL, NULL);
	free(v);
	if (rc == 0 && q->meta_key)
		rc = pl_store_meta_set(st, q->meta_key, q->meta_value);
	return rc;
}

int pl_store_queue_add(struct pl_store *st, const char *queue, const char *ecosystem,
		       const struct pl_queue_item *items, size_t n, int requeue,
		       const char *meta_key, const char *meta_value)
{
	struct queue_add q = {queue, ecosystem, items, n, requeue, meta_key, meta_value};
	return atomically(st, queue_add_rows, &q);
}

struct items_out {
	struct pl_queue_item *items;
	size_t n, cap;
};

static int take_item(void *ctx, size_t ncols, const char *const *v)
{
	struct items_out *o = ctx;
	if (ncols < 2 || !v[0])
		return 0;
	PL_GROW(o->items, o->cap, o->n + 1);
	o->items[o->n++] = (struct pl_queue_item){pl_xstrdup(v[0]), pl_store_int(v[1], -1)};
	return 0;
}

int pl_store_queue_pending(struct pl_store *st, const char *queue, const char *ecosystem,
			   size_t max, struct pl_queue_item **out, size_t *n)
{
	struct pl_sql_value p[] = {pl_sql_text(queue), pl_sql_text(ecosystem),
				   pl_sql_int(max ? (int64_t)max : INT64_MAX)};
	struct items_out o = {0};
	int rc = pl_store_query(st, "SELECT project, serial FROM queue WHERE queue = $1 AND"
				    " ecosystem = $2 AND status = 'pending'"
				    " ORDER BY updated, project LIMIT $3", p, 3, take_item, &o);
	if (rc < 0) {
		pl_queue_items_free(o.items, o.n);
		o = (struct items_out){0};
	}
	*out = o.items;
	*n = o.n;
	return rc;
}

void pl_queue_items_free(struct pl_queue_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(items[i].project);
	free(items);
}

int pl_store_queue_finish(struct pl_store *st, const char *queue, const char *ecosystem,
			  const char *project, int64_t serial, const char *error)
{
	struct pl_sql_value p[] = {
		pl_sql_text(queue), pl_sql_text(ecosystem), pl_sql_text(project),
		pl_sql_text(error ? "error" : "done"), pl_sql_text(error),
		pl_sql_int((int64_t)time(NULL)), pl_sql_int(serial),
	};
	return pl_store_exec(
		st,
		"UPDATE queue SET status = $4, error = $5, updated = $6"
		" WHERE queue = $1 AND ecosystem = $2 AND project = $3 AND"
		" (CAST($7 AS BIGINT) < 0 OR serial IS NULL OR serial <= CAST($7 AS BIGINT))",
		p, 7);
}

struct counts {
	uint64_t *pending, *done, *error;
};

static int take_count(void *ctx, size_t ncols, const char *const *v)
{
	struct counts *c = ctx;
	if (ncols < 2 || !v[0])
		return 0;
	uint64_t n = (uint64_t)pl_store_int(v[1], 0);
	if (strcmp(v[0], "pending") == 0)
		*c->pending = n;
	else if (strcmp(v[0], "done") == 0)
		*c->done = n;
	else
		*c->error = n;
	return 0;
}

int pl_store_queue_counts(struct pl_store *st, const char *queue, const char *ecosystem,
			  uint64_t *pending, uint64_t *done, uint64_t *error)
{
	*pending = *done = *error = 0;
	struct pl_sql_value p[] = {pl_sql_text(queue), pl_sql_text(ecosystem)};
	struct counts c = {pending, done, error};
	return pl_store_query(st, "SELECT status, COUNT(*) FROM queue WHERE queue = $1 AND"
				  " ecosystem = $2 GROUP BY status", p, 2, take_count, &c);
}

int pl_store_queue_retry_errors(struct pl_store *st, const char *queue, const char *ecosystem)
{
	struct pl_sql_value p[] = {pl_sql_text(queue), pl_sql_text(ecosystem),
				   pl_sql_int((int64_t)time(NULL))};
	return pl_store_exec(st, "UPDATE queue SET status = 'pending', error = NULL, updated = $3"
				 " WHERE queue = $1 AND ecosystem = $2 AND status = 'error'", p, 3);
}
