#include "util/preload.h"

void pl_preload_start(struct pl_preload *p, void *(*fn)(void *))
{
	if (!p->running)
		p->running = pthread_create(&p->thread, NULL, fn, NULL) == 0;
}

void pl_preload_wait(struct pl_preload *p)
{
	if (p->running)
		pthread_join(p->thread, NULL);
	p->running = 0;
}
