/* The store as a scan sink: what the scan says about one top-level file is
 * kept in memory until its file_facts, then written in one transaction.
 *
 * Files from different workers interleave, so what is pending is keyed by
 * the worker thread and the source: one worker scans one file at a time,
 * from its first event to its file_facts, and the same file given twice
 * (`scan dir dir/x.tgz`) is then two separate artifacts in flight.
 *
 * Locks: the scan's lock serialises every event but file_write, metadata
 * and the blob events (scan.h). The sink's own: pending_lock (the list of
 * pending files; a pending file itself is its worker's alone until its
 * file_facts), store_lock (the connection, the open group, what the write
 * counts), cache_lock (the blob cache and the blob counts: blob_seen reads
 * it while another worker's write adds to it), ready_lock (artifacts
 * between file_facts and file_write), report_lock (on_error). Order: the
 * scan's, then store_lock, then the others; none of the others is held
 * while taking another. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pkgleaks/error.h"
#include "scan/scan_int.h"
#include "store/store_int.h"
#include "util/alloc.h"
#include "util/escape.h"

/* Longest error text kept on an artifact row. */
#define PL_STORE_ERROR_MAX 1000
/* Longest file extension counted as one (".gitignore" is 10). */
#define PL_EXT_MAX 16

#define NO_BLOB SIZE_MAX

/* What the store needs of one finding, owned. */
struct find_rec {
	char fingerprint[65];
	char *rule, *redacted, *sealed, *path, *ext;
	const char *path_kind, *encoding; /* static strings */
	struct pl_position *pos;
	size_t npos;
	size_t blob; /* index into the pending blobs, NO_BLOB when none */
};

struct blob_rec {
	char blob_id[PL_BLOB_ID_LEN + 1];
	uint64_t size;
	size_t first, count;
};

struct replay_rec {
	char blob_id[PL_BLOB_ID_LEN + 1];
	char *path, *ext;
	const char *path_kind;
	int64_t nfindings;
};

struct pending {
	pthread_t thread;
	char *source;
	struct pl_package_id id;
	struct find_rec *f;
	size_t nf, capf;
	struct blob_rec *b;
	size_t nb, capb;
	struct replay_rec *r;
	size_t nr, capr;
	size_t blob_start; /* findings from here on belong to the blob being matched */
	int failed;        /* the file itself could not be read */
	int partial;       /* a member could not be */
	char *error;       /* the first problem, escaped */
};

/* ---- group commit (see pl_store_write_artifact) ---- */

/* Commit the open group after this long, or this many artifacts. */
#define PL_STORE_GROUP_SECONDS 1.0
#define PL_STORE_GROUP_MAX 500

/* Artifacts written in the open group transaction, counted once it commits. */
struct group {
	char **sources;
	size_t n, cap;
	uint64_t occurrences;
	double started;
};

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct ready;

struct pl_store_sink {
	struct pl_store *st;
	struct pl_store_sink_options opt;
	char *ruleset;
	struct pending **p; /* under pending_lock */
	size_t np, capp;
	struct ready **ready; /* under ready_lock (defer_writes) */
	size_t nready, capready;
	struct ready **batch; /* written together (write_batch), under ready_lock */
	size_t nbatch, capbatch;
	int draining; /* a worker ran out of files: no more batching (ready_lock) */
	struct pl_blob_cache cache; /* under cache_lock */
	struct group group;         /* under store_lock */
	int finished;
	/* artifacts, unchanged, failed, occurrences under store_lock; the
	 * blob counts under cache_lock */
	struct pl_store_sink_stats stats;
	pthread_mutex_t pending_lock, store_lock, cache_lock, ready_lock, report_lock;
};

/* ---- pending files ---- */

static void pending_free(struct pending *p)
{
	for (size_t i = 0; i < p->nf; i++) {
		struct find_rec *f = &p->f[i];
		free(f->rule);
		free(f->redacted);
		free(f->sealed);
		free(f->path);
		free(f->ext);
		free(f->pos);
	}
	for (size_t i = 0; i < p->nr; i++) {
		free(p->r[i].path);
		free(p->r[i].ext);
	}
	free(p->f);
	free(p->b);
	free(p->r);
	free(p->error);
	free(p->source);
	pl_package_id_release(&p->id);
	free(p);
}

static void pending_drop(struct pl_store_sink *s, size_t i)
{
	pending_free(s->p[i]);
	s->p[i] = s->p[--s->np];
}

/* The index of the calling worker's pending file for source, new if need
 * be; a different file left by the same worker never reached file_facts
 * (it could not be opened) and is dropped. The caller holds pending_lock. */
static size_t pending_find_locked(struct pl_store_sink *s, const char *source)
{
	pthread_t me = pthread_self();
	for (size_t i = 0; i < s->np; i++) {
		if (!pthread_equal(s->p[i]->thread, me))
			continue;
		if (strcmp(s->p[i]->source, source) == 0)
			return i;
		pending_drop(s, i);
		break;
	}
	struct pending *p = pl_xcalloc(1, sizeof(*p));
	p->thread = me;
	p->source = pl_xstrdup(source);
	p->id = (struct pl_package_id)PL_PACKAGE_ID_INIT;
	PL_GROW(s->p, s->capp, s->np + 1);
	s->p[s->np++] = p;
	return s->np - 1;
}

/* The calling worker's pending file for source (pending_find_locked). What
 * it returns is the caller's worker's alone: used without a lock. */
static struct pending *pending_get(struct pl_store_sink *s, const char *source)
{
	pthread_mutex_lock(&s->pending_lock);
	size_t i = pending_find_locked(s, source); /* may move s->p: first */
	struct pending *p = s->p[i];
	pthread_mutex_unlock(&s->pending_lock);
	return p;
}

/* The same, taken off the list. */
static struct pending *pending_take(struct pl_store_sink *s, const char *source)
{
	pthread_mutex_lock(&s->pending_lock);
	size_t i = pending_find_locked(s, source);
	struct pending *p = s->p[i];
	s->p[i] = s->p[--s->np];
	pthread_mutex_unlock(&s->pending_lock);
	return p;
}

/* ---- names ---- */

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* ".py", ".env" for a dotfile, "" for none or anything odd; lower case. */
static char *extension(const char *source, const char *path)
{
	const char *base = base_name(path && path[0] ? path : source);
	const char *dot = strrchr(base, '.');
	if (!dot || strlen(dot) > PL_EXT_MAX || !dot[1])
		return pl_xstrdup("");
	char *ext = pl_xstrdup(dot);
	for (char *c = ext + 1; *c; c++) {
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
		else if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' ||
			   *c == '-' || *c == '+'))
			return free(ext), pl_xstrdup("");
	}
	return ext;
}

static char *escaped(const char *s)
{
	return pl_escape(s ? s : "", s ? strlen(s) : 0);
}

static void report_error(struct pl_store_sink *s, const char *source, const char *message);

/* ---- events ---- */

void pl_store_sink_record(struct pl_store_sink *s, const struct pl_finding *f)
{
	struct pending *p = pending_get(s, f->source);
	PL_GROW(p->f, p->capf, p->nf + 1);
	struct find_rec *r = &p->f[p->nf++];
	memcpy(r->fingerprint, f->fingerprint, sizeof(r->fingerprint));
	r->rule = pl_xstrdup(f->rule->id);
	r->redacted = pl_finding_display_secret(f, 0);
	r->sealed = s->opt.store_secrets ? pl_store_seal(s->st, f->fingerprint, f->secret,
							 f->secret_len)
					 : NULL;
	if (s->opt.store_secrets && !r->sealed)
		report_error(s, f->source, "a raw value could not be sealed: only its redacted"
					   " form is stored");
	r->path = escaped(f->path);
	r->ext = extension(f->source, f->path);
	r->path_kind = f->path_kind ? f->path_kind : "other";
	r->encoding = f->encoding ? f->encoding : "";
	r->npos = f->npositions;
	r->pos = pl_xcalloc(r->npos + 1, sizeof(*r->pos));
	if (r->npos)
		memcpy(r->pos, f->positions, r->npos * sizeof(*r->pos));
	r->blob = NO_BLOB;
}

static void sink_finding(void *ctx, struct pl_finding *f)
{
	pl_store_sink_record(ctx, f);
	pl_finding_free(f);
}

static void note_problem(struct pl_store_sink *s, const char *source, const char *path,
			 const char *reason, int fatal)
{
	struct pending *p = pending_get(s, source);
	p->failed |= fatal;
	p->partial |= !fatal;
	if (p->error)
		return;
	char *raw = path && path[0] ? pl_xasprintf("%s: %s", path, reason) : pl_xstrdup(reason);
	p->error = pl_escape(raw, strlen(raw) > PL_STORE_ERROR_MAX ? PL_STORE_ERROR_MAX : strlen(raw));
	free(raw);
}

static void sink_error(void *ctx, const char *source, const char *path, const char *reason)
{
	note_problem(ctx, source, path, reason ? reason : "", !path || !path[0]);
}

static void sink_metadata(void *ctx, const char *source, const char *path, const char *text,
			  size_t len)
{
	struct pending *p = pending_get(ctx, source);
	pl_package_id_from_metadata(&p->id, path, text, len);
}

static int sink_blob_seen(void *ctx, const char *source, const char *path, const char *blob_id)
{
	struct pl_store_sink *s = ctx;
	struct pending *p = pending_get(s, source);
	int64_t n = -1;
	int complete = 0;
	pthread_mutex_lock(&s->cache_lock);
	s->stats.blobs++;
	if (!s->opt.force) {
		n = pl_blob_cache_find(&s->cache, blob_id);
		complete = s->cache.complete;
	}
	pthread_mutex_unlock(&s->cache_lock);
	if (n < 0 && !s->opt.force && !complete) {
		pthread_mutex_lock(&s->store_lock);
		n = pl_store_blob_findings(s->st, blob_id, s->ruleset);
		pthread_mutex_unlock(&s->store_lock);
	}
	if (n < 0) {
		p->blob_start = p->nf;
		return 0;
	}
	pthread_mutex_lock(&s->cache_lock);
	s->stats.blobs_skipped++;
	s->stats.replayed += (uint64_t)n;
	pthread_mutex_unlock(&s->cache_lock);
	if (n > 0) {
		PL_GROW(p->r, p->capr, p->nr + 1);
		struct replay_rec *r = &p->r[p->nr++];
		snprintf(r->blob_id, sizeof(r->blob_id), "%s", blob_id);
		r->path = escaped(path);
		r->ext = extension(source, path);
		r->path_kind = pl_path_kind(source, path);
		r->nfindings = n;
	}
	return 1;
}

/* No stored blob has this size (the cache is complete and says so): the
 * blob is new, its findings start here, as after blob_seen said 0. */
static int sink_blob_size_new(void *ctx, const char *source, const char *path, uint64_t size)
{
	(void)path;
	struct pl_store_sink *s = ctx;
	pthread_mutex_lock(&s->cache_lock);
	int fresh = s->opt.force || pl_blob_cache_size_new(&s->cache, size);
	s->stats.blobs += (uint64_t)fresh;
	pthread_mutex_unlock(&s->cache_lock);
	if (fresh) {
		struct pending *p = pending_get(s, source);
		p->blob_start = p->nf;
	}
	return fresh;
}

static void sink_blob_done(void *ctx, const char *source, const char *path, const char *blob_id,
			   uint64_t size)
{
	(void)path;
	struct pending *p = pending_get(ctx, source);
	PL_GROW(p->b, p->capb, p->nb + 1);
	struct blob_rec *b = &p->b[p->nb];
	snprintf(b->blob_id, sizeof(b->blob_id), "%s", blob_id);
	b->size = size;
	b->first = p->blob_start <= p->nf ? p->blob_start : p->nf;
	b->count = p->nf - b->first;
	for (size_t i = b->first; i < p->nf; i++)
		p->f[i].blob = p->nb;
	p->nb++;
	p->blob_start = p->nf;
}

/* ---- the write at file_facts ---- */

/* Stamps that packers write instead of the real time (npm pack's
 * 1985-10-26T08:15:00Z, the epoch of reproducible builds) say nothing about
 * when a release was made. */
#define NPM_PACK_MTIME 499162500

static int64_t upload_time(int64_t newest_mtime)
{
	return newest_mtime <= 0 || newest_mtime == NPM_PACK_MTIME ? -1 : newest_mtime;
}

struct views {
	struct pl_store_find *finds;
	struct pl_store_blob *blobs;
	struct pl_store_replay *replays;
};

static void build_views(const struct pending *p, struct views *v)
{
	v->finds = pl_xcalloc(p->nf + 1, sizeof(*v->finds));
	v->blobs = pl_xcalloc(p->nb + 1, sizeof(*v->blobs));
	v->replays = pl_xcalloc(p->nr + 1, sizeof(*v->replays));
	for (size_t i = 0; i < p->nf; i++) {
		const struct find_rec *f = &p->f[i];
		v->finds[i] = (struct pl_store_find){
			f->fingerprint, f->rule, f->redacted, f->sealed,
			f->blob == NO_BLOB ? NULL : p->b[f->blob].blob_id,
			f->path, f->path_kind, f->ext, f->encoding, f->pos, f->npos};
	}
	for (size_t i = 0; i < p->nb; i++)
		v->blobs[i] = (struct pl_store_blob){p->b[i].blob_id, p->b[i].size, p->b[i].first,
						     p->b[i].count};
	for (size_t i = 0; i < p->nr; i++)
		v->replays[i] = (struct pl_store_replay){p->r[i].blob_id, p->r[i].path,
							 p->r[i].path_kind, p->r[i].ext,
							 p->r[i].nfindings};
}

static void views_release(struct views *v)
{
	free(v->finds);
	free(v->blobs);
	free(v->replays);
}

static void report_error(struct pl_store_sink *s, const char *source, const char *message)
{
	if (!s->opt.on_error)
		return;
	char *src = escaped(source);
	pthread_mutex_lock(&s->report_lock);
	s->opt.on_error(s->opt.on_error_ctx, src, message);
	pthread_mutex_unlock(&s->report_lock);
	free(src);
}

static void artifact_failed(struct pl_store_sink *s, const char *source, const char *message)
{
	s->stats.failed++;
	report_error(s, source, message);
}

/* The open group was rolled back: none of its artifacts is stored, and the
 * blob cache may name blobs that went with it. */
static void group_lost(struct pl_store_sink *s)
{
	char *msg = pl_xstrdup(pl_error_message());
	for (size_t i = 0; i < s->group.n; i++) {
		artifact_failed(s, s->group.sources[i], msg);
		free(s->group.sources[i]);
	}
	free(msg);
	s->group.n = 0;
	s->group.occurrences = 0;
	pthread_mutex_lock(&s->cache_lock);
	pl_blob_cache_release(&s->cache);
	pthread_mutex_unlock(&s->cache_lock);
}

static int group_commit(struct pl_store_sink *s)
{
	int rc = pl_store_group_commit(s->st);
	if (rc < 0) {
		group_lost(s);
		return rc;
	}
	s->stats.artifacts += s->group.n;
	s->stats.occurrences += s->group.occurrences;
	for (size_t i = 0; i < s->group.n; i++)
		free(s->group.sources[i]);
	s->group.n = 0;
	s->group.occurrences = 0;
	return 0;
}

static void remember_blobs(struct pl_store_sink *s, const struct pending *p);

/* since: when the artifact was ready to write (a batched one waited), so
 * that a batch does not hold back the commit of what it held. */
static void group_add(struct pl_store_sink *s, const struct pending *p,
		      const struct pl_store_written *w, double since)
{
	remember_blobs(s, p);
	if (s->group.n == 0)
		s->group.started = since;
	PL_GROW(s->group.sources, s->group.cap, s->group.n + 1);
	s->group.sources[s->group.n++] = pl_xstrdup(p->source);
	s->group.occurrences += w->occurrences;
	if (s->group.n >= PL_STORE_GROUP_MAX ||
	    now_seconds() - s->group.started >= PL_STORE_GROUP_SECONDS)
		(void)group_commit(s); /* a failure is reported per artifact */
}

/* What this artifact's write stored: blobs to skip from now on. */
static void remember_blobs(struct pl_store_sink *s, const struct pending *p)
{
	pthread_mutex_lock(&s->cache_lock);
	for (size_t i = 0; i < p->nb; i++) {
		int64_t n = 0;
		for (size_t k = p->b[i].first; k < p->b[i].first + p->b[i].count; k++)
			n += (int64_t)p->f[k].npos;
		pl_blob_cache_add(&s->cache, p->b[i].blob_id, n, (int64_t)p->b[i].size);
	}
	pthread_mutex_unlock(&s->cache_lock);
}

/* An artifact from an index (facts->meta) is named as the index names it;
 * one that did not arrive whole is keyed by the hash the index gives, else
 * by "unfetched:" and its URL (what arrived has no meaningful hash). */
struct identity {
	char *ecosystem, *project, *version, *filename, *url, *key;
	int64_t upload_time;
	int yanked;
};

static char *meta_or(const char *from_index, const char *parsed)
{
	return escaped(from_index && from_index[0] ? from_index : parsed);
}

static void identity_build(struct identity *id, const struct pending *p,
			   const struct pl_file_facts *facts)
{
	const struct pl_artifact_meta *m = facts->meta;
	const struct pl_artifact_meta none = {.upload_time = -1, .yanked = -1};
	if (!m)
		m = &none;
	id->ecosystem = meta_or(m->ecosystem, p->id.ecosystem);
	id->project = meta_or(m->project, p->id.project);
	id->version = meta_or(m->version, p->id.version);
	id->filename = meta_or(m->filename, base_name(p->source));
	id->url = m->url ? escaped(m->url) : NULL;
	if (m->sha256 && m->sha256[0])
		id->key = pl_xstrdup(m->sha256);
	else if (facts->fetch_failed)
		id->key = pl_xasprintf("unfetched:%s", id->url ? id->url : p->source);
	else
		id->key = pl_xstrdup(facts->sha256);
	id->upload_time = m->upload_time >= 0 ? m->upload_time : upload_time(facts->newest_mtime);
	id->yanked = m->yanked;
}

static void identity_release(struct identity *id)
{
	free(id->ecosystem);
	free(id->project);
	free(id->version);
	free(id->filename);
	free(id->url);
	free(id->key);
}

/* An artifact between its file_facts and its write: the pending file,
 * taken out of s->p, and what its facts said. */
struct ready {
	pthread_t thread;
	struct pending *p;
	struct identity id;
	const char *status; /* static text */
	const char *error;  /* p->error, a static text, or NULL */
	uint64_t size, bytes_scanned;
	double since; /* when it was ready to be written (file_facts) */
};

/* Takes p (already out of s->p); facts is only read here. */
static struct ready *ready_new(struct pending *p, const struct pl_file_facts *facts)
{
	struct ready *r = pl_xcalloc(1, sizeof(*r));
	r->thread = p->thread;
	r->p = p;
	pl_package_id_finish(&p->id, p->source);
	identity_build(&r->id, p, facts);
	r->status = p->failed ? "error" : p->partial || facts->stopped_by_limit ? "partial" : "ok";
	r->error = p->error ? p->error : facts->stopped_by_limit ? "stopped by a limit" : NULL;
	r->size = facts->size;
	r->bytes_scanned = facts->bytes_scanned;
	r->since = now_seconds();
	return r;
}

static void ready_free(struct ready *r)
{
	identity_release(&r->id);
	pending_free(r->p);
	free(r);
}

/* Writes the artifact and frees r; the caller holds store_lock. */
static void write_ready_locked(struct pl_store_sink *s, struct ready *r)
{
	struct pending *p = r->p;
	struct views v;
	build_views(p, &v);
	struct pl_store_artifact a = {
		.ecosystem = r->id.ecosystem, .project = r->id.project, .version = r->id.version,
		.filename = r->id.filename, .sha256 = r->id.key, .size = r->size,
		.bytes_scanned = r->bytes_scanned, .upload_time = r->id.upload_time,
		.scan_time = (int64_t)time(NULL), .ruleset_version = s->ruleset,
		.status = r->status, .error = r->error, .url = r->id.url, .yanked = r->id.yanked,
		.finds = v.finds, .nfinds = p->nf, .blobs = v.blobs, .nblobs = p->nb,
		.replays = v.replays, .nreplays = p->nr,
		.contacts = p->id.contacts, .ncontacts = p->id.ncontacts,
		.in_tx = s->opt.in_transaction, .in_tx_ctx = s->opt.in_transaction_ctx,
		.source = p->source};
	struct pl_store_written w = {0};
	int rc = r->id.key[0] ? pl_store_write_artifact(s->st, &a, s->opt.force, &w)
			      : pl_error_set(PL_EINVAL, "no SHA-256 (scan without hash_inputs)");
	if (rc < 0 && w.group_lost)
		group_lost(s);
	if (rc < 0)
		artifact_failed(s, p->source, pl_error_message());
	else if (w.unchanged)
		s->stats.unchanged++;
	else
		group_add(s, p, &w, r->since);
	views_release(&v);
	ready_free(r);
}

static void write_ready(struct pl_store_sink *s, struct ready *r)
{
	pthread_mutex_lock(&s->store_lock);
	write_ready_locked(s, r);
	pthread_mutex_unlock(&s->store_lock);
}

/* The calling thread's ready artifact (for source, or any when NULL),
 * taken out of the list; NULL when there is none. */
static struct ready *ready_take(struct pl_store_sink *s, const char *source)
{
	pthread_t me = pthread_self();
	struct ready *r = NULL;
	pthread_mutex_lock(&s->ready_lock);
	for (size_t i = 0; i < s->nready; i++)
		if (pthread_equal(s->ready[i]->thread, me) &&
		    (!source || strcmp(s->ready[i]->p->source, source) == 0)) {
			r = s->ready[i];
			s->ready[i] = s->ready[--s->nready];
			break;
		}
	pthread_mutex_unlock(&s->ready_lock);
	return r;
}

static void sink_file_facts(void *ctx, const char *source, const struct pl_file_facts *facts)
{
	struct pl_store_sink *s = ctx;
	struct pending *p = pending_take(s, source);
	struct ready *r = ready_new(p, facts);
	if (!s->opt.defer_writes) {
		write_ready(s, r);
		return;
	}
	/* The thread's previous artifact never got its file_write: now. */
	struct ready *late = ready_take(s, NULL);
	if (late)
		write_ready(s, late);
	pthread_mutex_lock(&s->ready_lock);
	PL_GROW(s->ready, s->capready, s->nready + 1);
	s->ready[s->nready++] = r;
	pthread_mutex_unlock(&s->ready_lock);
}

/* The batch collected so far, taken out (*n of them; NULL when none). */
static struct ready **batch_take(struct pl_store_sink *s, size_t *n)
{
	pthread_mutex_lock(&s->ready_lock);
	struct ready **b = s->batch;
	*n = s->nbatch;
	s->batch = NULL;
	s->nbatch = s->capbatch = 0;
	pthread_mutex_unlock(&s->ready_lock);
	return b;
}

/* Writes the batch in the order its artifacts came (a later one may replay
 * blobs of an earlier one). The caller holds store_lock. */
static void batch_write_locked(struct pl_store_sink *s)
{
	size_t n;
	struct ready **b = batch_take(s, &n);
	for (size_t i = 0; i < n; i++)
		write_ready_locked(s, b[i]);
	free(b);
}

/* Without the scan's lock (defer_writes): the other workers go on. */
static void sink_file_write(void *ctx, const char *source)
{
	struct pl_store_sink *s = ctx;
	struct ready *r = ready_take(s, source);
	if (!r)
		return;
	if (s->opt.write_batch <= 1) {
		write_ready(s, r);
		return;
	}
	/* Its blobs are skipped from now on, not from its write: releases of
	 * one project come together, and a batch of them would each match what
	 * the first did. A later artifact replays them after this one is written
	 * (the batch keeps their order); if this write fails, that replay finds
	 * the rows missing and fails its own artifact ("scan again"). */
	remember_blobs(s, r->p);
	pthread_mutex_lock(&s->ready_lock);
	PL_GROW(s->batch, s->capbatch, s->nbatch + 1);
	s->batch[s->nbatch++] = r;
	int full = s->draining || s->nbatch >= s->opt.write_batch ||
		   now_seconds() - s->batch[0]->since >= PL_STORE_GROUP_SECONDS;
	pthread_mutex_unlock(&s->ready_lock);
	if (full) {
		pthread_mutex_lock(&s->store_lock);
		batch_write_locked(s);
		pthread_mutex_unlock(&s->store_lock);
	}
}

/* A worker ran out of files: the batch is written and the group committed
 * now, while the other workers finish, not after the last one (a corpus
 * scan spent 1-2 ms there, with one core idle); from now on each artifact
 * is written at its file_write. */
static void sink_worker_idle(void *ctx)
{
	struct pl_store_sink *s = ctx;
	pthread_mutex_lock(&s->ready_lock);
	s->draining = 1;
	pthread_mutex_unlock(&s->ready_lock);
	(void)pl_store_sink_flush(s); /* a failure is reported per artifact */
}

const struct pl_sink_ops pl_store_sink_ops = {
	.finding = sink_finding,
	.error = sink_error,
	.warning = NULL,   /* nothing to keep */
	.file_done = NULL, /* file_facts says it all */
	.file_facts = sink_file_facts,
	.metadata = sink_metadata,
	.blob_seen = sink_blob_seen,
	.blob_size_new = sink_blob_size_new,
	.blob_done = sink_blob_done,
	.file_write = sink_file_write,
	.worker_idle = sink_worker_idle,
};

/* ---- lifecycle ---- */

struct pl_store_sink *pl_store_sink_new(struct pl_store *st,
					const struct pl_store_sink_options *opt)
{
	struct pl_store_sink *s = pl_xcalloc(1, sizeof(*s));
	s->st = st;
	s->opt = *opt;
	s->ruleset = pl_xstrdup(opt->ruleset_version ? opt->ruleset_version : "");
	pthread_mutex_init(&s->pending_lock, NULL);
	pthread_mutex_init(&s->store_lock, NULL);
	pthread_mutex_init(&s->cache_lock, NULL);
	pthread_mutex_init(&s->ready_lock, NULL);
	pthread_mutex_init(&s->report_lock, NULL);
	if (!opt->force)
		pl_blob_cache_load(&s->cache, st, s->ruleset);
	return s;
}

void pl_store_sink_stats(const struct pl_store_sink *s, struct pl_store_sink_stats *out)
{
	*out = s->stats;
}

struct pl_store *pl_store_sink_lock(struct pl_store_sink *s)
{
	pthread_mutex_lock(&s->store_lock);
	batch_write_locked(s); /* the borrower sees every artifact of the scan */
	return s->st;
}

void pl_store_sink_unlock(struct pl_store_sink *s)
{
	pthread_mutex_unlock(&s->store_lock);
}

/* Whether a batched artifact is one pl_store_artifact_known would find
 * once written: read whole or in part (not an error) and keyed by sha256,
 * or, with none, recorded under url. */
static int batch_has(struct pl_store_sink *s, const char *sha256, const char *url)
{
	int found = 0;
	pthread_mutex_lock(&s->ready_lock);
	for (size_t i = 0; !found && i < s->nbatch; i++) {
		const struct ready *r = s->batch[i];
		found = strcmp(r->status, "error") != 0 &&
			(sha256 ? strcmp(r->id.key, sha256) == 0
				: url && r->id.url && strcmp(r->id.url, url) == 0);
	}
	pthread_mutex_unlock(&s->ready_lock);
	return found;
}

int pl_store_sink_known(struct pl_store_sink *s, const char *sha256, const char *url)
{
	if (batch_has(s, sha256, url))
		return 1;
	pthread_mutex_lock(&s->store_lock);
	int known = pl_store_artifact_known(s->st, sha256, url, s->ruleset);
	pthread_mutex_unlock(&s->store_lock);
	return known;
}

int pl_store_sink_flush(struct pl_store_sink *s)
{
	int rc = 0;
	pthread_mutex_lock(&s->store_lock);
	if (!s->finished) {
		batch_write_locked(s);
		rc = group_commit(s);
	}
	pthread_mutex_unlock(&s->store_lock);
	return rc;
}

/* At finish: written, or dropped once the sink has finished. */
static void settle(struct pl_store_sink *s, struct ready *r)
{
	if (s->finished)
		ready_free(r);
	else
		write_ready(s, r);
}

int pl_store_sink_finish(struct pl_store_sink *s)
{
	/* The batch, then artifacts whose file_write never came. */
	size_t nb;
	struct ready **b = batch_take(s, &nb);
	for (size_t i = 0; i < nb; i++)
		settle(s, b[i]);
	free(b);
	while (s->nready)
		settle(s, s->ready[--s->nready]);
	while (s->np)
		pending_drop(s, s->np - 1);
	if (s->finished)
		return 0;
	s->finished = 1;
	pthread_mutex_lock(&s->store_lock);
	int rc = group_commit(s);
	pthread_mutex_unlock(&s->store_lock);
	return rc;
}

void pl_store_sink_free(struct pl_store_sink *s)
{
	if (!s)
		return;
	(void)pl_store_sink_finish(s); /* failures went to on_error */
	free(s->group.sources);
	free(s->p);
	free(s->ready);
	pl_blob_cache_release(&s->cache);
	pthread_mutex_destroy(&s->pending_lock);
	pthread_mutex_destroy(&s->store_lock);
	pthread_mutex_destroy(&s->cache_lock);
	pthread_mutex_destroy(&s->ready_lock);
	pthread_mutex_destroy(&s->report_lock);
	free(s->ruleset);
	free(s);
}
