/* A worker's events on stderr (worker_log.c), for `pkgleaks worker`. */
#ifndef PL_CLI_WORKER_LOG_H
#define PL_CLI_WORKER_LOG_H

#include "pkgleaks/work.h"

struct cli_worker_log {
	int json;  /* --log-format json: one JSON object per line */
	int debug; /* --log-level debug: claims too */
};

/* A pl_worker_options.on_event (ctx: struct cli_worker_log). */
void cli_worker_log(void *ctx, const struct pl_worker_event *e);

#endif
