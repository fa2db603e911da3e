/* `pkgleaks mirror DIR`: scan a local mirror incrementally: files the
 * store already holds (by SHA-256) are not read again. */
#include <stdio.h>

#include "cli/cli_fetch.h"
#include "pkgleaks/error.h"

static const char usage[] =
	"usage: pkgleaks mirror [options] DIR\n"
	"\n"
	"Scans the package files of a local mirror into a store (--db, default\n"
	"pkgleaks.db): a bandersnatch mirror's web/packages tree, or any tree of\n"
	"package files. Project and version come from the files (their metadata, else\n"
	"their names). Files the store already holds under these rules, found by their\n"
	"SHA-256, are skipped, so running it again after a sync scans only what is new.\n"
	"\n" CLI_FETCH_OUTPUT_USAGE CLI_FETCH_COMMON_USAGE "\n" CLI_VALIDATE_USAGE
	"\n"
	"exit status: 0 nothing found, 1 secrets found in the files scanned, 2 error.\n"
	"\n"
	"example:\n"
	"  bandersnatch mirror && pkgleaks mirror --db study.db /srv/pypi -q\n";

static const struct option longopts[] = {
	CLI_FETCH_COMMON_LONGOPTS,
	CLI_VALIDATE_LONGOPTS,
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

struct mirror_run {
	const char *dir;
	int quiet, rescan;
	struct pl_mirror_list list;
};

static int run(void *ctx, struct cli_fetch_env *e)
{
	struct mirror_run *m = ctx;
	int rc = pl_mirror_list(m->dir, e->store, e->ruleset_version, m->rescan, &m->list);
	if (rc < 0)
		return rc;
	if (!m->quiet)
		fprintf(stderr, "mirror: %zu files to scan (%.1f MB), %llu already in the store\n",
			m->list.n, (double)m->list.bytes / 1e6,
			(unsigned long long)m->list.skipped);
	e->total_files = m->list.n;
	e->total_bytes = m->list.bytes;
	if (!m->list.n)
		return 0;
	return pl_scan_run(e->rs, e->opt, (const char *const *)m->list.paths, m->list.n, e->sink,
			   e->sink_ctx);
}

int cmd_mirror(int argc, char **argv)
{
	struct cli_fetch_args a;
	cli_fetch_defaults(&a);
	a.collect = 1;
	a.store_required = 1;
	int first = cli_fetch_parse(&a, argc, argv, longopts, usage, NULL, NULL);
	if (first < 0)
		return -first - 1;
	if (argc - first != 1)
		return cli_fail("mirror: give one directory (try `pkgleaks mirror --help`)");
	struct mirror_run m = {.dir = argv[first], .quiet = a.quiet, .rescan = a.store.rescan};
	int code = cli_fetch_run(&a, 0, run, &m);
	pl_mirror_list_release(&m.list);
	return code;
}
