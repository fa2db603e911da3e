/* `pkgleaks npm NAME[@VERSION]...`: fetch package tarballs from the npm
 * registry the user configured, verify their integrity, scan them. */
#include <stdio.h>

#include "cli/cli_fetch.h"

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
	"      registry=URL        the line in ./.npmrc, then in ~/.npmrc (or the file\n"
	"                          $NPM_CONFIG_USERCONFIG names)\n"
	"  @scope:registry=URL     (.npmrc, or npm_config_@scope:registry) the registry\n"
	"                          of @scope/ packages\n"
	"\n"
	"credentials (as npm reads them, from the same files and npm_config_* variables):\n"
	"  //host[:port]/path/:_authToken=TOKEN   sent as Authorization: Bearer\n"
	"  //host[:port]/path/:_auth=BASE64       user:password, sent as Basic\n"
	"  //host[:port]/path/:username=U and :_password=BASE64   likewise\n"
	"  Only to URLs under that host, port and path (and to tarballs on the same\n"
	"  scheme, host and port as their registry): never to another host, nor across\n"
	"  a redirect. ${VAR} in a value is the environment variable. Never printed.\n"
	"\n"
	"versions:\n"
	"      --latest            the latest version only (default)\n"
	"      --all-versions      every version\n"
	CLI_FETCH_NAMES_USAGE("package")
	"  pkgleaks npm left-pad @acme/config@1.2.0\n"
	"  npm_config_registry=https://npm.example.com pkgleaks npm --all-versions foo\n";

int cmd_npm(int argc, char **argv)
{
	return cli_fetch_names(argc, argv, PL_ECO_NPM, usage);
}
