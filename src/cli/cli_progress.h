/* The progress line on stderr that `scan` and the registry commands show
 * on a terminal: a thread redraws it four times a second through the
 * command's own draw callback, and clears it when stopped. */
#ifndef PL_CLI_PROGRESS_H
#define PL_CLI_PROGRESS_H

#include <pthread.h>

struct cli_progress {
	void (*draw)(void *ctx); /* writes the line (from "\r\033[K" on) */
	void *ctx;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stop;
};

/* Starts the thread: 1, or 0 when it could not be started (no line). */
int cli_progress_start(struct cli_progress *p, void (*draw)(void *ctx), void *ctx);
/* Stops it, clears the line and releases what start made. */
void cli_progress_stop(struct cli_progress *p);

#endif
