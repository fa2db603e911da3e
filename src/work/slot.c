/* A worker's slot: claims an item, downloads (or opens) and scans it into
 * the store through its own connection and store sink, and marks the item
 * done in the artifact's own transaction (slot_in_tx). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pkgleaks/error.h"
#include "util/alloc.h"
#include "work/work_int.h"

/* Scans of one item after its store failed, before it is given back. */
#define SLOT_STORE_RETRIES 3
/* Longest wait between two tries of a store that does not answer. */
#define SLOT_BACKOFF_MAX 5.0

enum { ITEM_FINISHED = 0, ITEM_STORE_ERROR };

/* ---- the store's side: the artifact's transaction and its failures ---- */

/* In the artifact's transaction: the item is done, or failed, if the
 * lease is still ours; otherwise the artifact is rolled back. */
static int slot_in_tx(void *ctx, struct pl_store *st, const char *source, const char *status,
		      const char *error)
{
	struct work_slot *s = ctx;
	const struct pl_worker *w = s->w;
	(void)source;
	const char *why = strcmp(status, "error") == 0 ? (error ? error : "could not be read") : NULL;
	enum pl_work_outcome o;
	int rc = pl_store_work_finish(st, s->item->id, s->item->lease, why, w->o.max_attempts,
				      w->o.retry_delay, &o);
	if (rc < 0)
		return rc;
	s->outcome = (int)o;
	snprintf(s->status, sizeof(s->status), "%s", status);
	if (o == PL_WORK_LOST)
		return pl_error_set(PL_ERROR, "work item %lld: the lease was lost (it expired and was"
					      " taken over): nothing written", (long long)s->item->id);
	return 0;
}

static void set_store_msg(struct work_slot *s, const char *message)
{
	char *m = pl_xstrdup(message);
	free(s->store_msg);
	s->store_msg = m;
}

static void slot_store_error(void *ctx, const char *source, const char *message)
{
	(void)source;
	set_store_msg(ctx, message);
}

/* ---- the scan's sink: the store sink, plus what the slot reports ---- */

static void keep_error(struct work_slot *s, const char *path, const char *reason)
{
	if (s->error)
		return;
	s->error = path && path[0] ? pl_xasprintf("%s: %s", path, reason ? reason : "")
				   : pl_xstrdup(reason ? reason : "");
}

static void w_finding(void *ctx, struct pl_finding *f)
{
	struct work_slot *s = ctx;
	s->findings++;
	pl_store_sink_ops.finding(s->sink, f);
}

static void w_error(void *ctx, const char *source, const char *path, const char *reason)
{
	struct work_slot *s = ctx;
	keep_error(s, path, reason);
	pl_store_sink_ops.error(s->sink, source, path, reason);
}

/* Tests only (PKGLEAKS_TEST_WORKER_DELAY): a slow item, whatever a stop says. */
static void test_delay(const struct pl_worker *w)
{
	double d = w->test_delay;
	struct timespec ts = {(time_t)d, (long)((d - (double)(time_t)d) * 1e9)};
	while (d > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void w_file_facts(void *ctx, const char *source, const struct pl_file_facts *facts)
{
	struct work_slot *s = ctx;
	if (s->w->test_delay_scan)
		test_delay(s->w);
	s->bytes = facts->size;
	pl_store_sink_ops.file_facts(s->sink, source, facts);
}

static void w_metadata(void *ctx, const char *source, const char *path, const char *text,
		       size_t len)
{
	struct work_slot *s = ctx;
	pl_store_sink_ops.metadata(s->sink, source, path, text, len);
}

static int w_blob_seen(void *ctx, const char *source, const char *path, const char *sha256)
{
	struct work_slot *s = ctx;
	return pl_store_sink_ops.blob_seen(s->sink, source, path, sha256);
}

static int w_blob_size_new(void *ctx, const char *source, const char *path, uint64_t size)
{
	struct work_slot *s = ctx;
	return pl_store_sink_ops.blob_size_new(s->sink, source, path, size);
}

static void w_blob_done(void *ctx, const char *source, const char *path, const char *blob_id,
			uint64_t size)
{
	struct work_slot *s = ctx;
	pl_store_sink_ops.blob_done(s->sink, source, path, blob_id, size);
}

static const struct pl_sink_ops slot_sink = {
	.finding = w_finding,
	.error = w_error,
	.file_facts = w_file_facts,
	.metadata = w_metadata,
	.blob_seen = w_blob_seen,
	.blob_size_new = w_blob_size_new,
	.blob_done = w_blob_done,
};

/* ---- connecting ---- */

static void slot_disconnect(struct work_slot *s)
{
	pl_store_sink_free(s->sink);
	pl_store_free(s->st);
	s->sink = NULL;
	s->st = NULL;
}

static int slot_connect(struct work_slot *s)
{
	struct pl_worker *w = s->w;
	int rc = pl_store_open(w->o.db, PL_STORE_EXISTING, &s->st);
	if (rc == 0)
		rc = pl_store_blob_key(s->st, s->blob_key);
	if (rc < 0) {
		pl_store_free(s->st);
		s->st = NULL;
		return rc;
	}
	s->scan = w->scan;
	s->scan.blob_key = s->blob_key;
	struct pl_store_sink_options so = {
		.ruleset_version = pl_ruleset_version(w->rs), .force = w->o.rescan,
		.on_error = slot_store_error, .on_error_ctx = s,
		.in_transaction = slot_in_tx, .in_transaction_ctx = s};
	s->sink = pl_store_sink_new(s->st, &so);
	return 0;
}

static void store_event(struct work_slot *s, const struct pl_work_item *it, const char *msg)
{
	struct pl_worker_event e = {.kind = PL_WEV_STORE, .slot = s->index, .item = it,
				    .message = msg};
	work_event(s->w, &e);
}

/* Waits until the store answers (or a stop, or `patience` seconds), with
 * a backoff from 0.5 to 5 s: 1 when it does (logged, with the time it took,
 * when a store event was: `failed`). A connection that broke is opened
 * again by the next query. */
static int wait_for_store(struct work_slot *s, const struct pl_work_item *it, int failed,
			  double patience)
{
	double delay = 0.5, t0 = work_now(), until = t0 + patience;
	int told = 0;
	while (!work_stopping(s->w) && work_now() < until) {
		int version;
		if (!s->st && slot_connect(s) == 0)
			continue;
		if (s->st && pl_store_schema_version(s->st, &version) == 0) {
			if (!failed && !told)
				return 1; /* the first connection */
			struct pl_worker_event e = {.kind = PL_WEV_RECONNECTED, .slot = s->index,
						    .item = it, .seconds = work_now() - t0};
			work_event(s->w, &e);
			return 1;
		}
		if (!s->st && !told++)
			store_event(s, NULL, pl_error_message());
		work_sleep(s->w, delay);
		delay = delay * 2 < SLOT_BACKOFF_MAX ? delay * 2 : SLOT_BACKOFF_MAX;
	}
	return 0;
}

/* ---- one item ---- */

static int scan_item(struct work_slot *s, const struct pl_work_item *it)
{
	struct pl_worker *w = s->w;
	if (it->path) {
		const char *in[] = {it->path};
		return pl_scan_run(w->rs, &s->scan, in, 1, &slot_sink, s);
	}
	if (!s->fetch && pl_fetch_new(&w->source, &s->fetch) < 0)
		return -1;
	int sri = it->integrity && strncmp(it->integrity, "sha512-", 7) == 0;
	struct pl_listed_file l = {
		.ecosystem = it->ecosystem, .project = it->project, .version = it->version,
		.filename = it->filename, .url = it->url, .sha256 = it->sha256,
		.integrity = sri ? it->integrity : NULL, .sha1 = sri ? NULL : it->integrity,
		.upload_time = it->upload_time, .size = it->size, .yanked = it->yanked};
	return pl_fetch_run_files(s->fetch, &l, 1, w->rs, &s->scan, &slot_sink, s);
}

static void reset_item(struct work_slot *s, const struct pl_work_item *it)
{
	s->item = it;
	s->outcome = -1;
	s->status[0] = 0;
	free(s->error);
	free(s->store_msg);
	s->error = s->store_msg = NULL;
	s->findings = s->bytes = 0;
}

/* No artifact reached the store (the file could not be opened at all): the
 * item is failed on its own. */
static int finish_unscanned(struct work_slot *s, const struct pl_work_item *it)
{
	const struct pl_worker *w = s->w;
	enum pl_work_outcome o;
	int rc = pl_store_work_finish(s->st, it->id, it->lease,
				      s->error ? s->error : "not scanned", w->o.max_attempts,
				      w->o.retry_delay, &o);
	if (rc == 0)
		s->outcome = (int)o;
	return rc;
}

static void outcome_event(struct work_slot *s, const struct pl_work_item *it, double seconds)
{
	static const enum pl_worker_event_kind kinds[] = {PL_WEV_LOST, PL_WEV_DONE, PL_WEV_RETRY,
							  PL_WEV_PARKED};
	struct pl_worker_event e = {
		.kind = kinds[s->outcome], .slot = s->index, .item = it,
		.status = s->status[0] ? s->status : "error", .seconds = seconds,
		.queue_seconds = s->claim_seconds + s->commit_seconds, .bytes = s->bytes,
		.findings = s->findings};
	if (s->outcome == PL_WORK_RETRY || s->outcome == PL_WORK_PARKED)
		e.message = s->error ? s->error : "could not be read";
	work_event(s->w, &e);
}

/* One scan of the item and its commit: ITEM_STORE_ERROR when the store
 * failed on the way (nothing of it was written). */
static int scan_once(struct work_slot *s, const struct pl_work_item *it)
{
	struct pl_store_sink_stats before, after;
	reset_item(s, it);
	pl_store_sink_stats(s->sink, &before);
	double t0 = work_now();
	if (scan_item(s, it) < 0)
		keep_error(s, NULL, pl_error_message());
	if (!s->w->test_delay_scan)
		test_delay(s->w); /* its transaction open: a kill lands here */
	double c0 = work_now();
	int frc = pl_store_sink_flush(s->sink);
	s->commit_seconds = work_now() - c0;
	pl_store_sink_stats(s->sink, &after);
	int lost = s->outcome == PL_WORK_LOST;
	if (frc < 0 || (after.failed > before.failed && !lost)) {
		if (frc < 0 || !s->store_msg)
			set_store_msg(s, pl_error_message());
		return ITEM_STORE_ERROR;
	}
	if (s->outcome < 0 && finish_unscanned(s, it) < 0) {
		set_store_msg(s, pl_error_message());
		return ITEM_STORE_ERROR;
	}
	outcome_event(s, it, work_now() - t0);
	return ITEM_FINISHED;
}

static void release_item(struct work_slot *s, const struct pl_work_item *it, const char *why)
{
	work_unhold(s->w, it->lease);
	char *msg = NULL;
	if (!s->st || pl_store_work_release(s->st, it->id, it->lease, why) <= 0)
		msg = pl_xasprintf("%s; not given back (the store did not take it): its lease"
				   " runs out instead", why);
	struct pl_worker_event e = {.kind = PL_WEV_RELEASED, .slot = s->index, .item = it,
				    .message = msg ? msg : why};
	work_event(s->w, &e); /* the slot is done with it either way */
	free(msg);
}

/* A download the store already holds whole under these rules (queued before
 * an earlier run stored it): done without fetching it again. 1 when so. */
static int done_if_stored(struct work_slot *s, const struct pl_work_item *it)
{
	const struct pl_worker *w = s->w;
	if (w->o.rescan || !it->url ||
	    pl_store_artifact_known(s->st, it->sha256, it->url, pl_ruleset_version(w->rs)) != 1)
		return 0;
	reset_item(s, it);
	enum pl_work_outcome o;
	double c0 = work_now();
	if (pl_store_work_finish(s->st, it->id, it->lease, NULL, w->o.max_attempts,
				 w->o.retry_delay, &o) < 0)
		return 0; /* the usual way then */
	s->commit_seconds = work_now() - c0;
	s->outcome = (int)o;
	snprintf(s->status, sizeof(s->status), "stored");
	outcome_event(s, it, s->commit_seconds);
	return 1;
}

static void run_item(struct work_slot *s, const struct pl_work_item *it)
{
	struct pl_worker *w = s->w;
	struct pl_worker_event claim = {.kind = PL_WEV_CLAIM, .slot = s->index, .item = it};
	work_event(w, &claim);
	if (done_if_stored(s, it)) {
		work_unhold(w, it->lease);
		return;
	}
	for (int tries = 0;; tries++) {
		if (scan_once(s, it) == ITEM_FINISHED) {
			work_unhold(w, it->lease);
			return;
		}
		store_event(s, it, s->store_msg);
		if (tries + 1 >= SLOT_STORE_RETRIES || !wait_for_store(s, it, 1, w->o.lease)) {
			release_item(s, it, "the worker lost its store mid-item");
			return;
		}
	}
}

/* ---- the loop ---- */

/* 1 when the slot should end: a stop, or nothing left (exit_when_empty). */
static int nothing_left(struct work_slot *s)
{
	uint64_t queued, leased;
	if (!s->w->o.exit_when_empty || pl_store_work_left(s->st, &queued, &leased) < 0)
		return 0;
	return queued + leased == 0;
}

/* Claims and runs one item: 1 when one ran, 0 when none was ready, -1 on a
 * store failure. */
static int slot_step(struct work_slot *s)
{
	struct pl_worker *w = s->w;
	struct pl_work_item it;
	double t0 = work_now();
	int rc = pl_store_work_claim(s->st, w->id, w->o.lease, &it);
	if (rc <= 0)
		return rc;
	s->claim_seconds = work_now() - t0;
	work_hold(w, it.id, it.lease);
	if (work_stopping(w))
		release_item(s, &it, "the worker is stopping");
	else
		run_item(s, &it);
	pl_work_item_release(&it);
	return 1;
}

void *work_slot_main(void *arg)
{
	struct work_slot *s = arg;
	struct pl_worker *w = s->w;
	while (!work_stopping(w)) {
		int rc = s->st ? slot_step(s) : -1;
		if (rc < 0) {
			if (s->st)
				store_event(s, NULL, pl_error_message());
			if (!wait_for_store(s, NULL, s->st != NULL, 1e9))
				break;
		} else if (rc == 0) {
			if (nothing_left(s))
				break;
			work_sleep(w, w->o.idle);
		}
	}
	slot_disconnect(s);
	pl_fetch_free(s->fetch);
	s->fetch = NULL;
	free(s->error);
	free(s->store_msg);
	s->error = s->store_msg = NULL;
	work_slot_ended(w);
	return NULL;
}
