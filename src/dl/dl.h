/* Client libraries loaded on first use (dlopen), not at start-up.
 *
 * pkgleaks talks to PostgreSQL, HTTP issuers and registries, MySQL, Redis,
 * MongoDB and AMQP, but a plain `pkgleaks scan` (a pre-commit hook, a CI
 * gate) needs none of them: linking them made the dynamic loader map and
 * relocate about 40 extra libraries, and run their constructors, on every
 * start — most of the start-up time. Each library here is opened the first
 * time a module asks for it; a missing one is a clear error for that use
 * only (validation of that kind, or that store), never for a scan.
 *
 * Every consumer includes the library's header from this module (dl_curl.h,
 * ...) instead of the library's own: call sites keep the library's names,
 * which the header maps to pointers filled by pl_dl_<lib>(). A call before
 * pl_dl_<lib>() returned 0 is a bug (a NULL call). */
#ifndef PL_DL_H
#define PL_DL_H

#include <stddef.h>

/* One symbol to resolve into a function-pointer slot. */
struct pl_dl_sym {
	const char *name;
	void **slot;
};

/* A library of this module: what the user calls it, its soname (found at
 * build time, scripts/soname.py), its symbols; the rest is pl_dl_load's. */
struct pl_dl_lib {
	const char *what;
	const char *soname;
	const struct pl_dl_sym *syms;
	size_t n;
	/* Run once, under the lock, just before the library is opened; NULL
	 * for none (libs.c: OpenSSL's capability mask for what brings libcrypto). */
	void (*before_open)(void);
	int state;         /* 0: not tried; else the result (guarded by dl.c's lock) */
	char message[384]; /* why it failed, for every later caller */
};

/* Opens lib on the first call in the process; every call returns that
 * result, with the message set again when it failed. Thread-safe. */
int pl_dl_load(struct pl_dl_lib *lib);

/* Puts in the environment what these libraries read there when they are
 * mapped (OPENSSL_ia32cap, libs.c): at start-up, before any other thread,
 * because a setenv may move the environment under a concurrent getenv
 * (libcurl is loaded by a thread of its own while the rules load). Loading
 * a library does it too, for a program that did not call this. */
void pl_dl_env_init(void);

/* Declares a pointer field of the library's own type for function f. */
#define PL_DL_FIELD(f) __typeof__(&f) p_##f;

#endif
