/* Error codes and the per-thread error message (libgit2 style). */
#ifndef PKGLEAKS_ERROR_H
#define PKGLEAKS_ERROR_H

/* Every fallible function returns 0 on success or one of these (negative). */
enum pl_error_code {
	PL_OK = 0,
	PL_ERROR = -1,     /* generic failure; see pl_error_message() */
	PL_EIO = -2,       /* reading or writing failed */
	PL_EFORMAT = -3,   /* input is malformed (archive, YAML, JSON, ...) */
	PL_ELIMIT = -4,    /* a safety limit was reached (size, ratio, depth, time) */
	PL_ENOTFOUND = -5, /* a named thing does not exist */
	PL_EINVAL = -6,    /* bad argument or option value */
};

/* Sets the calling thread's message and returns code, so callers can write
 * `return pl_error_set(PL_EIO, "cannot open %s", path);`. */
int pl_error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The calling thread's last message; never NULL (empty when none). */
const char *pl_error_message(void);

/* Forgets the calling thread's message. */
void pl_error_clear(void);

#endif
