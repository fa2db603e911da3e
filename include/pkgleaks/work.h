/* Scale-out: many worker processes, on many machines, drain one work queue
 * kept in PostgreSQL (store.h, "the work queue"): one item per artifact.
 *
 * Filling the queue: a project list or a whole PyPI index is read through
 * the registry sources in list mode (pl_fetch_set_lister with
 * pl_work_lister), a mirror is listed from the disk (pl_work_add_mirror).
 *
 * A worker runs `jobs` slots. A slot claims an item (SELECT ... FOR UPDATE
 * SKIP LOCKED, a lease with a random token and an expiry), downloads it (or
 * opens it, for a mirror item) and scans it into the store; the artifact's
 * rows and the item's completion are written in one transaction that
 * checks the token (pl_store_sink_options.in_transaction), so a slot that
 * lost its lease writes nothing. The process's main thread is the
 * heartbeat: it pushes the expiry of the leases its slots hold, records the
 * worker in the workers table, sends leases that expired anywhere (a worker
 * killed, cut off, stuck) back to the queue, and reports progress.
 *
 * A slot that loses the store mid-item (a server restart, a network cut)
 * waits for it and scans the item again while its lease lasts; one that
 * cannot gives the item back. pl_worker_stop (SIGTERM): no new claims;
 * items in flight are finished, or given back once the grace period is
 * over. */
#ifndef PKGLEAKS_WORK_H
#define PKGLEAKS_WORK_H

#include <stddef.h>
#include <stdint.h>

#include "pkgleaks/rules.h"
#include "pkgleaks/scan.h"
#include "pkgleaks/source.h"
#include "pkgleaks/store.h"

/* ---- filling the queue ---- */

/* What a lister added (pl_work_lister's context). */
struct pl_work_lister_ctx {
	int priority;      /* given to every item */
	int requeue;       /* items done or failed before are queued again */
	uint64_t listed;   /* files handed over */
	uint64_t added;    /* ...of which new to the queue */
};

/* A lister for pl_fetch_set_lister (ctx: struct pl_work_lister_ctx): each
 * file becomes an item keyed "sha256:<hex>" when the index gives the hash,
 * else by its URL; all of a project's files in one transaction. */
int pl_work_lister(void *ctx, struct pl_store *st, const struct pl_listed_file *files,
		   size_t n);

/* One item per package file under dir (a bandersnatch mirror's
 * web/packages, else every file), keyed "file:<absolute path>": workers
 * open the path, so every machine must see the mirror at the same path. */
int pl_work_add_mirror(struct pl_store *st, const char *dir, int priority, int requeue,
		       uint64_t *listed, uint64_t *added);

/* ---- workers ---- */

/* What a worker process reports (pl_worker_options.on_event). */
enum pl_worker_event_kind {
	PL_WEV_START = 0, /* the worker is up (message: the store) */
	PL_WEV_CLAIM,     /* a slot took an item */
	PL_WEV_DONE,      /* an item is scanned and stored (status: ok or partial) */
	PL_WEV_RETRY,     /* an item failed; queued again (message: why) */
	PL_WEV_PARKED,    /* an item failed for the last time (message: why) */
	PL_WEV_LOST,      /* the lease was lost: another worker has the item */
	PL_WEV_RELEASED,  /* an item was given back (stopping, store lost) */
	PL_WEV_STORE,     /* the store failed (message); retrying */
	PL_WEV_EXPIRED,   /* the heartbeat sent expired leases back (count) */
	PL_WEV_PROGRESS,  /* periodic: the counters and the queue */
	PL_WEV_STOPPING,  /* a stop was asked: finishing the items in flight */
	PL_WEV_STOP,      /* the worker is ending (message: why) */
	PL_WEV_RECONNECTED, /* the store answers again after a store event
	                       (seconds: how long this slot or heartbeat waited) */
};
const char *pl_worker_event_name(enum pl_worker_event_kind k);

/* A worker's counters since it started. */
struct pl_worker_totals {
	uint64_t done, retried, parked, lost, released, store_errors;
	uint64_t bytes, findings;
	double queue_seconds;        /* in claims and in the items' commits: the
	                                queue's own cost, over done + retried + parked */
	unsigned in_flight;
	double seconds;              /* since start */
	uint64_t queued, leased;     /* the queue, at the last heartbeat (progress) */
};

struct pl_worker_event {
	enum pl_worker_event_kind kind;
	const char *worker;                /* the worker's name */
	int slot;                          /* -1 for the process */
	const struct pl_work_item *item;   /* claim .. released; else NULL */
	const char *status;                /* done: the artifact's status */
	const char *message;               /* why (retry, parked, store, stop), or NULL */
	double seconds;                    /* done, retry, parked: time on the item;
	                                      reconnected: time without the store */
	double queue_seconds;              /* ...of which claiming it and committing */
	uint64_t bytes, findings, count;   /* done: size and findings; expired: items */
	const struct pl_worker_totals *totals; /* progress, stop */
};

struct pl_worker_options {
	const char *db;          /* the store: a postgresql:// URL */
	const char *id;          /* this worker's name; NULL: host:pid */
	unsigned jobs;           /* slots: items at once (0: number of cores) */
	double lease;            /* seconds a claim lasts without a heartbeat (60) */
	int max_attempts;        /* claims before an item is parked as failed (3) */
	double retry_delay;      /* seconds before a failed item is retried, doubled
	                            each attempt (30) */
	double idle;             /* seconds between polls of an empty queue (5) */
	int exit_when_empty;     /* stop once nothing is queued or leased */
	double grace;            /* after a stop: seconds to finish the items in
	                            flight before they are given back (25) */
	double progress_every;   /* seconds between progress events (60) */
	const char *health_file; /* rewritten at each heartbeat (JSON), or NULL */
	int rescan;              /* rewrite artifacts already stored */
	const struct pl_scan_options *scan;      /* limits and ignore globs */
	const struct pl_source_options *source;  /* downloads */
	/* Called from any thread, one call at a time. */
	void (*on_event)(void *ctx, const struct pl_worker_event *e);
	void *ctx;
};
void pl_worker_options_default(struct pl_worker_options *o);

struct pl_worker;
/* A worker on the store o->db; the ruleset is borrowed until freed. */
int pl_worker_new(const struct pl_ruleset *rs, const struct pl_worker_options *o,
		  struct pl_worker **out);
/* Runs until the queue is drained (exit_when_empty) or pl_worker_stop.
 * 0 when every slot ended; 1 when the grace period ran out with items in
 * flight: they were given back, and slots may still be running, so the
 * caller must exit the process at once (_exit) without pl_worker_free. */
int pl_worker_run(struct pl_worker *w);
/* Asks a running worker to stop (async-signal-safe); a second call ends
 * the grace period now. */
void pl_worker_stop(struct pl_worker *w);
void pl_worker_free(struct pl_worker *w);

#endif
