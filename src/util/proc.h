/* Running helper programs (npm, python3, cp) and temporary directories.
 *
 * Programs run without a shell: argv only, so no name taken from a project
 * is ever parsed by a shell. Output is captured into capped buffers and every
 * run has a deadline. */
#ifndef PL_UTIL_PROC_H
#define PL_UTIL_PROC_H

#include <stddef.h>

#include "util/buf.h"

/* Caps on what one run may print, and how long it may take. */
#define PL_PROC_OUT_MAX (64u * 1024 * 1024)
#define PL_PROC_ERR_MAX (64u * 1024)
#define PL_PROC_SECONDS 600

struct pl_proc_result {
	int status;         /* exit code; 128 + signal number when killed */
	int timed_out;      /* killed at the deadline */
	struct pl_buf out;  /* stdout, up to PL_PROC_OUT_MAX (owned) */
	struct pl_buf err;  /* stderr, its first PL_PROC_ERR_MAX bytes (owned) */
};

/* Runs argv[0] (searched in PATH) with argv, in directory cwd (NULL: ours),
 * stdin from /dev/null. Returns 0 when the program ran (whatever its exit
 * status: see res), PL_ENOTFOUND when it cannot be executed (not installed),
 * PL_ELIMIT when stdout passed its cap, PL_EIO otherwise. res is always
 * initialised; release it with pl_proc_result_release. */
int pl_proc_run(const char *const *argv, const char *cwd, struct pl_proc_result *res);
void pl_proc_result_release(struct pl_proc_result *res);

/* The last line of stderr (or stdout), escaped, for messages; the caller frees. */
char *pl_proc_last_line(const struct pl_proc_result *res);

/* Creates a new private directory under $TMPDIR (default /tmp) named
 * pkgleaks-<tag>.XXXXXX; *out is owned by the caller. */
int pl_tmpdir_new(const char *tag, char **out);

/* Removes path and everything below it, never following symlinks. */
int pl_rmtree(const char *path);

#endif
