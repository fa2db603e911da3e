/* What the registry commands (pypi, npm, mirror, crawl, follow) share:
 * their common options, the sinks (report or counter, store, validation,
 * the fetch's lock), the progress bar, signals and exit codes. */
#ifndef PL_CLI_FETCH_H
#define PL_CLI_FETCH_H

#include <getopt.h>

#include "cli/cli.h"
#include "pkgleaks/scan.h"
#include "pkgleaks/source.h"

#define CLI_FETCH_MAX_LIST 256

enum {
	CLI_F_FORMAT = 2000, CLI_F_OUTPUT, CLI_F_SHOW, CLI_F_MINCONF, CLI_F_COLOR, CLI_F_PROGRESS,
	CLI_F_NOPROGRESS, CLI_F_QUIET, CLI_F_RULES, CLI_F_IGNORE, CLI_F_DB, CLI_F_STORESECRETS,
	CLI_F_RESCAN, CLI_F_JOBS, CLI_F_FAILONERROR, CLI_F_INDEX, CLI_F_REGISTRY, CLI_F_API,
	CLI_F_CONCURRENCY, CLI_F_RETRIES, CLI_F_BACKOFF, CLI_F_TIMEOUT, CLI_F_RETRYAFTER,
	CLI_F_MAXDOWNLOAD, CLI_F_KEEP, CLI_F_ALLVERSIONS, CLI_F_LATEST, CLI_F_TMPDIR,
};

/* Rows for a getopt_long table: output, store and scan options... */
#define CLI_FETCH_COMMON_LONGOPTS                                        \
	{"format", required_argument, NULL, CLI_F_FORMAT},               \
	{"output", required_argument, NULL, CLI_F_OUTPUT},               \
	{"show-secrets", no_argument, NULL, CLI_F_SHOW},                 \
	{"min-confidence", required_argument, NULL, CLI_F_MINCONF},      \
	{"color", required_argument, NULL, CLI_F_COLOR},                 \
	{"colour", required_argument, NULL, CLI_F_COLOR},                \
	{"progress", no_argument, NULL, CLI_F_PROGRESS},                 \
	{"no-progress", no_argument, NULL, CLI_F_NOPROGRESS},            \
	{"quiet", no_argument, NULL, CLI_F_QUIET},                       \
	{"rules", required_argument, NULL, CLI_F_RULES},                 \
	{"ignore", required_argument, NULL, CLI_F_IGNORE},               \
	{"db", optional_argument, NULL, CLI_F_DB},                       \
	{"store-secrets", no_argument, NULL, CLI_F_STORESECRETS},        \
	{"rescan", no_argument, NULL, CLI_F_RESCAN},                     \
	{"jobs", required_argument, NULL, CLI_F_JOBS},                   \
	{"fail-on-error", no_argument, NULL, CLI_F_FAILONERROR}
/* ...and the network ones. */
#define CLI_FETCH_NET_LONGOPTS                                           \
	{"index-url", required_argument, NULL, CLI_F_INDEX},             \
	{"registry", required_argument, NULL, CLI_F_REGISTRY},           \
	{"api", required_argument, NULL, CLI_F_API},                     \
	{"concurrency", required_argument, NULL, CLI_F_CONCURRENCY},     \
	{"retries", required_argument, NULL, CLI_F_RETRIES},             \
	{"backoff", required_argument, NULL, CLI_F_BACKOFF},             \
	{"timeout", required_argument, NULL, CLI_F_TIMEOUT},             \
	{"max-retry-after", required_argument, NULL, CLI_F_RETRYAFTER},  \
	{"max-download", required_argument, NULL, CLI_F_MAXDOWNLOAD},    \
	{"keep", required_argument, NULL, CLI_F_KEEP},                   \
	{"all-versions", no_argument, NULL, CLI_F_ALLVERSIONS},          \
	{"latest", no_argument, NULL, CLI_F_LATEST},                     \
	{"tmp-dir", required_argument, NULL, CLI_F_TMPDIR}

#define CLI_FETCH_OUTPUT_USAGE                                                              \
	"output:\n"                                                                          \
	"  -f, --format FMT        text (default), json, jsonl or sarif\n"                    \
	"  -o, --output FILE       write the report to FILE instead of stdout\n"              \
	"      --show-secrets      print secrets in full (default: first 4 chars + …)\n"      \
	"      --min-confidence C  report only low|medium|high and above (default low)\n"     \
	"      --color WHEN        auto (default), always or never\n"

#define CLI_FETCH_COMMON_USAGE                                                              \
	"      --progress, --no-progress  progress bar on stderr (default: on a TTY)\n"        \
	"  -q, --quiet             no per-project lines and no summary\n"                    \
	"      --rules FILE        add or override rules from a YAML file (repeatable)\n"     \
	"      --ignore GLOB       skip paths inside packages matching GLOB (repeatable)\n"   \
	"      --db[=PATH|URL]     record what is found in a store (SQLite file, default\n"   \
	"                          pkgleaks.db, or postgresql://); files it already holds\n" \
	"                          under these rules are not downloaded again\n"            \
	"      --store-secrets     keep raw secret values, encrypted (PKGLEAKS_KEY)\n"        \
	"      --rescan            fetch and scan files the store already holds\n"           \
	"  -j, --jobs N            scan workers (default: number of cores)\n"                \
	"      --fail-on-error     exit 2 when any file could not be fetched or read\n"

#define CLI_FETCH_NET_USAGE                                                                  \
	"network (a good citizen: HTTPS verified, connections reused, bounded):\n"            \
	"      --concurrency N     transfers in flight at once (default 4)\n"                 \
	"      --retries N         attempts after a 5xx, 429, timeout or broken\n"             \
	"                          connection (default 4), with exponential backoff\n"       \
	"      --backoff S         first retry delay in seconds, doubled each time (1)\n"    \
	"      --timeout S         give up an attempt after S seconds without a byte (30)\n" \
	"      --max-retry-after S longest Retry-After (429/503) obeyed (300)\n"             \
	"      --max-download SIZE largest file downloaded (default 2G)\n"                  \
	"      --keep DIR          keep each verified download in DIR (default: none kept)\n" \
	"      --tmp-dir DIR       where the private spool directory goes (default $TMPDIR\n" \
	"                          or /tmp; it is removed at the end)\n"

/* The end of `pypi`'s and `npm`'s usage up to their examples: thing is
 * "project" or "package" in their exit status. */
#define CLI_FETCH_NAMES_USAGE(thing)                                                         \
	"\n" CLI_FETCH_OUTPUT_USAGE CLI_FETCH_COMMON_USAGE "\n" CLI_FETCH_NET_USAGE "\n"      \
	CLI_VALIDATE_USAGE "\n"                                                              \
	"exit status: 0 nothing found, 1 secrets found, 2 a " thing " could not be read or a\n" \
	"fatal error (also unreadable files with --fail-on-error).\n"                      \
	"\n"                                                                                 \
	"examples:\n"

struct cli_fetch_args {
	struct pl_scan_options scan;
	struct pl_report_options report;
	struct pl_source_options src;
	struct cli_store_args store;
	struct cli_validate validate;
	const char *output, *registry;
	char *rules[CLI_FETCH_MAX_LIST];
	const char *ignore[CLI_FETCH_MAX_LIST + 1];
	int nrules, nignore, quiet, progress, color, fail_on_error;
	int store_required; /* crawl, follow, mirror: --db defaults to pkgleaks.db */
	int collect;        /* pypi, npm, mirror: findings go to a report on stdout */
};

void cli_fetch_defaults(struct cli_fetch_args *a);

/* Options a command adds itself are numbered from here. */
#define CLI_OWN_OPTS 3000
/* Parses argv (argv[0] is the command's name) with longopts; options from
 * CLI_OWN_OPTS on go to own. Returns the index of the first operand, or
 * -(exit code) - 1 to stop (--help prints usage: exit 0). */
int cli_fetch_parse(struct cli_fetch_args *a, int argc, char **argv,
		    const struct option *longopts, const char *usage,
		    int (*own)(void *ctx, int c, const char *arg), void *ctx);
/* One option from the tables above (or CLI_VALIDATE_LONGOPTS): 0, or an
 * exit code. For --db, optind_io may move (see cli_db_value). */
int cli_fetch_option(struct cli_fetch_args *a, int c, const char *arg, int argc, char **argv,
		     int *optind_io);

/* What a command's run gets once everything is set up. */
struct cli_fetch_env {
	struct pl_fetch *fetch;          /* NULL for `mirror` */
	const struct pl_ruleset *rs;
	const struct pl_scan_options *opt;
	const struct pl_sink_ops *sink;
	void *sink_ctx;
	struct pl_store *store;          /* NULL without --db */
	const char *ruleset_version;
	uint64_t total_files, total_bytes; /* `mirror`: the progress bar's end */
	const struct pl_mirror_list *listed; /* `mirror`: set by its run (for the summary) */
};

/* Runs the scan through env->sink; 0 or negative (message set). */
typedef int (*cli_fetch_fn)(void *ctx, struct cli_fetch_env *env);

/* Sets up the sinks, the store, the fetch (network != 0), the progress bar
 * and SIGINT/SIGTERM (finish what is in flight, then stop), runs fn, writes
 * the report and returns the exit code. */
int cli_fetch_run(struct cli_fetch_args *a, int network, cli_fetch_fn fn, void *ctx);

/* `pkgleaks pypi` and `pkgleaks npm`: the packages named as operands
 * (NAME==VERSION, NAME@VERSION), fetched and scanned into a report; npm's
 * registry as pl_npm_registry_find finds it. Returns the exit code. */
int cli_fetch_names(int argc, char **argv, enum pl_ecosystem eco, const char *usage);

#endif
