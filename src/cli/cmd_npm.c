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
	"configuration, read as npm reads it (a higher one wins):\n"
	"      --registry URL      the registry (the command line)\n"
	"  npm_config_KEY          the environment (npm_config_registry=URL, ...)\n"
	"  project .npmrc          in the nearest directory, from the current one up,\n"
	"                          with a package.json or node_modules (a workspace's\n"
	"                          root when the package.json above lists it)\n"
	"  user .npmrc             $npm_config_userconfig, else ~/.npmrc\n"
	"  global npmrc            $npm_config_globalconfig, else PREFIX/etc/npmrc: PREFIX\n"
	"                          is the prefix setting, $PREFIX, or the directory above\n"
	"                          the bin/ of the node on $PATH\n"
	"  builtin npmrc           in npm's own directory (Debian's names /etc/npmrc)\n"
	"  pkgleaks has no default registry.\n"
	"\n"
	"  registry=URL            the registry\n"
	"  @scope:registry=URL     the registry of @scope/ packages\n"
	"\n"
	"credentials (only to URLs under that host, port and path, and to tarballs on\n"
	"the same scheme, host and port as their registry; never to another host, nor\n"
	"across a redirect; never printed):\n"
	"  //host[:port]/path/:_authToken=TOKEN   sent as Authorization: Bearer\n"
	"  //host[:port]/path/:_auth=BASE64       user:password, sent as Basic\n"
	"  //host[:port]/path/:username=U and :_password=BASE64   likewise\n"
	"  //host[:port]/path/:certfile=PEM and :keyfile=PEM      a client certificate\n"
	"  cert=PEM and key=PEM (inline, \\n for newlines; npm's deprecated form):\n"
	"                                         the same for the registries' own origins\n"
	"  ${VAR} in a value is the environment variable.\n"
	"\n"
	"TLS (every npm request):\n"
	"  cafile=PEM              trust the CAs of that file instead of the system's\n"
	"  ca=\"PEM\"                likewise, inline (\\n for newlines; ca[]= for more)\n"
	"  strict-ssl=false        do not verify certificates (a warning says so)\n"
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
