/* The work queue: one item per artifact, claimed by workers with
 * SELECT ... FOR UPDATE SKIP LOCKED and held under a lease (store.h).
 *
 * PostgreSQL only: SKIP LOCKED lets many workers claim at once without
 * waiting on each other, and every time is the server's clock (NOW below),
 * so machines need not agree on theirs. A lease token is random per claim:
 * a worker that lost its lease (expired, taken over) matches no row when it
 * finishes, so the transaction holding its artifact is rolled back. Every
 * statement that touches leased rows from outside the artifact's
 * transaction (renew, release, expire) skips locked rows rather than wait
 * for a finishing transaction: the row it skips is being finished. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "pkgleaks/error.h"
#include "store/store_int.h"
#include "util/alloc.h"

#define NOW "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS BIGINT)"

/* Columns a claim returns, in take_item's order. */
#define ITEM_COLS                                                                          \
	"id, attempts, key, ecosystem, project, version, filename, url, path, sha256,"     \
	" integrity, size, upload_time, yanked, priority"

static int need_postgres(const struct pl_store *st)
{
	if (st->ops == &pl_store_postgres_ops)
		return 0;
	return pl_error_set(PL_EINVAL, "the work queue needs PostgreSQL (--db postgresql://...);"
				       " on one machine, `pkgleaks mirror` or `pkgleaks crawl` resume"
				       " from a SQLite store");
}

static int64_t whole_seconds(double s)
{
	return s <= 0 ? 0 : s > 1e9 ? (int64_t)1e9 : (int64_t)ceil(s);
}

const char *pl_work_outcome_name(enum pl_work_outcome o)
{
	static const char *const names[] = {"lost", "done", "retry", "parked"};
	return (unsigned)o < sizeof(names) / sizeof(names[0]) ? names[o] : "?";
}

/* ---- items ---- */

static char *dup_or_null(const char *s)
{
	return s ? pl_xstrdup(s) : NULL;
}

void pl_work_item_release(struct pl_work_item *it)
{
	if (!it)
		return;
	char **s[] = {&it->key,  &it->ecosystem, &it->project, &it->version,  &it->filename,
		      &it->url,  &it->path,      &it->sha256,  &it->integrity};
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		free(*s[i]);
		*s[i] = NULL;
	}
}

static int take_item(void *ctx, size_t ncols, const char *const *v)
{
	struct pl_work_item *it = ctx;
	if (ncols < 15 || !v[0] || it->key)
		return 0;
	*it = (struct pl_work_item){
		.id = pl_store_int(v[0], -1), .attempts = (int)pl_store_int(v[1], 0),
		.key = pl_xstrdup(v[2] ? v[2] : ""), .ecosystem = pl_xstrdup(v[3] ? v[3] : ""),
		.project = pl_xstrdup(v[4] ? v[4] : ""), .version = pl_xstrdup(v[5] ? v[5] : ""),
		.filename = pl_xstrdup(v[6] ? v[6] : ""), .url = dup_or_null(v[7]),
		.path = dup_or_null(v[8]), .sha256 = dup_or_null(v[9]),
		.integrity = dup_or_null(v[10]), .size = pl_store_int(v[11], -1),
		.upload_time = pl_store_int(v[12], -1), .yanked = (int)pl_store_int(v[13], -1),
		.priority = (int)pl_store_int(v[14], 0), .lease = it->lease};
	return 0;
}

static int count_row(void *ctx, size_t ncols, const char *const *v)
{
	(void)ncols;
	(void)v;
	(*(uint64_t *)ctx)++;
	return 0;
}

/* Runs fn in its own transaction, or under a savepoint of the open one. */
static int in_transaction(struct pl_store *st, int (*fn)(struct pl_store *st, void *ctx),
			  void *ctx)
{
	int own = !st->in_tx;
	int rc = own ? pl_store_begin(st) : pl_store_exec(st, "SAVEPOINT work", NULL, 0);
	if (rc < 0)
		return rc;
	rc = fn(st, ctx);
	if (rc == 0)
		return own ? pl_store_commit(st) : pl_store_exec(st, "RELEASE SAVEPOINT work", NULL, 0);
	char msg[1024];
	snprintf(msg, sizeof(msg), "%s", pl_error_message());
	if (own)
		pl_store_rollback(st);
	else if (pl_store_exec(st, "ROLLBACK TO SAVEPOINT work", NULL, 0) == 0)
		(void)pl_store_exec(st, "RELEASE SAVEPOINT work", NULL, 0);
	return pl_error_set(rc, "%s", msg);
}

#define ADD_COLS 14

struct work_add {
	const struct pl_work_item *items;
	size_t n;
	int requeue;
	uint64_t added;
};

static void add_row(struct pl_sql_value *r, const struct pl_work_item *it, int64_t now)
{
	r[0] = pl_sql_text(it->key);
	r[1] = pl_sql_text(it->ecosystem ? it->ecosystem : "");
	r[2] = pl_sql_text(it->project ? it->project : "");
	r[3] = pl_sql_text(it->version ? it->version : "");
	r[4] = pl_sql_text(it->filename ? it->filename : "");
	r[5] = pl_sql_text(it->url);
	r[6] = pl_sql_text(it->path);
	r[7] = pl_sql_text(it->sha256);
	r[8] = pl_sql_text(it->integrity);
	r[9] = pl_sql_int_or_null(it->size);
	r[10] = pl_sql_int_or_null(it->upload_time);
	r[11] = pl_sql_int_or_null(it->yanked);
	r[12] = pl_sql_int(it->priority);
	r[13] = pl_sql_int(now);
}

static int add_rows(struct pl_store *st, void *ctx)
{
	struct work_add *w = ctx;
	int64_t now = -1;
	int rc = pl_store_query_int(st, "SELECT " NOW, NULL, 0, &now);
	if (rc < 0)
		return rc;
	struct pl_sql_value *v = pl_xcalloc(w->n * ADD_COLS + 1, sizeof(*v));
	for (size_t i = 0; i < w->n; i++)
		add_row(v + i * ADD_COLS, &w->items[i], now);
	rc = pl_store_insert_rows(st,
				  "INSERT INTO work (key, ecosystem, project, version, filename, url,"
				  " path, sha256, integrity, size, upload_time, yanked, priority, added)"
				  " VALUES ",
				  ADD_COLS, v, w->n,
				  w->requeue ? " ON CONFLICT (key) DO UPDATE SET status = 'queued',"
					       " attempts = 0, not_before = 0, error = NULL,"
					       " priority = excluded.priority WHERE"
					       " work.status IN ('done', 'failed') RETURNING id"
					     : " ON CONFLICT (key) DO NOTHING RETURNING id",
				  count_row, &w->added);
	free(v);
	return rc;
}

int pl_store_work_add(struct pl_store *st, const struct pl_work_item *items, size_t n,
		      int requeue, uint64_t *added)
{
	*added = 0;
	for (size_t i = 0; i < n; i++)
		if (!items[i].key || !items[i].url == !items[i].path)
			return pl_error_set(PL_EINVAL, "work item %zu: a key and one of url, path", i);
	int rc = need_postgres(st);
	struct work_add w = {items, n, requeue, 0};
	if (rc == 0 && n)
		rc = in_transaction(st, add_rows, &w);
	*added = rc == 0 ? w.added : 0;
	return rc;
}

/* ---- claiming and finishing ---- */

static int64_t random_token(void)
{
	uint64_t v = 0;
	if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v)) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		v = (uint64_t)ts.tv_nsec * 6364136223846793005ull ^ (uint64_t)getpid() << 32 ^
		    (uint64_t)ts.tv_sec;
	}
	v &= INT64_MAX;
	return v ? (int64_t)v : 1;
}

int pl_store_work_claim(struct pl_store *st, const char *worker, double lease_seconds,
			struct pl_work_item *out)
{
	memset(out, 0, sizeof(*out));
	int rc = need_postgres(st);
	if (rc < 0)
		return rc;
	out->lease = random_token();
	struct pl_sql_value p[] = {pl_sql_text(worker), pl_sql_int(out->lease),
				   pl_sql_int(whole_seconds(lease_seconds))};
	/* The claim's commit does not wait for its WAL to reach the disk
	 * (synchronous_commit off for this statement's own transaction): a claim
	 * lost in a server crash only puts the item back in the queue, where the
	 * worker's finish no longer finds its token (nothing is written), and the
	 * finish's own durable commit flushes the claim before it. That is one
	 * disk flush per item instead of two, most of the queue's cost when
	 * fsync is slow. */
	rc = pl_store_query(st,
			    "UPDATE work SET status = 'leased', attempts = attempts + 1, worker = $1,"
			    " lease = $2, lease_until = " NOW " + $3, started = " NOW
			    " FROM (SELECT set_config('synchronous_commit', 'off', true)) AS no_wait"
			    " WHERE id = (SELECT id FROM work WHERE status = 'queued' AND"
			    " not_before <= " NOW " ORDER BY priority DESC, id LIMIT 1"
			    " FOR UPDATE SKIP LOCKED) RETURNING " ITEM_COLS,
			    p, 3, take_item, out);
	if (rc < 0 || !out->key) {
		pl_work_item_release(out);
		return rc < 0 ? rc : 0;
	}
	return 1;
}

static int take_outcome(void *ctx, size_t ncols, const char *const *v)
{
	enum pl_work_outcome *o = ctx;
	if (ncols < 1 || !v[0])
		return 0;
	*o = strcmp(v[0], "done") == 0 ? PL_WORK_DONE
	     : strcmp(v[0], "failed") == 0 ? PL_WORK_PARKED
					    : PL_WORK_RETRY;
	return 0;
}

struct work_finish {
	int64_t id, lease;
	const char *error;
	int max_attempts;
	double retry_delay;
	enum pl_work_outcome out;
};

static int finish_rows(struct pl_store *st, void *ctx)
{
	struct work_finish *w = ctx;
	struct pl_sql_value p[] = {pl_sql_int(w->id), pl_sql_int(w->lease), pl_sql_text(w->error),
				   pl_sql_int(w->max_attempts),
				   pl_sql_int((int64_t)(w->retry_delay * 1000))};
	w->out = PL_WORK_LOST;
	return pl_store_query(
		st,
		"UPDATE work SET status = CASE WHEN CAST($3 AS TEXT) IS NULL THEN 'done'"
		" WHEN attempts >= $4 THEN 'failed' ELSE 'queued' END,"
		" error = CAST($3 AS TEXT), finished = " NOW ", lease = NULL, lease_until = NULL,"
		" not_before = CASE WHEN CAST($3 AS TEXT) IS NULL THEN not_before ELSE " NOW
		" + CAST(CAST($5 AS BIGINT) * power(2, GREATEST(attempts - 1, 0)) / 1000 AS BIGINT)"
		" END WHERE id = $1 AND lease = $2 AND status = 'leased' RETURNING status",
		p, 5, take_outcome, &w->out);
}

int pl_store_work_finish(struct pl_store *st, int64_t id, int64_t lease, const char *error,
			 int max_attempts, double retry_delay, enum pl_work_outcome *out)
{
	*out = PL_WORK_LOST;
	int rc = need_postgres(st);
	struct work_finish w = {id, lease, error, max_attempts, retry_delay, PL_WORK_LOST};
	/* One statement, atomic on its own: no transaction or savepoint of its
	 * own (two round trips per item). In the artifact's transaction, a
	 * failure here rolls back to the artifact's savepoint with the rest. */
	if (rc == 0)
		rc = finish_rows(st, &w);
	if (rc == 0)
		*out = w.out;
	return rc;
}

int pl_store_work_release(struct pl_store *st, int64_t id, int64_t lease, const char *why)
{
	int rc = need_postgres(st);
	struct pl_sql_value p[] = {pl_sql_int(id), pl_sql_int(lease), pl_sql_text(why)};
	if (rc == 0)
		rc = pl_store_exec(st,
				   "UPDATE work SET status = 'queued', attempts = GREATEST(attempts - 1, 0),"
				   " lease = NULL, lease_until = NULL, error = $3"
				   " WHERE id IN (SELECT id FROM work WHERE id = $1 AND lease = $2 AND"
				   " status = 'leased' FOR UPDATE SKIP LOCKED)",
				   p, 3);
	return rc < 0 ? rc : st->ops->changes(st->conn) > 0;
}

/* "{1,2,3}": a bigint[] parameter as text. */
static char *int_array(const int64_t *v, size_t n)
{
	size_t cap = n * 21 + 3, k = 0; /* ",-9223372036854775808" is 21 */
	char *s = pl_xmalloc(cap);
	s[k++] = '{';
	for (size_t i = 0; i < n; i++)
		k += (size_t)snprintf(s + k, cap - k, i ? ",%lld" : "%lld", (long long)v[i]);
	s[k++] = '}';
	s[k] = 0;
	return s;
}

int pl_store_work_renew(struct pl_store *st, const int64_t *leases, size_t n,
			double lease_seconds)
{
	int rc = need_postgres(st);
	if (rc < 0 || n == 0)
		return rc;
	char *arr = int_array(leases, n);
	struct pl_sql_value p[] = {pl_sql_text(arr), pl_sql_int(whole_seconds(lease_seconds))};
	rc = pl_store_exec(st,
			   "UPDATE work SET lease_until = " NOW " + $2 WHERE id IN (SELECT id FROM"
			   " work WHERE status = 'leased' AND lease = ANY(CAST($1 AS BIGINT[]))"
			   " FOR UPDATE SKIP LOCKED)",
			   p, 2);
	free(arr);
	return rc;
}

struct expired {
	uint64_t *requeued, *parked;
};

static int take_expired(void *ctx, size_t ncols, const char *const *v)
{
	struct expired *e = ctx;
	if (ncols >= 1 && v[0] && strcmp(v[0], "failed") == 0)
		(*e->parked)++;
	else
		(*e->requeued)++;
	return 0;
}

int pl_store_work_expire(struct pl_store *st, int max_attempts, uint64_t *requeued,
			 uint64_t *parked)
{
	*requeued = *parked = 0;
	int rc = need_postgres(st);
	struct pl_sql_value p = pl_sql_int(max_attempts);
	struct expired e = {requeued, parked};
	return rc < 0 ? rc
		      : pl_store_query(
				st,
				"UPDATE work SET status = CASE WHEN attempts >= $1 THEN 'failed'"
				" ELSE 'queued' END, error = 'the lease of worker ' ||"
				" COALESCE(worker, '?') || ' expired (killed, cut off or stuck) on"
				" attempt ' || attempts, lease = NULL, lease_until = NULL,"
				" finished = " NOW " WHERE id IN (SELECT id FROM work WHERE"
				" status = 'leased' AND lease_until < " NOW
				" FOR UPDATE SKIP LOCKED) RETURNING status",
				&p, 1, take_expired, &e);
}

int pl_store_work_retry(struct pl_store *st, const int64_t *ids, size_t n, uint64_t *requeued)
{
	*requeued = 0;
	int rc = need_postgres(st);
	if (rc < 0)
		return rc;
	char *arr = int_array(ids, n);
	struct pl_sql_value p[] = {pl_sql_text(arr), pl_sql_int(n == 0)};
	rc = pl_store_query(st,
			    "UPDATE work SET status = 'queued', attempts = 0, not_before = 0,"
			    " error = NULL WHERE status = 'failed' AND (CAST($2 AS INTEGER) = 1 OR"
			    " id = ANY(CAST($1 AS BIGINT[]))) RETURNING id",
			    p, 2, count_row, requeued);
	free(arr);
	return rc;
}

static int take_left(void *ctx, size_t ncols, const char *const *v)
{
	uint64_t **out = ctx;
	for (size_t i = 0; i < ncols && i < 2; i++)
		*out[i] = (uint64_t)pl_store_int(v[i], 0);
	return 0;
}

int pl_store_work_left(struct pl_store *st, uint64_t *queued, uint64_t *leased)
{
	*queued = *leased = 0;
	int rc = need_postgres(st);
	uint64_t *out[] = {queued, leased};
	return rc < 0 ? rc
		      : pl_store_query(st,
				       "SELECT (SELECT COUNT(*) FROM work WHERE status = 'queued'),"
				       " (SELECT COUNT(*) FROM work WHERE status = 'leased')",
				       NULL, 0, take_left, out);
}

/* ---- what is failed, who works, how far along ---- */

struct failed_out {
	struct pl_work_failed *f;
	size_t n, cap;
};

static int take_failed(void *ctx, size_t ncols, const char *const *v)
{
	struct failed_out *o = ctx;
	if (ncols < 9)
		return 0;
	PL_GROW(o->f, o->cap, o->n + 1);
	o->f[o->n++] = (struct pl_work_failed){
		.id = pl_store_int(v[0], -1), .key = pl_xstrdup(v[1] ? v[1] : ""),
		.ecosystem = pl_xstrdup(v[2] ? v[2] : ""), .project = pl_xstrdup(v[3] ? v[3] : ""),
		.version = pl_xstrdup(v[4] ? v[4] : ""), .filename = pl_xstrdup(v[5] ? v[5] : ""),
		.error = pl_xstrdup(v[6] ? v[6] : ""), .attempts = (int)pl_store_int(v[7], 0),
		.finished = pl_store_int(v[8], -1)};
	return 0;
}

int pl_store_work_failed(struct pl_store *st, size_t max, struct pl_work_failed **out,
			 size_t *n)
{
	*out = NULL;
	*n = 0;
	int rc = need_postgres(st);
	struct pl_sql_value p = pl_sql_int(max ? (int64_t)max : INT64_MAX);
	struct failed_out o = {0};
	if (rc == 0)
		rc = pl_store_query(st,
				    "SELECT id, key, ecosystem, project, version, filename, error,"
				    " attempts, finished FROM work WHERE status = 'failed'"
				    " ORDER BY id LIMIT $1",
				    &p, 1, take_failed, &o);
	if (rc < 0) {
		pl_work_failed_free(o.f, o.n);
		return rc;
	}
	*out = o.f;
	*n = o.n;
	return 0;
}

void pl_work_failed_free(struct pl_work_failed *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].key);
		free(f[i].ecosystem);
		free(f[i].project);
		free(f[i].version);
		free(f[i].filename);
		free(f[i].error);
	}
	free(f);
}

int pl_store_worker_beat(struct pl_store *st, const char *id, const char *host, int64_t pid,
			 unsigned jobs, const char *state, uint64_t done, uint64_t failed,
			 int first)
{
	int rc = need_postgres(st);
	struct pl_sql_value p[] = {pl_sql_text(id), pl_sql_text(host), pl_sql_int(pid),
				   pl_sql_int(jobs), pl_sql_text(state), pl_sql_int((int64_t)done),
				   pl_sql_int((int64_t)failed), pl_sql_int(first != 0)};
	return rc < 0 ? rc
		      : pl_store_exec(st,
				      "INSERT INTO workers (id, host, pid, jobs, started, last_seen, state,"
				      " done, failed) VALUES ($1, $2, $3, $4, " NOW ", " NOW ", $5, $6, $7)"
				      " ON CONFLICT (id) DO UPDATE SET host = excluded.host,"
				      " pid = excluded.pid, jobs = excluded.jobs,"
				      " last_seen = excluded.last_seen, state = excluded.state,"
				      " done = excluded.done, failed = excluded.failed,"
				      " started = CASE WHEN CAST($8 AS INTEGER) = 1 THEN excluded.started"
				      " ELSE workers.started END",
				      p, 8);
}

static int take_counts(void *ctx, size_t ncols, const char *const *v)
{
	struct pl_work_status *s = ctx;
	uint64_t *f[] = {&s->queued, &s->waiting, &s->leased, &s->expired,
			 &s->done,   &s->failed,  &s->recent};
	for (size_t i = 0; i < ncols && i < 7; i++)
		*f[i] = (uint64_t)pl_store_int(v[i], 0);
	if (ncols >= 9) {
		s->now = pl_store_int(v[7], 0);
		/* A run younger than the window: its rate is over its own time
		 * (at least a minute). */
		int64_t first = pl_store_int(v[8], -1);
		double span = first < 0 ? s->window : (double)(s->now - first);
		span = span < 60 ? 60 : span;
		s->window = span < s->window ? span : s->window;
	}
	return 0;
}

struct workers_out {
	struct pl_worker_info *w;
	size_t n, cap;
};

static int take_worker(void *ctx, size_t ncols, const char *const *v)
{
	struct workers_out *o = ctx;
	if (ncols < 11 || !v[0])
		return 0;
	PL_GROW(o->w, o->cap, o->n + 1);
	o->w[o->n++] = (struct pl_worker_info){
		.id = pl_xstrdup(v[0]), .host = pl_xstrdup(v[1] ? v[1] : ""),
		.pid = pl_store_int(v[2], 0), .jobs = (unsigned)pl_store_int(v[3], 0),
		.started = pl_store_int(v[4], -1), .last_seen = pl_store_int(v[5], -1),
		.state = pl_xstrdup(v[6] ? v[6] : ""), .done = (uint64_t)pl_store_int(v[7], 0),
		.failed = (uint64_t)pl_store_int(v[8], 0), .leased = (uint64_t)pl_store_int(v[9], 0),
		.recent = (uint64_t)pl_store_int(v[10], 0)};
	return 0;
}

static int status_workers(struct pl_store *st, double window, double max_age,
			  struct pl_work_status *out)
{
	struct pl_sql_value p[] = {pl_sql_int(whole_seconds(window)),
				   pl_sql_int(whole_seconds(max_age))};
	struct workers_out o = {0};
	int rc = pl_store_query(
		st,
		"SELECT w.id, w.host, w.pid, w.jobs, w.started, w.last_seen, w.state, w.done,"
		" w.failed, COALESCE(l.n, 0), COALESCE(r.n, 0) FROM workers w"
		" LEFT JOIN (SELECT worker, COUNT(*) AS n FROM work WHERE status = 'leased'"
		" GROUP BY worker) l ON l.worker = w.id"
		" LEFT JOIN (SELECT worker, COUNT(*) AS n FROM work WHERE status = 'done' AND"
		" finished >= " NOW " - $1 GROUP BY worker) r ON r.worker = w.id"
		" WHERE w.last_seen >= " NOW " - $2 ORDER BY w.last_seen DESC, w.id",
		p, 2, take_worker, &o);
	out->workers = o.w;
	out->nworkers = o.n;
	return rc;
}

int pl_store_work_status(struct pl_store *st, double window, double max_age,
			 struct pl_work_status *out)
{
	memset(out, 0, sizeof(*out));
	out->window = (double)whole_seconds(window);
	int rc = need_postgres(st);
	struct pl_sql_value p = pl_sql_int(whole_seconds(window));
	if (rc == 0)
		rc = pl_store_query(
			st,
			"SELECT (SELECT COUNT(*) FROM work WHERE status = 'queued'),"
			" (SELECT COUNT(*) FROM work WHERE status = 'queued' AND not_before > " NOW "),"
			" (SELECT COUNT(*) FROM work WHERE status = 'leased'),"
			" (SELECT COUNT(*) FROM work WHERE status = 'leased' AND lease_until < " NOW "),"
			" (SELECT COUNT(*) FROM work WHERE status = 'done'),"
			" (SELECT COUNT(*) FROM work WHERE status = 'failed'),"
			" (SELECT COUNT(*) FROM work WHERE status = 'done' AND finished >= " NOW " - $1),"
			" " NOW ", (SELECT MIN(finished) FROM work WHERE status = 'done' AND"
			" finished >= " NOW " - $1)",
			&p, 1, take_counts, out);
	if (rc == 0)
		rc = status_workers(st, window, max_age, out);
	if (rc < 0)
		pl_work_status_release(out);
	return rc;
}

void pl_work_status_release(struct pl_work_status *s)
{
	for (size_t i = 0; i < s->nworkers; i++) {
		free(s->workers[i].id);
		free(s->workers[i].host);
		free(s->workers[i].state);
	}
	free(s->workers);
	s->workers = NULL;
	s->nworkers = 0;
}
