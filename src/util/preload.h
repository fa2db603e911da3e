/* A one-off piece of start-up work (loading a library) run by a thread of
 * its own while the main thread does its own (loading rules), then joined.
 * Not thread-safe itself: started and waited for by the main thread. */
#ifndef PL_UTIL_PRELOAD_H
#define PL_UTIL_PRELOAD_H

#include <pthread.h>

struct pl_preload {
	pthread_t thread;
	int running;
};

/* Starts fn in a thread unless one runs already; when no thread can be
 * made, nothing runs (the work is done later, where it is needed). */
void pl_preload_start(struct pl_preload *p, void *(*fn)(void *));
/* Joins the thread, if any. */
void pl_preload_wait(struct pl_preload *p);

#endif
