#include "util/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pkgleaks/error.h"
#include "util/alloc.h"
#include "util/escape.h"

/* ---- the child ---- */

/* Reports errno to the parent through the close-on-exec pipe and exits: the
 * parent then knows exec failed (and why) rather than seeing exit 127. */
static void child_fail(int errfd)
{
	int e = errno;
	ssize_t w = write(errfd, &e, sizeof(e));
	(void)w;
	_exit(127);
}

static void child_exec(const char *const *argv, const char *cwd, int out, int err, int errfd)
{
	int null = open("/dev/null", O_RDONLY);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
	    dup2(err, STDERR_FILENO) < 0)
		child_fail(errfd);
	if (cwd && chdir(cwd) != 0)
		child_fail(errfd);
	execvp(argv[0], (char *const *)argv);
	child_fail(errfd);
}

/* ---- the parent ---- */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads what is ready on fd into b; a full buffer keeps draining (so the
 * child never blocks on a pipe) and sets *over. Returns 0 at EOF, 1 if open. */
static int drain(int fd, struct pl_buf *b, int *over)
{
	char chunk[65536];
	ssize_t n = read(fd, chunk, sizeof(chunk));
	if (n < 0)
		return errno == EINTR || errno == EAGAIN;
	if (n == 0)
		return 0;
	if (pl_buf_append(b, chunk, (size_t)n) < 0)
		*over = 1;
	return 1;
}

/* Collects stdout and stderr until both close or the deadline passes. */
static int collect(pid_t pid, int out, int err, struct pl_proc_result *res)
{
	struct pollfd fds[2] = { { out, POLLIN, 0 }, { err, POLLIN, 0 } };
	int over = 0, err_over = 0, open_fds = 2;
	double deadline = now() + PL_PROC_SECONDS;
	while (open_fds) {
		double left = deadline - now();
		if (left <= 0) {
			kill(pid, SIGKILL);
			res->timed_out = 1;
			break;
		}
		if (poll(fds, 2, (int)(left * 1000) + 1) < 0 && errno != EINTR) {
			int e = errno;
			kill(pid, SIGKILL); /* the caller reaps it */
			return pl_error_set(PL_EIO, "poll: %s", strerror(e));
		}
		for (int i = 0; i < 2; i++)
			if (fds[i].fd >= 0 && fds[i].revents &&
			    !drain(fds[i].fd, i ? &res->err : &res->out, i ? &err_over : &over)) {
				fds[i].fd = -1;
				open_fds--;
			}
	}
	return over ? pl_error_set(PL_ELIMIT, "a helper program printed more than %u bytes",
				   PL_PROC_OUT_MAX)
		    : 0;
}

static int reap(pid_t pid, struct pl_proc_result *res)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return pl_error_set(PL_EIO, "waitpid: %s", strerror(errno));
	res->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return 0;
}

/* Waits for the exec report: 0 when exec succeeded (the pipe closed empty). */
static int exec_status(int errfd, const char *prog)
{
	int e;
	ssize_t n;
	while ((n = read(errfd, &e, sizeof(e))) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(e))
		return 0;
	if (e == ENOENT || e == EACCES || e == ENOTDIR)
		return pl_error_set(PL_ENOTFOUND, "cannot run %s: %s", prog, strerror(e));
	return pl_error_set(PL_EIO, "cannot run %s: %s", prog, strerror(e));
}

static void close_all(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

int pl_proc_run(const char *const *argv, const char *cwd, struct pl_proc_result *res)
{
	memset(res, 0, sizeof(*res));
	pl_buf_init(&res->out, PL_PROC_OUT_MAX);
	pl_buf_init(&res->err, PL_PROC_ERR_MAX);
	int p[6] = { -1, -1, -1, -1, -1, -1 }; /* out r/w, err r/w, exec-report r/w */
	if (pipe2(p, O_CLOEXEC) || pipe2(p + 2, O_CLOEXEC) || pipe2(p + 4, O_CLOEXEC)) {
		close_all(p, 6);
		return pl_error_set(PL_EIO, "pipe: %s", strerror(errno));
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close_all(p, 6);
		return pl_error_set(PL_EIO, "fork: %s", strerror(errno));
	}
	if (pid == 0)
		child_exec(argv, cwd, p[1], p[3], p[5]);
	close(p[1]);
	close(p[3]);
	close(p[5]);
	int rc = exec_status(p[4], argv[0]);
	int rc2 = rc ? 0 : collect(pid, p[0], p[2], res);
	int rc3 = reap(pid, res);
	close_all((int[]){ p[0], p[2], p[4] }, 3);
	return rc ? rc : rc2 ? rc2 : rc3;
}

void pl_proc_result_release(struct pl_proc_result *res)
{
	pl_buf_release(&res->out);
	pl_buf_release(&res->err);
}

char *pl_proc_last_line(const struct pl_proc_result *res)
{
	const struct pl_buf *b = res->err.len ? &res->err : &res->out;
	size_t end = b->len;
	while (end && (b->data[end - 1] == '\n' || b->data[end - 1] == '\r'))
		end--;
	size_t start = end;
	while (start && b->data[start - 1] != '\n')
		start--;
	return pl_escape(b->data ? b->data + start : "", end - start);
}

/* ---- temporary directories ---- */

int pl_tmpdir_new(const char *tag, char **out)
{
	const char *base = getenv("TMPDIR");
	char *path = pl_xasprintf("%s/pkgleaks-%s.XXXXXX", base && base[0] ? base : "/tmp", tag);
	if (!mkdtemp(path)) {
		int e = errno;
		free(path);
		return pl_error_set(PL_EIO, "cannot create a temporary directory: %s", strerror(e));
	}
	*out = path;
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	/* A directory we cannot read (mode 000 in a copied project) is made
	 * readable first; nftw then reports it as FTW_DNR. */
	if (flag == FTW_DNR && chmod(path, 0700) == 0)
		return pl_rmtree(path) < 0 ? -1 : 0;
	return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

int pl_rmtree(const char *path)
{
	if (nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT)
		return pl_error_set(PL_EIO, "cannot remove %s: %s", path, strerror(errno));
	return 0;
}
