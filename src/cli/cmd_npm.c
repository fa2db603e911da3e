/* `pkgleaks npm NAME[@VERSION]...`: fetch package tarballs from the npm
 * registry the user configured, verify their integrity, scan them. */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli_fetch.h"
#include "pkgleaks/error.h"

static const char usage[] =
	"usage: pkgleaks npm [options] NAME[@VERSION]...\n"
	"\n"
	"Downloads the tarball of the latest version of each package (or of the\n"
	"version or dist-tag named; @scope/name works), checks it against the\n"
	"registry's integrity (SHA-512) or shasum, and scans it while it arrives.\n"
	"\n"
	"registry (pkgleaks has no default; the first of these that is set):\n"
	"      --registry URL      the registry\n"
	"      npm_config_registry the environment variable npm itself reads\n"
	"      registry=URL        the line in ./.npmrc, then in ~/.npmrc\n"
	"      --latest            the latest version only (default)\n"
	"      --all-versions      every version\n"
	"\n" CLI_FETCH_OUTPUT_USAGE CLI_FETCH_COMMON_USAGE "\n" CLI_FETCH_NET_USAGE
	"\n" CLI_VALIDATE_USAGE
	"\n"
	"exit status: 0 nothing found, 1 secrets found, 2 a package could not be read or a\n"
	"fatal error (also unreadable files with --fail-on-error).\n"
	"\n"
	"examples:\n"
	"  pkgleaks npm left-pad @acme/config@1.2.0\n"
	"  npm_config_registry=https://npm.example.com pkgleaks npm --all-versions foo\n";

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
	return pl_fetch_run_names(e->fetch, PL_ECO_NPM, (const char *const *)n->v, (size_t)n->n,
				  e->rs, e->opt, e->sink, e->sink_ctx);
}

int cmd_npm(int argc, char **argv)
{
	struct cli_fetch_args a;
	cli_fetch_defaults(&a);
	a.collect = 1;
	int first = cli_fetch_parse(&a, argc, argv, longopts, usage, NULL, NULL);
	if (first < 0)
		return -first - 1;
	if (first >= argc)
		return cli_fail("npm: no package named (try `pkgleaks npm --help`)");
	char *registry;
	if (pl_npm_registry_find(a.registry, &registry) < 0)
		return cli_fail("%s", pl_error_message());
	a.src.registry_url = registry;
	struct names n = {argv + first, argc - first};
	int code = cli_fetch_run(&a, 1, run, &n);
	free(registry);
	return code;
}
