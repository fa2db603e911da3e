/* `pkgleaks crawl --projects FILE | --all`: queue many projects in the
 * store and scan them; a run that is stopped or killed resumes where it
 * was (done projects and stored files are not fetched again). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_fetch.h"
#include "pkgleaks/error.h"

static const char usage[] =
	"usage: pkgleaks crawl [options] (--projects FILE | --all | NAME...)\n"
	"\n"
	"Puts projects into the store's crawl queue (--db, default pkgleaks.db) and\n"
	"works through what is pending there: each project's files are fetched,\n"
	"verified and scanned as by `pkgleaks pypi` / `pkgleaks npm`, and the project\n"
	"is marked done once every file is recorded. Run it again (after a kill, a\n"
	"Ctrl-C or a crash) and it goes on with what is pending; files already in the\n"
	"store are not fetched again. Findings go to the store: read them with\n"
	"`pkgleaks report --db ...`.\n"
	"\n"
	"what to crawl:\n"
	"      --projects FILE     project names, one per line ('#' comments; '-' = stdin)\n"
	"      --all               every project the PyPI index lists (PEP 691 /simple/);\n"
	"                          with --npm, every package of the registry's _all_docs\n"
	"      --npm               npm packages (the registry as for `pkgleaks npm`)\n"
	"      --retry-errors      try again the projects that failed before\n"
	"      --index-url URL     PyPI-compatible index (default " PL_PYPI_DEFAULT_URL ")\n"
	"      --registry URL      npm registry (else npm_config_registry, .npmrc)\n"
	"      --api API           auto, json or simple (PyPI)\n"
	"      --latest            each project's newest release (default)\n"
	"      --all-versions      every release\n"
	"\n" CLI_FETCH_COMMON_USAGE "\n" CLI_FETCH_NET_USAGE
	"\n"
	"exit status: 0 the queue was worked through (findings are in the store), 2 a\n"
	"fatal error (also projects or files in error with --fail-on-error).\n"
	"\n"
	"examples:\n"
	"  pkgleaks crawl --db study.db --projects top-5000.txt --all-versions\n"
	"  pkgleaks crawl --db postgresql://scanner@db/study --all\n";

enum { OPT_PROJECTS = CLI_OWN_OPTS, OPT_ALL, OPT_NPM, OPT_RETRY };

static const struct option longopts[] = {
	CLI_FETCH_COMMON_LONGOPTS,
	CLI_FETCH_NET_LONGOPTS,
	{"projects", required_argument, NULL, OPT_PROJECTS},
	{"all", no_argument, NULL, OPT_ALL},
	{"npm", no_argument, NULL, OPT_NPM},
	{"retry-errors", no_argument, NULL, OPT_RETRY},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

struct crawl_cmd {
	struct pl_crawl_options c;
	const char *projects;
	struct cli_names names;
};

static int own(void *ctx, int c, const char *arg)
{
	struct crawl_cmd *cc = ctx;
	if (c == OPT_PROJECTS)
		cc->projects = arg;
	else if (c == OPT_ALL)
		cc->c.all = 1;
	else if (c == OPT_NPM)
		cc->c.eco = PL_ECO_NPM;
	else
		cc->c.retry_errors = 1;
	return 0;
}

static int run(void *ctx, struct cli_fetch_env *e)
{
	struct crawl_cmd *cc = ctx;
	return pl_fetch_run_crawl(e->fetch, &cc->c, e->rs, e->opt, e->sink, e->sink_ctx);
}

int cmd_crawl(int argc, char **argv)
{
	struct cli_fetch_args a;
	struct crawl_cmd cc = {0};
	cli_fetch_defaults(&a);
	a.store_required = 1;
	int first = cli_fetch_parse(&a, argc, argv, longopts, usage, own, &cc);
	if (first < 0)
		return -first - 1;
	for (int i = first; i < argc; i++)
		cli_names_add(&cc.names, argv[i], strlen(argv[i]));
	int code = cc.projects ? cli_names_read(&cc.names, cc.projects) : 0;
	char *registry = NULL;
	if (!code && cc.c.eco == PL_ECO_NPM && pl_npm_registry_find(a.registry, &registry) < 0)
		code = cli_fail("%s", pl_error_message());
	if (!code) {
		a.src.registry_url = registry;
		cc.c.names = (const char *const *)cc.names.v;
		cc.c.nnames = cc.names.n;
		code = cli_fetch_run(&a, 1, run, &cc);
	}
	free(registry);
	cli_names_release(&cc.names);
	return code;
}
