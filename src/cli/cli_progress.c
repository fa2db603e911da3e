/* The progress line's thread (cli_progress.h). */
#include <stdio.h>
#include <time.h>

#include "cli/cli_progress.h"

/* Redraws per second. */
#define PROGRESS_HZ 4

static void *progress_loop(void *arg)
{
	struct cli_progress *p = arg;
	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 1000000000 / PROGRESS_HZ;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&p->cond, &p->lock, &ts);
		if (!p->stop)
			p->draw(p->ctx);
	}
	fputs("\r\033[K", stderr);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int cli_progress_start(struct cli_progress *p, void (*draw)(void *ctx), void *ctx)
{
	p->draw = draw;
	p->ctx = ctx;
	p->stop = 0;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	if (pthread_create(&p->thread, NULL, progress_loop, p) == 0)
		return 1;
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	return 0;
}

void cli_progress_stop(struct cli_progress *p)
{
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
}
