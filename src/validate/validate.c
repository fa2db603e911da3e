/* The validator: one check per unique secret per run, on worker threads,
 * with per-service concurrency and rate limits and 429 back-off; answers
 * from the cache file when fresh. Checks that need no request (no
 * validator, policy, example keys, canaries, cached answers) are answered
 * at once in pl_validator_submit. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dl/dl_crypto.h"
#include "dl/dl_curl.h"
#include "match/inspect.h"
#include "pkgleaks/error.h"
#include "util/alloc.h"
#include "validate/validate_int.h"
#include "validate/vcache.h"

struct job;

/* One issuer: its limits and its queue of checks. */
struct service {
	char *name;
	unsigned max_inflight, inflight;
	double interval;      /* seconds between request starts */
	double next_at;       /* earliest start of the next request (monotonic) */
	double blocked_until; /* after a 429 */
	struct job *head, *tail;
	struct service *next;
};

struct job {
	char fp[65];
	char ckey[65];        /* cache key */
	const struct pl_rule *rule;
	char *secret;
	size_t len;
	struct pl_detail *details; /* copies of the finding's offline details */
	size_t ndetails;
	unsigned attempt;
	double not_before;
	struct pl_validation *result;
	int done;
	struct service *svc;
	struct job *qnext;
};

struct pl_validator {
	struct pl_validate_options opt;
	pthread_mutex_t lock;
	pthread_cond_t work, finished;
	pthread_t *threads;
	unsigned nthreads;
	int stopping;
	struct job **slots; /* open addressing by fingerprint */
	size_t cap, n;
	struct service *services;
	size_t pending;
	struct pl_vcache *cache;
	char *cache_path;
	struct pl_validate_stats stats;
};

void pl_validate_options_default(struct pl_validate_options *o)
{
	memset(o, 0, sizeof(*o));
	o->jobs = 8;
	o->timeout = 10;
	o->connect_timeout = 5;
	o->rate = 10;
	o->concurrency = 4;
	o->max_retry_after = 30;
	o->retries_429 = 2;
	o->max_response = 256 * 1024;
	o->cache_ttl = 86400;
}

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void pl_vctx_count_request(struct pl_vctx *cx)
{
	if (!cx->validator)
		return;
	__atomic_add_fetch(&cx->validator->stats.requests, 1, __ATOMIC_RELAXED);
}

/* ---- the fingerprint table ---- */

static size_t fp_hash(const char *fp)
{
	size_t h = 0;
	for (int i = 0; i < 16 && fp[i]; i++)
		h = h << 4 | (size_t)(fp[i] <= '9' ? fp[i] - '0' : (fp[i] | 32) - 'a' + 10);
	return h;
}

static struct job **fp_slot(struct pl_validator *v, const char *fp)
{
	size_t i = fp_hash(fp) & (v->cap - 1);
	while (v->slots[i] && strcmp(v->slots[i]->fp, fp) != 0)
		i = (i + 1) & (v->cap - 1);
	return &v->slots[i];
}

static void fp_grow(struct pl_validator *v)
{
	struct job **old = v->slots;
	size_t oldcap = v->cap;
	v->cap = oldcap ? oldcap * 2 : 1024;
	v->slots = pl_xcalloc(v->cap, sizeof(*v->slots));
	for (size_t i = 0; i < oldcap; i++)
		if (old[i])
			*fp_slot(v, old[i]->fp) = old[i];
	free(old);
}

/* ---- services ---- */

static struct service *service_get(struct pl_validator *v, const struct pl_rule_validator *spec)
{
	for (struct service *s = v->services; s; s = s->next)
		if (strcmp(s->name, spec->service) == 0)
			return s;
	struct service *s = pl_xcalloc(1, sizeof(*s));
	s->name = pl_xstrdup(spec->service);
	s->max_inflight = spec->concurrency ? spec->concurrency : v->opt.concurrency;
	double rate = spec->rate > 0 ? spec->rate : v->opt.rate;
	if (v->opt.force_rate)
		rate = v->opt.rate;
	s->interval = rate > 0 ? 1.0 / rate : 0;
	if (!s->max_inflight)
		s->max_inflight = 1;
	s->next = v->services;
	v->services = s;
	return s;
}

static void enqueue(struct service *s, struct job *j)
{
	j->qnext = NULL;
	if (s->tail)
		s->tail->qnext = j;
	else
		s->head = j;
	s->tail = j;
}

/* The next job some service may start now; *wait gets the seconds until one
 * could (or -1 when nothing is queued). */
static struct job *pick(struct pl_validator *v, double now, double *wait)
{
	*wait = -1;
	for (struct service *s = v->services; s; s = s->next) {
		if (!s->head || s->inflight >= s->max_inflight)
			continue;
		double at = s->next_at > s->blocked_until ? s->next_at : s->blocked_until;
		if (s->head->not_before > at)
			at = s->head->not_before;
		if (at <= now) {
			struct job *j = s->head;
			s->head = j->qnext;
			if (!s->head)
				s->tail = NULL;
			s->inflight++;
			s->next_at = (s->next_at > now ? s->next_at : now) + s->interval;
			return j;
		}
		if (*wait < 0 || at - now < *wait)
			*wait = at - now;
	}
	return NULL;
}

/* ---- running one check ---- */

static void finish(struct pl_validator *v, struct job *j)
{
	j->done = 1;
	if (j->result->status <= PL_VALIDATION_NOT_CHECKED)
		v->stats.by_status[j->result->status]++;
}

static enum pl_vcheck run(struct pl_validator *v, struct job *j, double *retry_after)
{
	const struct pl_rule_validator *spec = j->rule->validator;
	const struct pl_validator_ops *ops = pl_validator_ops_find(spec->kind);
	struct pl_vsecret s = {j->rule, spec, j->secret, j->len, j->fp, j->details, j->ndetails};
	struct pl_vctx cx = {&v->opt, v, 0, j->attempt};
	pl_vset(j->result, PL_VALIDATION_UNKNOWN, "no answer");
	enum pl_vcheck rc = ops ? ops->check(&cx, &s, j->result) : PL_VCHECK_DONE;
	if (!ops)
		pl_vset(j->result, PL_VALIDATION_NOT_CHECKED, "no validator of kind %s", spec->kind);
	j->result->checked_at = (int64_t)time(NULL);
	*retry_after = cx.retry_after;
	return rc;
}

static void *worker(void *arg)
{
	struct pl_validator *v = arg;
	pthread_mutex_lock(&v->lock);
	for (;;) {
		double wait;
		struct job *j = pick(v, mono(), &wait);
		if (!j) {
			if (v->stopping && wait < 0)
				break;
			if (wait < 0) {
				pthread_cond_wait(&v->work, &v->lock);
			} else {
				struct timespec ts;
				clock_gettime(CLOCK_REALTIME, &ts);
				double t = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 + wait + 0.001;
				ts.tv_sec = (time_t)t;
				ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
				pthread_cond_timedwait(&v->work, &v->lock, &ts);
			}
			continue;
		}
		pthread_mutex_unlock(&v->lock);
		double retry_after = 0;
		enum pl_vcheck rc = run(v, j, &retry_after);
		pthread_mutex_lock(&v->lock);
		struct service *s = j->svc;
		s->inflight--;
		if (rc == PL_VCHECK_RETRY) {
			double until = mono() + retry_after;
			if (until > s->blocked_until)
				s->blocked_until = until;
			j->attempt++;
			j->not_before = until;
			v->stats.retries++;
			enqueue(s, j);
		} else {
			pl_vcache_put(v->cache, j->ckey, j->result);
			finish(v, j);
			v->pending--;
			pthread_cond_broadcast(&v->finished);
		}
		pthread_cond_broadcast(&v->work);
	}
	pthread_mutex_unlock(&v->lock);
	return NULL;
}

/* ---- the public API ---- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_ok;

static void curl_init(void)
{
	curl_ok = pl_dl_curl() == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

int pl_validator_new(const struct pl_validate_options *o, struct pl_validator **out)
{
	int lrc = pl_dl_crypto(); /* cache keys (SHA-256), request signing */
	if (lrc < 0)
		return lrc;
	pthread_once(&curl_once, curl_init);
	if (!curl_ok)
		return pl_dl_curl() < 0 ? PL_ENOTFOUND : pl_error_set(PL_ERROR, "cannot initialise libcurl");
	struct pl_validator *v = pl_xcalloc(1, sizeof(*v));
	if (o)
		v->opt = *o;
	else
		pl_validate_options_default(&v->opt);
	if (!v->opt.jobs)
		v->opt.jobs = 8;
	pthread_mutex_init(&v->lock, NULL);
	pthread_cond_init(&v->work, NULL);
	pthread_cond_init(&v->finished, NULL);
	fp_grow(v);
	v->cache_path = v->opt.cache_file ? pl_xstrdup(v->opt.cache_file) : pl_vcache_default_path();
	v->cache = pl_vcache_open(v->cache_path, v->opt.cache_ttl);
	v->opt.cache_file = v->cache_path;
	v->threads = pl_xcalloc(v->opt.jobs, sizeof(pthread_t));
	for (unsigned i = 0; i < v->opt.jobs; i++) {
		if (pthread_create(&v->threads[i], NULL, worker, v) != 0)
			break;
		v->nthreads++;
	}
	if (!v->nthreads) {
		pl_validator_free(v);
		return pl_error_set(PL_ERROR, "cannot start validation threads");
	}
	*out = v;
	return 0;
}

int pl_validator_save(struct pl_validator *v)
{
	pthread_mutex_lock(&v->lock);
	int rc = pl_vcache_save(v->cache);
	pthread_mutex_unlock(&v->lock);
	return rc;
}

void pl_validator_free(struct pl_validator *v)
{
	if (!v)
		return;
	pl_validator_wait(v);
	pthread_mutex_lock(&v->lock);
	v->stopping = 1;
	pthread_cond_broadcast(&v->work);
	pthread_mutex_unlock(&v->lock);
	for (unsigned i = 0; i < v->nthreads; i++)
		pthread_join(v->threads[i], NULL);
	free(v->threads);
	if (pl_vcache_save(v->cache) != 0)
		fprintf(stderr, "pkgleaks: warning: %s\n", pl_error_message());
	pl_vcache_free(v->cache);
	free(v->cache_path);
	for (size_t i = 0; i < v->cap; i++) {
		struct job *j = v->slots[i];
		if (!j)
			continue;
		free(j->secret);
		for (size_t k = 0; k < j->ndetails; k++) {
			free(j->details[k].key);
			free(j->details[k].value);
		}
		free(j->details);
		pl_validation_free(j->result);
		free(j);
	}
	free(v->slots);
	while (v->services) {
		struct service *s = v->services;
		v->services = s->next;
		free(s->name);
		free(s);
	}
	pthread_cond_destroy(&v->work);
	pthread_cond_destroy(&v->finished);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

static int has_detail(const struct pl_detail *d, size_t n, const char *key, const char *value)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(d[i].key, key) == 0 && strcmp(d[i].value, value) == 0)
			return 1;
	return 0;
}

/* Answers that need no request; 1 when *out is decided. */
static int decide_offline(struct pl_validator *v, struct job *j)
{
	const struct pl_rule_validator *spec = j->rule->validator;
	struct pl_validation *out = j->result;
	if (!spec) {
		pl_vset(out, PL_VALIDATION_NOT_CHECKED, "no validator");
		return 1;
	}
	if (strcmp(spec->kind, "none") == 0) {
		pl_vset(out, PL_VALIDATION_NOT_CHECKED, "policy: %s", spec->reason);
		return 1;
	}
	if (pl_validate_is_example(j->rule, j->secret, j->len)) {
		pl_vset(out, PL_VALIDATION_NOT_CHECKED, "example key");
		return 1;
	}
	if (has_detail(j->details, j->ndetails, "canary", "yes")) {
		pl_vset(out, PL_VALIDATION_NOT_CHECKED, "canary token (using it alerts its owner)");
		return 1;
	}
	int trusted;
	const char *endpoint = pl_vbase(spec->service, "", &trusted);
	pl_vcache_key(j->fp, endpoint, j->ckey);
	const struct pl_validation *hit = pl_vcache_get(v->cache, j->ckey);
	if (hit) {
		pl_validation_free(out);
		j->result = pl_validation_copy(hit);
		j->result->cached = 1;
		v->stats.from_cache++;
		return 1;
	}
	return 0;
}

static struct job *submit_locked(struct pl_validator *v, const struct pl_rule *rule,
				 const char *secret, size_t len, const char *fingerprint,
				 const struct pl_detail *details, size_t ndetails)
{
	v->stats.submitted++;
	struct job **slot = fp_slot(v, fingerprint);
	if (*slot)
		return *slot;
	if ((v->n + 1) * 2 > v->cap) {
		fp_grow(v);
		slot = fp_slot(v, fingerprint);
	}
	struct job *j = pl_xcalloc(1, sizeof(*j));
	snprintf(j->fp, sizeof(j->fp), "%s", fingerprint);
	j->rule = rule;
	j->secret = pl_xstrndup(secret, len);
	j->len = len;
	if (ndetails) {
		j->details = pl_xcalloc(ndetails, sizeof(*j->details));
		for (size_t i = 0; i < ndetails; i++) {
			j->details[i].key = pl_xstrdup(details[i].key);
			j->details[i].value = pl_xstrdup(details[i].value);
		}
		j->ndetails = ndetails;
	}
	j->result = pl_xcalloc(1, sizeof(*j->result));
	*slot = j;
	v->n++;
	v->stats.unique++;
	if (decide_offline(v, j)) {
		j->result->checked_at = j->result->cached ? j->result->checked_at : (int64_t)time(NULL);
		finish(v, j);
		return j;
	}
	j->svc = service_get(v, rule->validator);
	enqueue(j->svc, j);
	v->pending++;
	pthread_cond_signal(&v->work);
	return j;
}

void pl_validator_submit(struct pl_validator *v, const struct pl_rule *rule, const char *secret,
			 size_t len, const char *fingerprint, const struct pl_detail *details,
			 size_t ndetails)
{
	pthread_mutex_lock(&v->lock);
	(void)submit_locked(v, rule, secret, len, fingerprint, details, ndetails);
	pthread_mutex_unlock(&v->lock);
}

void pl_validator_submit_value(struct pl_validator *v, const struct pl_rule *rule,
			       const char *secret, size_t len, const char *fingerprint)
{
	/* A stored value has lost its offline details: the rule's inspector
	 * finds them again (a canary AWS key must stay unsent). Whether it
	 * would keep the finding does not matter: the scan already did. */
	struct pl_finding f = {0};
	if (rule->inspect)
		(void)pl_inspect(rule->inspect, secret, len, &f);
	pl_validator_submit(v, rule, secret, len, fingerprint, f.details, f.ndetails);
	for (size_t i = 0; i < f.ndetails; i++) {
		free(f.details[i].key);
		free(f.details[i].value);
	}
	free(f.details);
}

void pl_validator_wait(struct pl_validator *v)
{
	pthread_mutex_lock(&v->lock);
	while (v->pending)
		pthread_cond_wait(&v->finished, &v->lock);
	pthread_mutex_unlock(&v->lock);
}

void pl_validator_attach(struct pl_validator *v, struct pl_finding *f)
{
	pthread_mutex_lock(&v->lock);
	struct job *j = *fp_slot(v, f->fingerprint);
	pl_validation_free(f->validation);
	if (j && j->done) {
		f->validation = pl_validation_copy(j->result);
	} else {
		f->validation = pl_xcalloc(1, sizeof(*f->validation));
		pl_vset(f->validation, PL_VALIDATION_NOT_CHECKED, "not submitted");
	}
	pthread_mutex_unlock(&v->lock);
}

int pl_validator_check(struct pl_validator *v, const struct pl_rule *rule, const char *secret,
		       size_t len, const char *fingerprint, struct pl_validation **out)
{
	pthread_mutex_lock(&v->lock);
	struct job *j = submit_locked(v, rule, secret, len, fingerprint, NULL, 0);
	while (!j->done)
		pthread_cond_wait(&v->finished, &v->lock);
	*out = pl_validation_copy(j->result);
	pthread_mutex_unlock(&v->lock);
	return 0;
}

void pl_validator_stats(struct pl_validator *v, struct pl_validate_stats *out)
{
	pthread_mutex_lock(&v->lock);
	*out = v->stats;
	out->requests = __atomic_load_n(&v->stats.requests, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&v->lock);
}

/* ---- the sink ---- */

static void vs_finding(void *ctx, struct pl_finding *f)
{
	struct pl_validate_sink *s = ctx;
	pl_validator_submit(s->validator, f->rule, f->secret, f->secret_len, f->fingerprint,
			    f->details, f->ndetails);
	s->next->finding(s->next_ctx, f);
}

static void vs_error(void *ctx, const char *source, const char *path, const char *reason)
{
	struct pl_validate_sink *s = ctx;
	if (s->next->error)
		s->next->error(s->next_ctx, source, path, reason);
}

static void vs_warning(void *ctx, const char *source, const char *path, const char *reason)
{
	struct pl_validate_sink *s = ctx;
	if (s->next->warning)
		s->next->warning(s->next_ctx, source, path, reason);
}

static void vs_file_done(void *ctx, const char *source, uint64_t bytes)
{
	struct pl_validate_sink *s = ctx;
	if (s->next->file_done)
		s->next->file_done(s->next_ctx, source, bytes);
}

static void vs_file_facts(void *ctx, const char *source, const struct pl_file_facts *facts)
{
	struct pl_validate_sink *s = ctx;
	if (s->next->file_facts)
		s->next->file_facts(s->next_ctx, source, facts);
}

static void vs_file_write(void *ctx, const char *source)
{
	struct pl_validate_sink *s = ctx;
	s->next->file_write(s->next_ctx, source);
}

static void vs_metadata(void *ctx, const char *source, const char *path, const char *text,
			size_t len)
{
	struct pl_validate_sink *s = ctx;
	if (s->next->metadata)
		s->next->metadata(s->next_ctx, source, path, text, len);
}

static int vs_blob_seen(void *ctx, const char *source, const char *path, const char *sha256)
{
	struct pl_validate_sink *s = ctx;
	return s->next->blob_seen ? s->next->blob_seen(s->next_ctx, source, path, sha256) : 0;
}

static int vs_blob_size_new(void *ctx, const char *source, const char *path, uint64_t size)
{
	struct pl_validate_sink *s = ctx;
	return s->next->blob_size_new(s->next_ctx, source, path, size);
}

static void vs_blob_done(void *ctx, const char *source, const char *path, const char *blob_id,
			 uint64_t size)
{
	struct pl_validate_sink *s = ctx;
	if (s->next->blob_done)
		s->next->blob_done(s->next_ctx, source, path, blob_id, size);
}

static void vs_worker_idle(void *ctx)
{
	struct pl_validate_sink *s = ctx;
	s->next->worker_idle(s->next_ctx);
}

void pl_validate_sink_init(struct pl_validate_sink *s, struct pl_validator *v,
			   const struct pl_sink_ops *next, void *next_ctx)
{
	memset(s, 0, sizeof(*s));
	s->validator = v;
	s->next = next;
	s->next_ctx = next_ctx;
	/* Optional callbacks stay NULL where the next sink has none: the scan
	 * does less work (no blob hashing, no metadata) when nobody asks. */
	s->ops.finding = vs_finding;
	s->ops.error = vs_error;
	s->ops.warning = vs_warning;
	s->ops.file_done = vs_file_done;
	s->ops.file_facts = next->file_facts ? vs_file_facts : NULL;
	s->ops.metadata = next->metadata ? vs_metadata : NULL;
	s->ops.blob_seen = next->blob_seen ? vs_blob_seen : NULL;
	s->ops.blob_size_new = next->blob_size_new ? vs_blob_size_new : NULL;
	s->ops.blob_done = next->blob_done ? vs_blob_done : NULL;
	s->ops.file_write = next->file_write ? vs_file_write : NULL;
	s->ops.worker_idle = next->worker_idle ? vs_worker_idle : NULL;
}
