/* `pkgleaks pypi NAME[==VERSION]...`: fetch a release's files from a
 * PyPI-compatible index, verify them against the index's SHA-256, scan
 * them as they arrive. */
#include <stdio.h>

#include "cli/cli_fetch.h"

static const char usage[] =
	"usage: pkgleaks pypi [options] NAME[==VERSION]...\n"
	"\n"
	"Downloads every file (sdists and wheels) of the newest release of each\n"
	"project, or of the version named, from a PyPI-compatible index, checks each\n"
	"against the SHA-256 the index gives, and scans it while it arrives. Project,\n"
	"version, upload time and yanked status come from the index (into the store\n"
	"with --db). Nothing is kept on disk unless --keep DIR.\n"
	"\n"
	"index:\n"
	"      --index-url URL     the index: its site (default " PL_PYPI_DEFAULT_URL ") or\n"
	"                          its Simple root as pip takes it (.../simple, devpi's\n"
	"                          .../+simple): a mirror, devpi, a company index\n"
	"      --api API           auto (default: JSON API, else the Simple API), json\n"
	"                          (/pypi/NAME/json) or simple (PEP 691 JSON)\n"
	"      --latest            the newest release only (default)\n"
	"      --all-versions      every release\n"
	"\n" CLI_FETCH_OUTPUT_USAGE CLI_FETCH_COMMON_USAGE "\n" CLI_FETCH_NET_USAGE
	"\n" CLI_VALIDATE_USAGE
	"\n"
	"exit status: 0 nothing found, 1 secrets found, 2 a project could not be read or a\n"
	"fatal error (also unreadable files with --fail-on-error).\n"
	"\n"
	"examples:\n"
	"  pkgleaks pypi requests urllib3==2.2.1\n"
	"  pkgleaks pypi --all-versions --db study.db acme-internal\n"
	"  pkgleaks pypi --index-url https://devpi.example/root/pypi/+simple --api simple foo\n";

static const struct option longopts[] = {
	CLI_FETCH_COMMON_LONGOPTS,
	CLI_FETCH_NET_LONGOPTS,
	CLI_VALIDATE_LONGOPTS,
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

struct names {
	char **v;
	int n;
};

static int run(void *ctx, struct cli_fetch_env *e)
{
	struct names *n = ctx;
	return pl_fetch_run_names(e->fetch, PL_ECO_PYPI, (const char *const *)n->v, (size_t)n->n,
				  e->rs, e->opt, e->sink, e->sink_ctx);
}

int cmd_pypi(int argc, char **argv)
{
	struct cli_fetch_args a;
	cli_fetch_defaults(&a);
	a.collect = 1;
	int first = cli_fetch_parse(&a, argc, argv, longopts, usage, NULL, NULL);
	if (first < 0)
		return -first - 1;
	if (first >= argc)
		return cli_fail("pypi: no project named (try `pkgleaks pypi --help`)");
	struct names n = {argv + first, argc - first};
	return cli_fetch_run(&a, 1, run, &n);
}
