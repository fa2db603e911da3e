/* dlopen and dlsym, with the messages a user can act on. */
#include "dl/dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#include "pkgleaks/error.h"

static int dl_open(const char *what, const char *soname, const struct pl_dl_sym *syms, size_t n)
{
	/* RTLD_LOCAL: the library's symbols never interpose on ours. */
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return pl_error_set(PL_ENOTFOUND, "%s is not installed (%s): %s", what, soname,
				    dlerror());
	for (size_t i = 0; i < n; i++) {
		void *f = dlsym(h, syms[i].name);
		if (!f) {
			int rc = pl_error_set(PL_ENOTFOUND, "%s (%s) lacks %s: too old a version?",
					      what, soname, syms[i].name);
			for (size_t j = 0; j < i; j++)
				*syms[j].slot = NULL;
			dlclose(h);
			return rc;
		}
		*syms[i].slot = f;
	}
	return 0; /* the handle stays open for the life of the process */
}

/* Loads are rare (once per library) and may race from worker threads. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

int pl_dl_load(struct pl_dl_lib *lib)
{
	pthread_mutex_lock(&lock);
	if (lib->state == 0) {
		if (lib->before_open)
			lib->before_open();
		int rc = dl_open(lib->what, lib->soname, lib->syms, lib->n);
		lib->state = rc ? rc : 1;
		if (rc)
			snprintf(lib->message, sizeof(lib->message), "%s", pl_error_message());
	}
	int state = lib->state;
	pthread_mutex_unlock(&lock);
	return state == 1 ? 0 : pl_error_set(state, "%s", lib->message);
}
