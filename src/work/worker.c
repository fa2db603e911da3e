/* A worker process: its slots (slot.c) and, on the calling thread, the
 * heartbeat: renew the leases the slots hold, record the worker, send
 * expired leases anywhere back to the queue, report progress, and handle a
 * stop (finish what is in flight, or give it back once the grace period is
 * over). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pkgleaks/error.h"
#include "util/alloc.h"
#include "work/work_int.h"

/* Heartbeats per lease: a lease survives two missed beats. */
#define BEATS_PER_LEASE 3.0
#define BEAT_MIN 0.5
#define BEAT_MAX 20.0
/* The heartbeat loop's tick, which bounds how late a stop is seen. */
#define TICK 0.1

const char *pl_worker_event_name(enum pl_worker_event_kind k)
{
	static const char *const names[] = {"start",    "claim", "done",     "retry",
					    "parked",   "lost",  "released", "store_error",
					    "expired",  "progress", "stopping", "stop",
					    "reconnected"};
	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

void pl_worker_options_default(struct pl_worker_options *o)
{
	memset(o, 0, sizeof(*o));
	o->lease = 60;
	o->max_attempts = 3;
	o->retry_delay = 30;
	o->idle = 5;
	o->grace = 25;
	o->progress_every = 60;
}

double work_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int work_stopping(struct pl_worker *w)
{
	return atomic_load(&w->stopping) != 0;
}

void work_sleep(struct pl_worker *w, double seconds)
{
	double end = work_now() + seconds;
	for (double left = seconds; left > 0 && !work_stopping(w); left = end - work_now()) {
		double step = left < TICK ? left : TICK;
		struct timespec d = {(time_t)step, (long)((step - (double)(time_t)step) * 1e9)};
		nanosleep(&d, NULL);
	}
}

void work_slot_ended(struct pl_worker *w)
{
	pthread_mutex_lock(&w->lock);
	atomic_fetch_sub(&w->running, 1);
	pthread_cond_signal(&w->ended);
	pthread_mutex_unlock(&w->lock);
}

/* One tick of the heartbeat's loop, cut short when a slot ends: a drained
 * worker exits at once rather than at its next tick. */
static void wait_tick(struct pl_worker *w)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += (long)(TICK * 1e9);
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->lock);
	if (atomic_load(&w->running) > 0)
		(void)pthread_cond_timedwait(&w->ended, &w->lock, &until);
	pthread_mutex_unlock(&w->lock);
}

/* ---- events and counters ---- */

static void count(struct pl_worker_totals *t, const struct pl_worker_event *e)
{
	switch (e->kind) {
	case PL_WEV_CLAIM:
		t->in_flight++;
		break;
	case PL_WEV_DONE:
		t->done++;
		t->bytes += e->bytes;
		t->findings += e->findings;
		break;
	case PL_WEV_RETRY:
		t->retried++;
		break;
	case PL_WEV_PARKED:
		t->parked++;
		break;
	case PL_WEV_LOST:
		t->lost++;
		break;
	case PL_WEV_RELEASED:
		t->released++;
		break;
	case PL_WEV_STORE:
		t->store_errors++;
		break;
	default:
		return;
	}
	int ends = e->kind >= PL_WEV_DONE && e->kind <= PL_WEV_RELEASED;
	t->queue_seconds += e->queue_seconds;
	if (ends && t->in_flight)
		t->in_flight--;
}

void work_event(struct pl_worker *w, struct pl_worker_event *e)
{
	pthread_mutex_lock(&w->lock);
	count(&w->totals, e);
	w->totals.seconds = work_now() - w->started;
	e->worker = w->id;
	if (e->kind == PL_WEV_PROGRESS || e->kind == PL_WEV_STOP)
		e->totals = &w->totals;
	if (w->o.on_event)
		w->o.on_event(w->o.ctx, e);
	pthread_mutex_unlock(&w->lock);
}

/* ---- leases held ---- */

void work_hold(struct pl_worker *w, int64_t id, int64_t lease)
{
	pthread_mutex_lock(&w->lock);
	PL_GROW(w->held, w->capheld, w->nheld + 1);
	w->held[w->nheld++] = (struct work_held){id, lease};
	pthread_mutex_unlock(&w->lock);
}

void work_unhold(struct pl_worker *w, int64_t lease)
{
	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < w->nheld; i++)
		if (w->held[i].lease == lease) {
			w->held[i] = w->held[--w->nheld];
			break;
		}
	pthread_mutex_unlock(&w->lock);
}

/* A copy of the leases held, for a statement run without the lock. */
static size_t held_copy(struct pl_worker *w, struct work_held **out)
{
	pthread_mutex_lock(&w->lock);
	size_t n = w->nheld;
	*out = pl_xcalloc(n + 1, sizeof(**out));
	if (n)
		memcpy(*out, w->held, n * sizeof(**out));
	pthread_mutex_unlock(&w->lock);
	return n;
}

/* ---- the heartbeat ---- */

struct beat {
	struct pl_store *st;
	double next_beat, next_progress, interval;
	int failing; /* the last beat failed (reported once) */
	double failing_since;
	int beaten;  /* a beat reached the store */
};

static int renew(struct pl_worker *w, struct pl_store *st)
{
	struct work_held *h;
	size_t n = held_copy(w, &h);
	int64_t *leases = pl_xcalloc(n + 1, sizeof(*leases));
	for (size_t i = 0; i < n; i++)
		leases[i] = h[i].lease;
	int rc = pl_store_work_renew(st, leases, n, w->o.lease);
	free(leases);
	free(h);
	return rc;
}

static int expire(struct pl_worker *w, struct pl_store *st)
{
	uint64_t requeued, parked;
	int rc = pl_store_work_expire(st, w->o.max_attempts, &requeued, &parked);
	if (rc == 0 && requeued + parked) {
		struct pl_worker_event e = {.kind = PL_WEV_EXPIRED, .slot = -1,
					    .count = requeued + parked};
		work_event(w, &e);
	}
	return rc;
}

static int beat_once(struct pl_worker *w, struct beat *b, const char *state)
{
	uint64_t queued, leased;
	if (!b->st && pl_store_open(w->o.db, PL_STORE_EXISTING, &b->st) < 0)
		return -1;
	int rc = renew(w, b->st);
	pthread_mutex_lock(&w->lock);
	uint64_t done = w->totals.done, failed = w->totals.retried + w->totals.parked;
	pthread_mutex_unlock(&w->lock);
	if (rc == 0)
		rc = pl_store_worker_beat(b->st, w->id, w->host, (int64_t)getpid(), w->nslots, state,
					  done, failed, !b->beaten);
	b->beaten |= rc == 0;
	if (rc == 0)
		rc = expire(w, b->st);
	if (rc == 0)
		rc = pl_store_work_left(b->st, &queued, &leased);
	if (rc == 0) {
		pthread_mutex_lock(&w->lock);
		w->totals.queued = queued;
		w->totals.leased = leased;
		pthread_mutex_unlock(&w->lock);
	}
	return rc;
}

static void write_health(struct pl_worker *w, const char *state, int ok)
{
	if (!w->o.health_file)
		return;
	pthread_mutex_lock(&w->lock);
	json_t *j = json_pack("{s:s, s:s, s:b, s:I, s:I, s:i}", "worker", w->id, "state", state,
			      "store", ok, "time", (json_int_t)time(NULL), "done",
			      (json_int_t)w->totals.done, "in_flight", (int)w->totals.in_flight);
	pthread_mutex_unlock(&w->lock);
	char *tmp = pl_xasprintf("%s.tmp", w->o.health_file);
	/* Written whole, then renamed: a probe never reads half a file. */
	if (j && json_dump_file(j, tmp, JSON_COMPACT) == 0)
		(void)rename(tmp, w->o.health_file);
	json_decref(j);
	free(tmp);
}

static void beat(struct pl_worker *w, struct beat *b, const char *state)
{
	int rc = beat_once(w, b, state);
	if (rc < 0 && !b->failing) {
		struct pl_worker_event e = {.kind = PL_WEV_STORE, .slot = -1,
					    .message = pl_error_message()};
		work_event(w, &e);
		b->failing_since = work_now();
	} else if (rc == 0 && b->failing) {
		struct pl_worker_event e = {.kind = PL_WEV_RECONNECTED, .slot = -1,
					    .seconds = work_now() - b->failing_since};
		work_event(w, &e);
	}
	b->failing = rc < 0;
	write_health(w, state, rc == 0);
}

static void tick(struct pl_worker *w, struct beat *b, const char *state)
{
	double now = work_now();
	if (now >= b->next_beat) {
		beat(w, b, state);
		b->next_beat = now + b->interval;
	}
	if (now >= b->next_progress) {
		struct pl_worker_event e = {.kind = PL_WEV_PROGRESS, .slot = -1};
		work_event(w, &e);
		b->next_progress = now + w->o.progress_every;
	}
}

/* ---- running ---- */

static unsigned cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

int pl_worker_new(const struct pl_ruleset *rs, const struct pl_worker_options *o,
		  struct pl_worker **out)
{
	*out = NULL;
	if (!o->db || !pl_store_is_postgres_url(o->db))
		return pl_error_set(PL_EINVAL, "workers need a PostgreSQL store (--db postgresql://...)");
	struct pl_worker *w = pl_xcalloc(1, sizeof(*w));
	w->o = *o;
	w->rs = rs;
	if (o->scan)
		w->scan = *o->scan;
	else
		pl_scan_options_default(&w->scan);
	w->scan.jobs = 1; /* the slots are the parallelism */
	w->scan.hash_inputs = 1;
	w->scan.read_ignore_files = 0;
	if (o->source)
		w->source = *o->source;
	else
		pl_source_options_default(&w->source);
	w->nslots = o->jobs ? o->jobs : cores();
	char host[256] = "";
	if (gethostname(host, sizeof(host) - 1) < 0 || !host[0])
		snprintf(host, sizeof(host), "localhost");
	w->host = pl_xstrdup(host);
	w->id = o->id && o->id[0] ? pl_xstrdup(o->id) : pl_xasprintf("%s:%ld", host, (long)getpid());
	const char *delay = getenv("PKGLEAKS_TEST_WORKER_DELAY");
	char *where = NULL;
	w->test_delay = delay ? strtod(delay, &where) : 0;
	w->test_delay_scan = where && strcmp(where, "@scan") == 0;
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* work_now's clock */
	pthread_cond_init(&w->ended, &ca);
	pthread_condattr_destroy(&ca);
	*out = w;
	return 0;
}

void pl_worker_stop(struct pl_worker *w)
{
	int was = atomic_load(&w->stopping);
	atomic_store(&w->stopping, was ? 2 : 1);
}

static int start_slots(struct pl_worker *w)
{
	w->slots = pl_xcalloc(w->nslots, sizeof(*w->slots));
	for (unsigned i = 0; i < w->nslots; i++) {
		struct work_slot *s = &w->slots[i];
		s->w = w;
		s->index = (int)i;
		atomic_fetch_add(&w->running, 1);
		s->started = pthread_create(&s->thread, NULL, work_slot_main, s) == 0;
		if (!s->started) {
			atomic_fetch_sub(&w->running, 1);
			return pl_error_set(PL_ERROR, "cannot start worker slot %u: %s", i,
					    strerror(errno));
		}
	}
	return 0;
}

static void join_slots(struct pl_worker *w)
{
	for (unsigned i = 0; w->slots && i < w->nslots; i++)
		if (w->slots[i].started)
			pthread_join(w->slots[i].thread, NULL);
}

/* The grace period is over: what is in flight goes back to the queue. */
static void release_all(struct pl_worker *w, struct beat *b)
{
	struct work_held *h;
	size_t n = held_copy(w, &h);
	for (size_t i = 0; b->st && i < n; i++) {
		if (pl_store_work_release(b->st, h[i].id, h[i].lease, "the worker was stopped") <= 0)
			continue; /* its lease runs out instead */
		struct pl_work_item it = {.id = h[i].id, .lease = h[i].lease};
		struct pl_worker_event e = {.kind = PL_WEV_RELEASED, .slot = -1, .item = &it,
					    .message = "the grace period is over"};
		work_event(w, &e);
	}
	free(h);
}

static void stop_event(struct pl_worker *w, const char *why)
{
	struct pl_worker_event e = {.kind = PL_WEV_STOP, .slot = -1, .message = why};
	work_event(w, &e);
}

/* The heartbeat until every slot ended (0), or a stop's grace ran out (1). */
static int heartbeat(struct pl_worker *w, struct beat *b)
{
	double stop_at = -1;
	while (atomic_load(&w->running) > 0) {
		if (work_stopping(w) && stop_at < 0) {
			struct pl_worker_event e = {.kind = PL_WEV_STOPPING, .slot = -1};
			work_event(w, &e);
			stop_at = work_now() + w->o.grace;
			b->next_beat = 0;
		}
		tick(w, b, stop_at < 0 ? "running" : "stopping");
		if (stop_at >= 0 && (work_now() >= stop_at || atomic_load(&w->stopping) > 1)) {
			release_all(w, b);
			beat(w, b, "stopped");
			stop_event(w, "stopped: the grace period ran out with items in flight");
			return 1;
		}
		wait_tick(w);
	}
	return 0;
}

int pl_worker_run(struct pl_worker *w)
{
	struct beat b = {.interval = w->o.lease / BEATS_PER_LEASE};
	b.interval = b.interval < BEAT_MIN ? BEAT_MIN : b.interval > BEAT_MAX ? BEAT_MAX : b.interval;
	w->started = work_now();
	b.next_progress = w->started + w->o.progress_every;
	beat(w, &b, "running");
	struct pl_worker_event e = {.kind = PL_WEV_START, .slot = -1, .message = w->o.db};
	work_event(w, &e);
	int rc = start_slots(w);
	if (rc < 0)
		pl_worker_stop(w);
	if (heartbeat(w, &b) == 1)
		return 1; /* slots still run: the caller exits at once */
	join_slots(w);
	beat(w, &b, "stopped");
	stop_event(w, work_stopping(w) ? "stopped" : "the queue is drained");
	pl_store_free(b.st);
	return rc < 0 ? rc : 0;
}

void pl_worker_free(struct pl_worker *w)
{
	if (!w)
		return;
	free(w->slots);
	free(w->held);
	free(w->id);
	free(w->host);
	pthread_cond_destroy(&w->ended);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
