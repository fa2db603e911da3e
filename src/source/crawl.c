/* What a fetch works through: names from the command line, the store's
 * crawl queue, or new PyPI uploads (follow). Each is a planner run on its
 * own thread while the scan reads what it adds (fetch_run).
 *
 * Resuming: a project is marked done (in the store, with the transaction
 * of its last file, or after it) only once each of its files is recorded;
 * a restart reads the projects still pending, and skips the files the
 * store already holds. A follow queues the projects a poll found together
 * with the serial it read, in one transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pkgleaks/error.h"
#include "pkgleaks/store.h"
#include "source/fetch_int.h"
#include "util/alloc.h"

/* Pending projects read from the queue per round. */
#define CRAWL_BATCH 10000

/* ---- names ---- */

struct names_plan {
	enum pl_ecosystem eco;
	struct fetch_item *items;
	size_t n;
};

static int plan_names(struct pl_fetch *f, void *arg)
{
	struct names_plan *np = arg;
	fetch_items(f, np->eco, np->items, np->n);
	return 0;
}

int pl_fetch_run_names(struct pl_fetch *f, enum pl_ecosystem eco, const char *const *names,
		       size_t n, const struct pl_ruleset *rs, const struct pl_scan_options *opt,
		       const struct pl_sink_ops *sink, void *sink_ctx)
{
	struct names_plan np = {eco, pl_xcalloc(n + 1, sizeof(struct fetch_item)), n};
	for (size_t i = 0; i < n; i++)
		np.items[i] = (struct fetch_item){(char *)names[i], -1};
	int rc = fetch_run(f, NULL, plan_names, &np, rs, opt, sink, sink_ctx);
	free(np.items);
	return rc;
}

/* ---- the queue ---- */

static struct pl_store *need_store(struct pl_fetch *f, const char *what)
{
	struct pl_store *st = fetch_store_lock(f);
	if (!st) {
		fetch_store_unlock(f);
		pl_error_set(PL_EINVAL, "%s needs a store (--db)", what);
	}
	return st;
}

/* Works through the pending projects of a queue, a batch at a time. */
static int drain(struct pl_fetch *f, const char *queue, enum pl_ecosystem eco)
{
	for (;;) {
		struct pl_queue_item *items;
		size_t n;
		struct pl_store *st = need_store(f, queue);
		if (!st)
			return PL_EINVAL;
		int rc = pl_store_queue_pending(st, queue, pl_ecosystem_name(eco), CRAWL_BATCH,
						&items, &n);
		fetch_store_unlock(f);
		if (rc < 0)
			return rc;
		fetch_items(f, eco, (const struct fetch_item *)items, n);
		fetch_wait_idle(f);
		fetch_store_flush(f);
		pl_queue_items_free(items, n);
		/* A batch that could not finish (a stale index) is not retried here. */
		if (n < CRAWL_BATCH || fetch_stopping(f))
			return 0;
	}
}

static int enqueue(struct pl_fetch *f, const char *queue, enum pl_ecosystem eco,
		   const struct pl_queue_item *items, size_t n, int requeue, const char *key,
		   const char *value)
{
	struct pl_store *st = need_store(f, queue);
	if (!st)
		return PL_EINVAL;
	int rc = pl_store_queue_add(st, queue, pl_ecosystem_name(eco), items, n, requeue, key,
				    value);
	fetch_store_unlock(f);
	return rc;
}

struct crawl_plan {
	const struct pl_crawl_options *c;
};

struct npm_all_plan {
	struct pl_fetch *f;
	const char *queue;
	int requeue;
};

static int enqueue_npm_page(void *ctx, const struct pl_queue_item *items, size_t n)
{
	struct npm_all_plan *p = ctx;
	return enqueue(p->f, p->queue, PL_ECO_NPM, items, n, p->requeue, NULL, NULL);
}

/* npm: _all_docs a page at a time, each page queued as it comes. */
static int crawl_all_npm(struct pl_fetch *f, const char *queue, int requeue)
{
	struct npm_all_plan p = {f, queue, requeue};
	return pl_npm_all(f, enqueue_npm_page, &p);
}

static int crawl_all(struct pl_fetch *f, const char *queue, int requeue)
{
	struct pypi_index x;
	int rc = pl_pypi_index(f, NULL, &x);
	for (size_t i = 0; rc == 0 && i < x.n; i++)
		x.items[i].serial = -1; /* a crawl takes what is there, whatever the serial */
	if (rc == 0)
		rc = enqueue(f, queue, PL_ECO_PYPI, x.items, x.n, requeue, NULL, NULL);
	pl_pypi_index_release(&x);
	return rc;
}

static int plan_crawl(struct pl_fetch *f, void *arg)
{
	const struct pl_crawl_options *c = ((struct crawl_plan *)arg)->c;
	const char *queue = c->queue ? c->queue : "crawl";
	int rc = 0;
	if (c->nnames) {
		struct pl_queue_item *items = pl_xcalloc(c->nnames, sizeof(*items));
		for (size_t i = 0; i < c->nnames; i++)
			items[i] = (struct pl_queue_item){(char *)c->names[i], -1};
		rc = enqueue(f, queue, c->eco, items, c->nnames, c->requeue, NULL, NULL);
		free(items);
	}
	if (rc == 0 && c->all)
		rc = c->eco == PL_ECO_PYPI ? crawl_all(f, queue, c->requeue)
					   : crawl_all_npm(f, queue, c->requeue);
	if (rc == 0 && c->retry_errors) {
		struct pl_store *st = need_store(f, queue);
		rc = st ? pl_store_queue_retry_errors(st, queue, pl_ecosystem_name(c->eco))
			: PL_EINVAL;
		if (st)
			fetch_store_unlock(f);
	}
	return rc < 0 ? rc : drain(f, queue, c->eco);
}

int pl_fetch_run_crawl(struct pl_fetch *f, const struct pl_crawl_options *c,
		       const struct pl_ruleset *rs, const struct pl_scan_options *opt,
		       const struct pl_sink_ops *sink, void *sink_ctx)
{
	struct crawl_plan cp = {c};
	return fetch_run(f, c->queue ? c->queue : "crawl", plan_crawl, &cp, rs, opt, sink,
			 sink_ctx);
}

/* ---- files already listed (a work queue's items) ---- */

struct files_plan {
	const struct pl_listed_file *files;
	size_t n;
};

/* Each file is a project of its own, so that it is read, verified and
 * recorded as any project's file is. */
static int plan_files(struct pl_fetch *f, void *arg)
{
	const struct files_plan *fp = arg;
	int rc = 0;
	for (size_t i = 0; rc >= 0 && i < fp->n; i++) {
		const struct pl_listed_file *l = &fp->files[i];
		enum pl_ecosystem eco = l->ecosystem && strcmp(l->ecosystem, "npm") == 0
						? PL_ECO_NPM
						: PL_ECO_PYPI;
		struct fetch_project *p = fetch_project_begin(f, eco, l->project, -1);
		struct fetch_file ff = {
			.project = l->project, .url = l->url, .filename = l->filename,
			.version = l->version, .sha256 = l->sha256, .integrity = l->integrity,
			.sha1 = l->sha1, .upload_time = l->upload_time, .size = l->size,
			.yanked = l->yanked};
		rc = fetch_project_add(f, p, &ff);
		fetch_project_end(f, p, l->version, NULL, 0);
	}
	return rc < 0 ? rc : 0;
}

int pl_fetch_run_files(struct pl_fetch *f, const struct pl_listed_file *files, size_t n,
		       const struct pl_ruleset *rs, const struct pl_scan_options *opt,
		       const struct pl_sink_ops *sink, void *sink_ctx)
{
	struct files_plan fp = {files, n};
	return fetch_run(f, NULL, plan_files, &fp, rs, opt, sink, sink_ctx);
}

/* ---- follow ---- */

struct follow_plan {
	const struct pl_follow_options *fo;
	char *key_serial, *key_etag, *key_rss, *key_since;
};

static char *meta_get(struct pl_fetch *f, const char *key)
{
	char *v = NULL;
	struct pl_store *st = fetch_store_lock(f);
	if (st && pl_store_meta_get(st, key, &v) < 0)
		v = NULL;
	fetch_store_unlock(f);
	return v;
}

static int meta_set(struct pl_fetch *f, const char *key, const char *value)
{
	struct pl_store *st = fetch_store_lock(f);
	int rc = st ? pl_store_meta_set(st, key, value) : 0;
	fetch_store_unlock(f);
	return rc;
}

static int64_t meta_int(struct pl_fetch *f, const char *key)
{
	char *v = meta_get(f, key);
	int64_t n = v ? strtoll(v, NULL, 10) : -1;
	free(v);
	return n;
}

/* Projects whose serial passed ours; the first poll only notes where the
 * index is (a follow starts now). */
static int poll_serial(struct pl_fetch *f, struct follow_plan *fp, size_t *queued)
{
	int64_t last = meta_int(f, fp->key_serial);
	char *etag = last >= 0 ? meta_get(f, fp->key_etag) : NULL;
	struct pypi_index x;
	int rc = pl_pypi_index(f, etag, &x);
	free(etag);
	size_t k = 0;
	for (size_t i = 0; rc == 0 && !x.unchanged && last >= 0 && i < x.n; i++)
		if (x.items[i].serial > last)
			x.items[k++] = x.items[i];
		else
			free(x.items[i].project);
	if (rc == 0 && !x.unchanged && x.serial < 0)
		rc = pl_error_set(PL_EFORMAT, "the index gives no serial (_last-serial or "
					      "X-PyPI-Last-Serial): follow it with --feed rss");
	if (rc == 0 && !x.unchanged) {
		if (last < 0) { /* the first poll queues nothing */
			pl_queue_items_free(x.items, x.n);
			x.items = NULL;
			k = 0;
		}
		x.n = k;
		char serial[32];
		snprintf(serial, sizeof(serial), "%lld",
			 (long long)(x.serial > last ? x.serial : last));
		rc = enqueue(f, "follow", PL_ECO_PYPI, x.items, x.n, 0, fp->key_serial, serial);
		if (rc == 0 && x.etag)
			rc = meta_set(f, fp->key_etag, x.etag);
		*queued = x.n;
	}
	if (fp->fo->on_poll && rc == 0)
		fp->fo->on_poll(fp->fo->ctx, x.unchanged ? last : x.serial, *queued);
	pl_pypi_index_release(&x);
	return rc;
}

/* Projects with an RSS item newer than the last one seen. */
static int poll_rss(struct pl_fetch *f, struct follow_plan *fp, size_t *queued)
{
	int64_t last = meta_int(f, fp->key_rss);
	int64_t since = last >= 0 ? last : (int64_t)time(NULL);
	struct pl_queue_item *items;
	size_t n;
	int rc = pl_pypi_rss(f, &since, &items, &n);
	if (rc == 0) {
		char t[32];
		snprintf(t, sizeof(t), "%lld", (long long)since);
		rc = enqueue(f, "follow", PL_ECO_PYPI, items, last >= 0 ? n : 0, 1, fp->key_rss, t);
		*queued = last >= 0 ? n : 0;
	}
	if (fp->fo->on_poll && rc == 0)
		fp->fo->on_poll(fp->fo->ctx, -1, *queued);
	pl_queue_items_free(items, n);
	return rc;
}

static int plan_follow(struct pl_fetch *f, void *arg)
{
	struct follow_plan *fp = arg;
	int rc = 0;
	while (rc == 0 && !fetch_stopping(f)) {
		size_t queued = 0;
		rc = fp->fo->feed == PL_FOLLOW_RSS ? poll_rss(f, fp, &queued)
						   : poll_serial(f, fp, &queued);
		if (rc == 0)
			rc = drain(f, "follow", PL_ECO_PYPI);
		if (rc < 0 || fp->fo->once)
			break;
		fetch_sleep(f, fp->fo->interval);
	}
	return rc;
}

/* Files uploaded from the first run's start on, kept in the store. */
static int follow_since(struct pl_fetch *f, struct follow_plan *fp, int64_t *since)
{
	*since = meta_int(f, fp->key_since);
	if (*since >= 0)
		return 0;
	*since = fp->fo->since >= 0 ? fp->fo->since : (int64_t)time(NULL);
	char t[32];
	snprintf(t, sizeof(t), "%lld", (long long)*since);
	return meta_set(f, fp->key_since, t);
}

int pl_fetch_run_follow(struct pl_fetch *f, const struct pl_follow_options *fo,
			const struct pl_ruleset *rs, const struct pl_scan_options *opt,
			const struct pl_sink_ops *sink, void *sink_ctx)
{
	const char *index = fetch_options(f)->index_url;
	struct follow_plan fp = {fo, pl_xasprintf("follow:%s:serial", index),
				 pl_xasprintf("follow:%s:etag", index),
				 pl_xasprintf("follow:%s:rss-time", index),
				 pl_xasprintf("follow:%s:since", index)};
	struct pl_store *st = need_store(f, "follow");
	if (st)
		fetch_store_unlock(f);
	int64_t since;
	int rc = !st ? PL_EINVAL : follow_since(f, &fp, &since);
	if (rc == 0) {
		struct pl_source_options *o = (struct pl_source_options *)fetch_options(f);
		o->versions = PL_VERSIONS_SINCE;
		o->since = since;
		rc = fetch_run(f, "follow", plan_follow, &fp, rs, opt, sink, sink_ctx);
	}
	free(fp.key_serial);
	free(fp.key_etag);
	free(fp.key_rss);
	free(fp.key_since);
	return rc;
}
