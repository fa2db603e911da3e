/* pkgleaks: find secrets in published packages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "dl/dl.h"
#include "pkgleaks/version.h"
#include "util/tz.h"

static const char usage[] =
	"usage: pkgleaks <command> [options]\n"
	"\n"
	"Find secrets (API keys, tokens, passwords, private keys) inside packages:\n"
	"sdists, wheels, npm tarballs, .deb, .gem, zip/jar and any tar, nested\n"
	"archives included, without extracting anything to disk.\n"
	"\n"
	"commands:\n"
	"  scan PATH...     scan files, directories and archives ('-' reads stdin)\n"
	"  rules list       list the built-in detection rules\n"
	"  rules check      run every rule's examples through the engine\n"
	"  install-hook     block git commits that add a secret (pre-commit hook)\n"
	"  report           the study report from a findings store (--db)\n"
	"  disclose         one report per project for its owners, from a store (--db)\n"
	"  validate         ask the issuers again about stored secrets; record the answers\n"
	"  pypi NAME...     fetch and scan PyPI releases (NAME or NAME==VERSION)\n"
	"  npm NAME...      fetch and scan npm packages from your registry (NAME@VERSION)\n"
	"  mirror DIR       scan a local mirror, skipping what the store already has\n"
	"  crawl            queue and scan many projects into a store (resumable)\n"
	"  follow           keep scanning new PyPI uploads (resumes from the store)\n"
	"  queue            the work queue of many workers (add, status, failed, retry)\n"
	"  worker           drain the work queue (PostgreSQL), on any number of machines\n"
	"  help             show this help\n"
	"  version          print the version (--verbose: and the libraries')\n"
	"\n"
	"examples:\n"
	"  pkgleaks scan dist/                       gate before `twine upload`\n"
	"  pkgleaks scan --as-published .            what `npm publish`/the sdist would ship\n"
	"  pkgleaks scan --format sarif -o out.sarif pkg-1.0.tar.gz\n"
	"  pkgleaks scan --format jsonl node_modules/ > findings.jsonl\n"
	"  pkgleaks scan --db=study.db mirror/ && pkgleaks report --db=study.db --html out.html\n"
	"\n"
	"Run `pkgleaks scan --help` for scan options; `man pkgleaks` for the manual.\n"
	"Exit status: 0 no secret found, 1 secrets found, 2 error.\n";

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs(usage, stdout);
	return PL_EXIT_CLEAN;
}

/* version [--verbose]: with --verbose, the libraries' versions too. */
static int cmd_version(int argc, char **argv)
{
	int verbose = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--verbose") == 0 || strcmp(argv[i], "-v") == 0) {
			verbose = 1;
		} else {
			cli_fail("version: unknown option '%s' (try --verbose)", argv[i]);
			return PL_EXIT_ERROR;
		}
	}
	printf("pkgleaks %s\n", PKGLEAKS_VERSION);
	if (verbose) {
		char *libs = pl_version_libraries();
		fputs(libs, stdout);
		free(libs);
	}
	return PL_EXIT_CLEAN;
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{"scan", cmd_scan},
	{"rules", cmd_rules},
	{"install-hook", cmd_install_hook},
	{"report", cmd_report},
	{"disclose", cmd_disclose},
	{"validate", cmd_validate},
	{"pypi", cmd_pypi},
	{"npm", cmd_npm},
	{"mirror", cmd_mirror},
	{"crawl", cmd_crawl},
	{"follow", cmd_follow},
	{"queue", cmd_queue},
	{"worker", cmd_worker},
	{"help", cmd_help},
	{"--help", cmd_help},
	{"-h", cmd_help},
	{"version", cmd_version},
	{"--version", cmd_version},
	{"-V", cmd_version},
};

int main(int argc, char **argv)
{
	pl_tz_pin(); /* both before any thread */
	pl_dl_env_init();
	if (argc < 2) {
		fputs(usage, stderr);
		return PL_EXIT_ERROR;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	cli_fail("unknown command '%s' (try `pkgleaks help`)", argv[1]);
	return PL_EXIT_ERROR;
}
