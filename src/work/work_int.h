/* The work module's private parts: a worker process (worker.c: the
 * heartbeat on the main thread) and its slots (slot.c: one thread each,
 * claiming and scanning one item at a time). */
#ifndef PL_WORK_INT_H
#define PL_WORK_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "pkgleaks/work.h"

/* A lease a slot holds: the heartbeat renews it, a forced stop releases it. */
struct work_held {
	int64_t id, lease;
};

struct work_slot;

struct pl_worker {
	struct pl_worker_options o;
	struct pl_scan_options scan;     /* o.scan with one scan thread per slot */
	struct pl_source_options source; /* o.source */
	const struct pl_ruleset *rs;
	char *id, *host;
	double started;
	/* Tests only, PKGLEAKS_TEST_WORKER_DELAY=S[@scan]: each item takes S
	 * seconds more, its transaction open (before the commit), or with
	 * @scan before its artifact is written (a slow scan). */
	double test_delay;
	int test_delay_scan;
	atomic_int stopping; /* 0 running, 1 stop asked, 2 asked again */
	atomic_uint running; /* slots not ended */
	pthread_mutex_t lock; /* held, totals, events */
	pthread_cond_t ended; /* a slot ended (with lock): the heartbeat wakes at once */
	struct work_held *held;
	size_t nheld, capheld;
	struct pl_worker_totals totals;
	struct work_slot *slots;
	unsigned nslots;
};

/* One slot: its own connection, store sink and downloader. */
struct work_slot {
	struct pl_worker *w;
	int index;
	pthread_t thread;
	int started;
	struct pl_store *st;
	struct pl_store_sink *sink;
	struct pl_scan_options scan; /* the worker's, with the store's blob key */
	unsigned char blob_key[PL_BLOB_KEY_LEN];
	struct pl_fetch *fetch; /* made at the first download */
	/* the item in flight */
	const struct pl_work_item *item;
	int outcome;     /* enum pl_work_outcome once the transaction ran, -1 before */
	char status[16]; /* the artifact's status as stored */
	char *error;     /* the first problem the scan reported, or NULL */
	char *store_msg; /* the last store failure, or NULL */
	uint64_t findings, bytes;
	double claim_seconds, commit_seconds; /* the queue's cost for this item */
};

/* ---- worker.c, for the slots ---- */

/* Sends an event (filling totals for progress and stop); counts it. */
void work_event(struct pl_worker *w, struct pl_worker_event *e);
void work_hold(struct pl_worker *w, int64_t id, int64_t lease);
void work_unhold(struct pl_worker *w, int64_t lease);
int work_stopping(struct pl_worker *w);
double work_now(void);
/* The slot's last call: one slot fewer running; wakes the heartbeat. */
void work_slot_ended(struct pl_worker *w);
/* Sleeps up to seconds, less when a stop is asked. */
void work_sleep(struct pl_worker *w, double seconds);

/* ---- slot.c ---- */

/* The slot thread (arg: struct work_slot). */
void *work_slot_main(void *arg);

#endif
