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
	CLI_FETCH_NAMES_USAGE("project")
	"  pkgleaks pypi requests urllib3==2.2.1\n"
	"  pkgleaks pypi --all-versions --db study.db acme-internal\n"
	"  pkgleaks pypi --index-url https://devpi.example/root/pypi/+simple --api simple foo\n";

int cmd_pypi(int argc, char **argv)
{
	return cli_fetch_names(argc, argv, PL_ECO_PYPI, usage);
}
