/* `pkgleaks install-hook`: a plain git pre-commit hook that scans the staged
 * content of the files a commit adds or changes, and blocks the commit on a
 * finding. The hook is a short POSIX shell script: `git checkout-index`
 * writes the index's version of those files (names preserved, whatever
 * bytes they hold) into a temporary directory, which pkgleaks scans. The
 * directory is on /dev/shm when writable: writing files to a disk-backed
 * /tmp cost 5 times more than the scan itself (bench/hook_bench.sh). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

static const char hook_usage[] =
	"usage: pkgleaks install-hook [--force] [--print] [-- SCAN-OPTION...]\n"
	"\n"
	"Writes a git pre-commit hook (in `git rev-parse --git-path hooks`, so\n"
	"core.hooksPath and worktrees are honoured) that scans the staged content\n"
	"of the files each commit adds or changes, and blocks the commit when\n"
	"pkgleaks finds a secret (or cannot scan). SCAN-OPTIONs after `--` are\n"
	"passed to `pkgleaks scan` (e.g. -- --min-confidence medium).\n"
	"`.pkgleaksignore` files in the index apply; `pkgleaks:allow` too.\n"
	"Skip the hook for one commit with `git commit --no-verify`.\n"
	"\n"
	"  --force   replace an existing pre-commit hook (kept as pre-commit.bak)\n"
	"  --print   write the hook to stdout instead of installing it\n";

/* Marks hooks we wrote: reinstalling one of ours needs no --force. */
#define HOOK_MARK "installed by `pkgleaks install-hook`"

static const char hook_body[] =
	"[ -x \"$PKGLEAKS\" ] || PKGLEAKS=pkgleaks\n"
	"# Staged content goes to memory (tmpfs) when it can: faster, and never on disk.\n"
	"dir=${PKGLEAKS_HOOK_TMPDIR:-/dev/shm}\n"
	"[ -d \"$dir\" ] && [ -w \"$dir\" ] || dir=${TMPDIR:-/tmp}\n"
	"tmp=$(mktemp -d \"$dir/pkgleaks-hook.XXXXXX\") || exit 1\n"
	"trap 'rm -rf \"$tmp\"' EXIT\n"
	"trap 'exit 1' HUP INT TERM\n"
	"git diff --cached --name-only -z --diff-filter=ACMR >\"$tmp/files\" || exit 1\n"
	"[ -s \"$tmp/files\" ] || exit 0\n"
	"git ls-files -z -- .pkgleaksignore '*/.pkgleaksignore' >>\"$tmp/files\" || exit 1\n"
	"git checkout-index -f -z --stdin --prefix=\"$tmp/staged/\" <\"$tmp/files\" || exit 1\n"
	"cd \"$tmp/staged\" || exit 1\n"
	"\"$PKGLEAKS\" scan --no-progress \"$@\" .\n"
	"rc=$?\n"
	"if [ \"$rc\" -eq 1 ]; then\n"
	"\techo \"pkgleaks: commit blocked: the staged files above hold secrets.\" >&2\n"
	"\techo \"  Remove them (and rotate them if they were ever pushed); mark a false\" >&2\n"
	"\techo \"  positive with a 'pkgleaks:allow' comment or .pkgleaksignore;\" >&2\n"
	"\techo \"  'git commit --no-verify' skips this check once.\" >&2\n"
	"elif [ \"$rc\" -ne 0 ]; then\n"
	"\techo \"pkgleaks: commit blocked: the scan failed (exit $rc).\" >&2\n"
	"fi\n"
	"exit \"$rc\"\n";

/* Writes s single-quoted for sh: ' becomes '\''. */
static void put_quoted(FILE *out, const char *s)
{
	fputc('\'', out);
	for (; *s; s++)
		if (*s == '\'')
			fputs("'\\''", out);
		else
			fputc(*s, out);
	fputc('\'', out);
}

/* The running binary, so the hook works before `make install` too. */
static void put_self(FILE *out)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	put_quoted(out, n > 0 ? self : "pkgleaks");
}

static void write_hook(FILE *out, char **args, int nargs)
{
	fputs("#!/bin/sh\n"
	      "# pkgleaks pre-commit hook, " HOOK_MARK ".\n"
	      "# Scans the staged content of the files this commit adds or changes and\n"
	      "# blocks the commit when a secret is found.\n"
	      "PKGLEAKS=${PKGLEAKS:-",
	      out);
	put_self(out);
	fputs("}\nset --", out);
	for (int i = 0; i < nargs; i++) {
		fputc(' ', out);
		put_quoted(out, args[i]);
	}
	fputc('\n', out);
	fputs(hook_body, out);
}

/* `git rev-parse --git-path hooks`: the hooks directory of this repository. */
static int hooks_dir(char *out, size_t size)
{
	FILE *p = popen("git rev-parse --git-path hooks 2>/dev/null", "r");
	if (!p)
		return cli_fail("cannot run git: %s", strerror(errno));
	int got = fgets(out, (int)size, p) != NULL;
	int st = pclose(p);
	if (!got || st != 0)
		return cli_fail("install-hook: not inside a git repository (or git is missing)");
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

static int is_ours(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[256];
	int ours = 0;
	for (int i = 0; f && i < 3 && fgets(line, sizeof(line), f); i++)
		ours |= strstr(line, HOOK_MARK) != NULL;
	if (f)
		fclose(f);
	return ours;
}

/* Refuses a foreign hook without --force; with it, keeps it as .bak. */
static int make_room(const char *path, int force)
{
	struct stat st;
	if (lstat(path, &st) != 0 || is_ours(path))
		return 0;
	if (!force)
		return cli_fail("install-hook: %s already exists; rerun with --force to replace it "
				"(it is then kept as pre-commit.bak)",
				path);
	char bak[PATH_MAX];
	if (snprintf(bak, sizeof(bak), "%s.bak", path) >= (int)sizeof(bak) || rename(path, bak))
		return cli_fail("install-hook: cannot move %s aside: %s", path, strerror(errno));
	fprintf(stderr, "pkgleaks: the previous hook is now %s\n", bak);
	return 0;
}

static int install(char **args, int nargs, int force)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	int rc = hooks_dir(dir, sizeof(dir));
	if (rc)
		return rc;
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return cli_fail("install-hook: cannot create %s: %s", dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/pre-commit", dir);
	if ((rc = make_room(path, force)))
		return rc;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!out) {
		if (fd >= 0)
			close(fd);
		return cli_fail("install-hook: cannot write %s: %s", path, strerror(errno));
	}
	write_hook(out, args, nargs);
	int bad = ferror(out) | fchmod(fileno(out), 0755);
	if (fclose(out) != 0 || bad)
		return cli_fail("install-hook: cannot write %s: %s", path, strerror(errno));
	printf("installed %s: commits that add a secret are now blocked\n", path);
	return PL_EXIT_CLEAN;
}

int cmd_install_hook(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"force", no_argument, NULL, 'f'},
		{"print", no_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c, force = 0, print = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+fh", longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(hook_usage, stdout);
			return PL_EXIT_CLEAN;
		}
		if (c == '?') {
			fputs("try `pkgleaks install-hook --help`\n", stderr);
			return PL_EXIT_ERROR;
		}
		force |= c == 'f';
		print |= c == 'p';
	}
	if (print) {
		write_hook(stdout, argv + optind, argc - optind);
		return fflush(stdout) == 0 ? PL_EXIT_CLEAN : cli_fail("cannot write the hook");
	}
	return install(argv + optind, argc - optind, force);
}
