/* The command-line front end: one cmd_<name>.c per subcommand, dispatched
 * from the table in main.c. Uses only the public API in include/pkgleaks. */
#ifndef PL_CLI_H
#define PL_CLI_H

#include <stdint.h>

#include "pkgleaks/report.h"
#include "pkgleaks/rules.h"
#include "pkgleaks/validate.h"

/* Exit codes, documented in pkgleaks(1). */
enum {
	PL_EXIT_CLEAN = 0,
	PL_EXIT_FOUND = 1,
	PL_EXIT_ERROR = 2,
};

int cmd_scan(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_install_hook(int argc, char **argv);
int cmd_report(int argc, char **argv);
/* Disclosure to owners (issue 8): cmd_disclose.c. */
int cmd_disclose(int argc, char **argv);
/* Re-checking stored secrets (issue 6): cmd_validate.c. */
int cmd_validate(int argc, char **argv);
/* Registries (issue 5): cmd_pypi.c, cmd_npm.c, cmd_mirror.c, cmd_crawl.c,
 * cmd_follow.c, sharing cli_fetch.h. */
int cmd_pypi(int argc, char **argv);
int cmd_npm(int argc, char **argv);
int cmd_mirror(int argc, char **argv);
int cmd_crawl(int argc, char **argv);
int cmd_follow(int argc, char **argv);
/* Scale-out (issue 7): cmd_queue.c, cmd_worker.c (logs: worker_log.c). */
int cmd_queue(int argc, char **argv);
int cmd_worker(int argc, char **argv);

/* ---- validation options of `scan` (cli_validate.c) ---- */
enum {
	CLI_OPT_VALIDATE = 1000, CLI_OPT_VALIDATE_PRIVATE, CLI_OPT_ONLY_VALID, CLI_OPT_PYPI_PROBE,
	CLI_OPT_VALIDATE_JOBS, CLI_OPT_VALIDATE_TIMEOUT, CLI_OPT_VALIDATE_RATE,
	CLI_OPT_VALIDATE_CACHE_TTL,
};
/* Rows for a getopt_long table. */
#define CLI_VALIDATE_LONGOPTS                                                           \
	{"validate", no_argument, NULL, CLI_OPT_VALIDATE},                               \
	{"validate-private", no_argument, NULL, CLI_OPT_VALIDATE_PRIVATE},               \
	{"only-valid", no_argument, NULL, CLI_OPT_ONLY_VALID},                           \
	{"validate-pypi-upload-probe", no_argument, NULL, CLI_OPT_PYPI_PROBE},           \
	{"validate-jobs", required_argument, NULL, CLI_OPT_VALIDATE_JOBS},               \
	{"validate-timeout", required_argument, NULL, CLI_OPT_VALIDATE_TIMEOUT},         \
	{"validate-rate", required_argument, NULL, CLI_OPT_VALIDATE_RATE},               \
	{"validate-cache-ttl", required_argument, NULL, CLI_OPT_VALIDATE_CACHE_TTL}
#define CLI_VALIDATE_USAGE                                                                   \
	"validation (off by default; the README says what it sends and to whom):\n"          \
	"      --validate          ask each secret's own issuer, read-only, whether it works\n" \
	"      --only-valid        report only secrets the issuer accepted (implies --validate)\n" \
	"      --validate-private  also contact hosts on loopback/private/link-local addresses\n" \
	"      --validate-pypi-upload-probe  PyPI: send an upload PyPI must reject (a write\n"  \
	"                          endpoint; without it PyPI tokens are judged offline)\n"     \
	"      --validate-jobs N   checks in parallel (default 8)\n"                          \
	"      --validate-timeout S  seconds per request (default 10)\n"                      \
	"      --validate-rate R   requests per second to each service (default: the rule's,\n" \
	"                          else 10)\n"                                                \
	"      --validate-cache-ttl S  reuse an issuer's answer for S seconds (default 86400;\n" \
	"                          0: no cache file)\n"

struct cli_validate {
	int enabled, only_valid;
	struct pl_validate_options opt;
	struct pl_validator *validator;
	struct pl_validate_sink sink;
};
void cli_validate_defaults(struct cli_validate *v);
/* One CLI_OPT_* option; 0 or an exit code. */
int cli_validate_option(struct cli_validate *v, int c, const char *arg);
/* With --validate: starts the validator and wraps *sink and *ctx; 0 or an exit code. */
int cli_validate_begin(struct cli_validate *v, const struct pl_sink_ops **sink, void **ctx);
/* After the scan: waits for the answers, attaches them to r's findings,
 * records each secret's answer in st (when not NULL: scan --db), applies
 * --only-valid, prints the summary line (unless quiet), stops. */
struct pl_store;
void cli_validate_end(struct cli_validate *v, struct pl_report *r, int quiet,
		      struct pl_store *st);
/* Stops the validator if still running (error paths). */
void cli_validate_release(struct cli_validate *v);

/* "256M", "4G", "1024" into bytes; -1 on a malformed value. */
int cli_parse_size(const char *s, uint64_t *out);
int cli_parse_uint(const char *s, unsigned long long max, unsigned long long *out);
int cli_parse_double(const char *s, double *out);
/* The value of option opt (for the message) in seconds, from min to 1e9;
 * 0, or prints why not and returns PL_EXIT_ERROR. */
int cli_parse_seconds(const char *opt, const char *v, double min, double *out);
/* v is a (*out = 0) or b (*out = 1); 0, or prints why not and returns
 * PL_EXIT_ERROR. */
int cli_parse_choice(const char *opt, const char *v, const char *a, const char *b, int *out);

/* Names in the order given (crawl and queue add: projects from operands
 * and from files). The list owns them. */
struct cli_names {
	char **v;
	size_t n, cap;
};
void cli_names_add(struct cli_names *l, const char *name, size_t len);
/* Adds the names in path ('-': stdin), one per line; blank lines and '#'
 * comments are skipped. 0, or prints why not and returns PL_EXIT_ERROR. */
int cli_names_read(struct cli_names *l, const char *path);
void cli_names_release(struct cli_names *l);
/* Loads built-in rules plus extra files, compiled; prints the error and
 * returns NULL on failure. */
struct pl_ruleset *cli_load_rules(char **extra, int nextra);
/* Prints "pkgleaks: msg" to stderr and returns PL_EXIT_ERROR. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- the findings store from the command line (scan_store.c) ---- */

#define CLI_DEFAULT_DB "pkgleaks.db"

/* Artifacts a scan into a store writes together, when nothing but the scan
 * and its registry planners use the store (store.h write_batch). */
#define CLI_WRITE_BATCH 8

struct cli_store_args {
	const char *db;    /* path or postgresql:// URL; NULL = no store */
	int store_secrets; /* keep raw values, encrypted (PKGLEAKS_KEY) */
	int rescan;        /* match every blob and rewrite every artifact */
	/* the scan writes artifacts without its lock (pl_store_sink_options):
	 * only where nothing else uses the store during the scan */
	int defer_writes;
	unsigned write_batch; /* pl_store_sink_options.write_batch */
};

struct cli_store;
struct pl_scan_options;
struct pl_sink_ops;

/* The value of --db[=PATH]: optarg, else the next argument when it can only
 * be a store (a postgresql:// URL, *.db, *.sqlite, *.sqlite3; *optind_io
 * moves past it), else pkgleaks.db. */
const char *cli_db_value(const char *optarg, int argc, char **argv, int *optind_io);
/* Opens the store (and unlocks it for --store-secrets); prints the error and
 * returns PL_EXIT_ERROR on failure. */
int cli_store_open(const struct cli_store_args *a, const char *ruleset_version,
		   struct cli_store **out);
/* Puts the store in front of the scan's sink: *sink and *ctx become the tee,
 * which forwards to the old ones; turns on input hashing and gives the scan
 * the store's blob key (borrowed from cs). */
void cli_store_wrap(struct cli_store *cs, struct pl_scan_options *opt,
		    const struct pl_sink_ops **sink, void **ctx);
/* Prints the store's summary line (unless quiet); *replayed is the number of
 * occurrences in blobs skipped as already scanned. PL_EXIT_ERROR when any
 * artifact could not be written. */
int cli_store_finish(struct cli_store *cs, int quiet, uint64_t *replayed);
void cli_store_free(struct cli_store *cs);
/* The open store (NULL for NULL), e.g. to record validations in it. */
struct pl_store *cli_store_db(struct cli_store *cs);
/* The same once every artifact the scan collected is written and committed
 * (write_batch), for what adds rows about them (validations). */
struct pl_store *cli_store_db_written(struct cli_store *cs);
/* Its scan sink (NULL for NULL). */
struct pl_store_sink;
struct pl_store_sink *cli_store_sink(struct cli_store *cs);

#endif
