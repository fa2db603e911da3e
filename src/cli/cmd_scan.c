/* `pkgleaks scan`: options, progress line, report and exit code. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_progress.h"
#include "pkgleaks/error.h"
#include "pkgleaks/published.h"
#include "pkgleaks/report.h"
#include "pkgleaks/scan.h"

static const char scan_usage[] =
	"usage: pkgleaks scan [options] PATH...\n"
	"\n"
	"Scans files, directories (recursively; .git is skipped, symlinks inside\n"
	"trees are not followed) and '-' (stdin). Archives are recognised by content\n"
	"and read in memory, nested ones too: tar (gz, bz2, xz, zst), zip, whl, egg,\n"
	"jar, npm .tgz, .deb, .gem, bare .gz/.bz2/.xz/.zst.\n"
	"\n"
	"output:\n"
	"  -f, --format FMT        text (default), json, jsonl or sarif\n"
	"  -o, --output FILE       write the report to FILE instead of stdout\n"
	"      --show-secrets      print secrets in full (default: first 4 chars + …)\n"
	"      --min-confidence C  report only low|medium|high and above (default low)\n"
	"      --color WHEN        auto (default), always or never\n"
	"      --progress, --no-progress  progress line on stderr (default: on a TTY)\n"
	"  -q, --quiet             no summary line\n"
	"\n"
	"what to report:\n"
	"      --rules FILE        add or override rules from a YAML file (repeatable)\n"
	"      --ignore GLOB       skip paths matching GLOB (repeatable; see below)\n"
	"      --no-ignore-files   do not read .pkgleaksignore files\n"
	"      --baseline FILE     report only secrets whose fingerprint is not in FILE\n"
	"      --write-baseline FILE  write the fingerprints found to FILE\n"
	"      --fail-on-error     exit 2 when any file could not be read fully\n"
	"      --as-published      PATH is a project (package.json, pyproject.toml or\n"
	"                          setup.py): scan what `npm pack` lists or the sdist a\n"
	"                          build makes, and say why each file ships\n"
	"\n"
	"findings store (see `pkgleaks report`):\n"
	"      --db[=PATH|URL]     also record what is found in a store: a SQLite file\n"
	"                          (default pkgleaks.db) or a postgresql:// URL; blobs the\n"
	"                          store has scanned under these rules are not matched\n"
	"                          again (their occurrences are recorded from the store,\n"
	"                          and not printed)\n"
	"      --store-secrets     keep raw secret values in the store, encrypted with a\n"
	"                          key from PKGLEAKS_KEY (refused without it)\n"
	"      --rescan            match every blob and rewrite every artifact anyway\n"
	"\n"
	CLI_VALIDATE_USAGE
	"\n"
	"performance and safety limits (per top-level file):\n"
	"  -j, --jobs N            parallel workers (default: number of cores)\n"
	"      --max-depth N       archive nesting depth (default 8)\n"
	"      --max-entry-bytes SIZE   bytes read from one member (default 256M)\n"
	"      --max-archive-bytes SIZE uncompressed bytes per file (default 4G)\n"
	"      --max-ratio R       uncompressed/compressed ratio (default 200)\n"
	"      --max-entries N     members per archive (default 100000)\n"
	"      --max-seconds S     time per file (default 300)\n"
	"\n"
	"Ignore globs (.pkgleaksignore in the current directory and in each directory\n"
	"scanned, one per line, '#' comments): a glob without '/' matches any path\n"
	"component ('*.min.js', 'tests'); with '/' it matches the whole path.\n"
	"A line containing `pkgleaks:allow` is never reported.\n"
	"\n"
	"exit status: 0 nothing found, 1 secrets found, 2 usage or fatal error (or\n"
	"unreadable files with --fail-on-error).\n"
	"\n"
	"examples:\n"
	"  pkgleaks scan dist/\n"
	"  pkgleaks scan --as-published .\n"
	"  pkgleaks scan -f sarif -o pkgleaks.sarif .\n"
	"  pkgleaks scan --write-baseline .pkgleaks-baseline.json . ; \\\n"
	"  pkgleaks scan --baseline .pkgleaks-baseline.json .\n";

enum {
	OPT_SHOW = 256, OPT_MINCONF, OPT_COLOR, OPT_PROGRESS, OPT_NOPROGRESS, OPT_RULES,
	OPT_IGNORE, OPT_NOIGNOREFILES, OPT_BASELINE, OPT_WRITEBASELINE, OPT_FAILONERROR,
	OPT_ASPUBLISHED, OPT_DB, OPT_STORESECRETS, OPT_RESCAN,
	OPT_MAXDEPTH, OPT_MAXENTRY, OPT_MAXARCHIVE, OPT_MAXRATIO, OPT_MAXENTRIES, OPT_MAXSECONDS,
};

static const struct option longopts[] = {
	{"format", required_argument, NULL, 'f'},
	{"output", required_argument, NULL, 'o'},
	{"show-secrets", no_argument, NULL, OPT_SHOW},
	{"min-confidence", required_argument, NULL, OPT_MINCONF},
	{"color", required_argument, NULL, OPT_COLOR},
	{"colour", required_argument, NULL, OPT_COLOR},
	{"progress", no_argument, NULL, OPT_PROGRESS},
	{"no-progress", no_argument, NULL, OPT_NOPROGRESS},
	{"quiet", no_argument, NULL, 'q'},
	{"rules", required_argument, NULL, OPT_RULES},
	{"ignore", required_argument, NULL, OPT_IGNORE},
	{"no-ignore-files", no_argument, NULL, OPT_NOIGNOREFILES},
	{"baseline", required_argument, NULL, OPT_BASELINE},
	{"write-baseline", required_argument, NULL, OPT_WRITEBASELINE},
	{"fail-on-error", no_argument, NULL, OPT_FAILONERROR},
	{"as-published", no_argument, NULL, OPT_ASPUBLISHED},
	{"db", optional_argument, NULL, OPT_DB},
	{"store-secrets", no_argument, NULL, OPT_STORESECRETS},
	{"rescan", no_argument, NULL, OPT_RESCAN},
	{"jobs", required_argument, NULL, 'j'},
	{"max-depth", required_argument, NULL, OPT_MAXDEPTH},
	{"max-entry-bytes", required_argument, NULL, OPT_MAXENTRY},
	{"max-archive-bytes", required_argument, NULL, OPT_MAXARCHIVE},
	{"max-ratio", required_argument, NULL, OPT_MAXRATIO},
	{"max-entries", required_argument, NULL, OPT_MAXENTRIES},
	{"max-seconds", required_argument, NULL, OPT_MAXSECONDS},
	CLI_VALIDATE_LONGOPTS,
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

#define MAX_LIST 256

struct scan_args {
	struct pl_scan_options scan;
	struct pl_report_options report;
	const char *output, *baseline, *write_baseline;
	char *rules[MAX_LIST];
	const char *ignore[MAX_LIST + 1];
	int nrules, nignore, quiet, fail_on_error, progress, color, as_published;
	struct cli_validate validate;
	struct cli_store_args store;
};

static int parse_format(const char *s, enum pl_report_format *out)
{
	static const char *const names[] = {"text", "json", "jsonl", "sarif"};
	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum pl_report_format)i;
			return 0;
		}
	return -1;
}

static int parse_confidence(const char *s, enum pl_confidence *out)
{
	for (int i = PL_CONF_LOW; i <= PL_CONF_HIGH; i++)
		if (strcmp(s, pl_confidence_name((enum pl_confidence)i)) == 0) {
			*out = (enum pl_confidence)i;
			return 0;
		}
	return -1;
}

static int bad_value(const char *opt, const char *v, const char *want)
{
	return cli_fail("invalid value '%s' for %s: expected %s", v, opt, want);
}

/* Parses one limit option; returns 0 or an exit code. */
static int parse_limit(int c, const char *v, struct pl_limits *l)
{
	unsigned long long u;
	switch (c) {
	case OPT_MAXDEPTH:
		if (cli_parse_uint(v, 64, &u))
			return bad_value("--max-depth", v, "a number from 0 to 64");
		l->max_depth = (unsigned)u;
		return 0;
	case OPT_MAXENTRY:
		return cli_parse_size(v, &l->max_entry_bytes) || !l->max_entry_bytes
			       ? bad_value("--max-entry-bytes", v, "a size like 256M")
			       : 0;
	case OPT_MAXARCHIVE:
		return cli_parse_size(v, &l->max_archive_bytes) || !l->max_archive_bytes
			       ? bad_value("--max-archive-bytes", v, "a size like 4G")
			       : 0;
	case OPT_MAXRATIO:
		return cli_parse_double(v, &l->max_ratio) ? bad_value("--max-ratio", v, "a number > 0")
							   : 0;
	case OPT_MAXENTRIES:
		if (cli_parse_uint(v, ~0ull, &u) || !u)
			return bad_value("--max-entries", v, "a positive number");
		l->max_entries = u;
		return 0;
	default:
		return cli_parse_double(v, &l->max_seconds)
			       ? bad_value("--max-seconds", v, "a number of seconds > 0")
			       : 0;
	}
}

static int parse_option(int c, const char *v, struct scan_args *a)
{
	unsigned long long u;
	if (c >= CLI_OPT_VALIDATE)
		return cli_validate_option(&a->validate, c, v);
	switch (c) {
	case 'f':
		return parse_format(v, &a->report.format)
			       ? bad_value("--format", v, "text, json, jsonl or sarif")
			       : 0;
	case 'o':
		a->output = v;
		return 0;
	case 'q':
		a->quiet = 1;
		return 0;
	case 'j':
		if (cli_parse_uint(v, 1024, &u) || !u)
			return bad_value("--jobs", v, "a number from 1 to 1024");
		a->scan.jobs = (unsigned)u;
		return 0;
	case OPT_SHOW:
		a->report.show_secrets = 1;
		return 0;
	case OPT_MINCONF:
		return parse_confidence(v, &a->report.min_confidence)
			       ? bad_value("--min-confidence", v, "low, medium or high")
			       : 0;
	case OPT_COLOR:
		if (strcmp(v, "auto") && strcmp(v, "always") && strcmp(v, "never"))
			return bad_value("--color", v, "auto, always or never");
		a->color = !strcmp(v, "always") ? 1 : !strcmp(v, "never") ? 0 : -1;
		return 0;
	case OPT_PROGRESS:
	case OPT_NOPROGRESS:
		a->progress = c == OPT_PROGRESS;
		return 0;
	case OPT_RULES:
	case OPT_IGNORE:
		if ((c == OPT_RULES ? a->nrules : a->nignore) >= MAX_LIST)
			return cli_fail("too many %s options (%d at most)",
					c == OPT_RULES ? "--rules" : "--ignore", MAX_LIST);
		if (c == OPT_RULES)
			a->rules[a->nrules++] = (char *)v;
		else
			a->ignore[a->nignore++] = v;
		return 0;
	case OPT_NOIGNOREFILES:
		a->scan.read_ignore_files = 0;
		return 0;
	case OPT_BASELINE:
		a->baseline = v;
		return 0;
	case OPT_WRITEBASELINE:
		a->write_baseline = v;
		return 0;
	case OPT_FAILONERROR:
		a->fail_on_error = 1;
		return 0;
	case OPT_ASPUBLISHED:
		a->as_published = 1;
		return 0;
	case OPT_STORESECRETS:
		a->store.store_secrets = 1;
		return 0;
	case OPT_RESCAN:
		a->store.rescan = 1;
		return 0;
	default:
		return parse_limit(c, v, &a->scan.limits);
	}
}

/* ---- progress line ---- */

static void draw_progress(void *ctx)
{
	(void)ctx;
	const struct pl_scan_progress *s = pl_scan_progress_get();
	fprintf(stderr, "\r\033[Kscanning: %llu files, %.1f MB, %llu findings, %llu errors",
		(unsigned long long)s->files, (double)s->bytes / 1e6,
		(unsigned long long)s->findings, (unsigned long long)s->errors);
}

/* ---- the command ---- */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int write_report(struct scan_args *a, struct pl_report *r)
{
	if (a->baseline && pl_report_apply_baseline(r, a->baseline) < 0)
		return cli_fail("%s", pl_error_message());
	if (a->write_baseline && pl_report_write_baseline(r, a->write_baseline) < 0)
		return cli_fail("%s", pl_error_message());
	FILE *out = stdout;
	if (a->output && !(out = fopen(a->output, "w")))
		return cli_fail("cannot write %s: %s", a->output, strerror(errno));
	FILE *summary = a->quiet ? NULL : a->report.format == PL_FORMAT_TEXT ? out : stderr;
	int rc = pl_report_write(r, out, summary);
	if (out != stdout && fclose(out) != 0)
		rc = -1;
	else if (out == stdout && fflush(stdout) != 0)
		rc = -1;
	return rc < 0 ? cli_fail("cannot write the report: %s", pl_error_message()) : 0;
}

/* --as-published: what to scan becomes the project's published files, and
 * findings pass through the sink that says why each file ships. */
struct target {
	const char *const *inputs;
	size_t ninputs;
	const struct pl_sink_ops *sink;
	void *ctx;
	struct pl_published *published;
};

static int open_target(struct scan_args *a, char **inputs, int ninputs, struct pl_report *r,
		       struct target *t)
{
	*t = (struct target){ (const char *const *)inputs, (size_t)ninputs, &pl_report_sink, r,
			      NULL };
	if (!a->as_published)
		return 0;
	if (ninputs != 1)
		return cli_fail("--as-published takes one project directory");
	if (pl_published_open(inputs[0], &t->published) < 0)
		return cli_fail("%s", pl_error_message());
	if (!a->quiet)
		pl_published_describe(t->published, stderr);
	pl_published_set_sink(t->published, &pl_report_sink, r);
	t->inputs = pl_published_inputs(t->published, &t->ninputs);
	t->sink = &pl_published_sink;
	t->ctx = t->published;
	return 0;
}

static int run_scan(struct scan_args *a, char **inputs, int ninputs)
{
	struct pl_ruleset *rs = cli_load_rules(a->rules, a->nrules);
	if (!rs)
		return PL_EXIT_ERROR;
	struct pl_report report;
	a->report.color = a->color >= 0 ? a->color
					 : !a->output && isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	pl_report_init(&report, &a->report);
	report.ruleset_version = pl_ruleset_version(rs);
	struct target t;
	struct cli_store *store = NULL;
	a->store.defer_writes = 1; /* the store is the sink's alone until the scan ends */
	a->store.write_batch = CLI_WRITE_BATCH;
	if (open_target(a, inputs, ninputs, &report, &t) ||
	    (a->store.db && cli_store_open(&a->store, pl_ruleset_version(rs), &store))) {
		pl_published_free(t.published);
		pl_report_release(&report);
		pl_ruleset_free(rs);
		return PL_EXIT_ERROR;
	}
	if (store)
		cli_store_wrap(store, &a->scan, &t.sink, &t.ctx);
	if (cli_validate_begin(&a->validate, &t.sink, &t.ctx)) {
		cli_store_free(store);
		pl_published_free(t.published);
		pl_report_release(&report);
		pl_ruleset_free(rs);
		return PL_EXIT_ERROR;
	}
	a->scan.ignore = a->ignore;
	struct cli_progress prog;
	int show_progress = a->progress >= 0 ? a->progress : isatty(STDERR_FILENO);
	show_progress = show_progress && cli_progress_start(&prog, draw_progress, NULL);
	double t0 = now();
	int rc = pl_scan_run(rs, &a->scan, t.inputs, t.ninputs, t.sink, t.ctx);
	report.seconds = now() - t0;
	if (show_progress)
		cli_progress_stop(&prog);
	if (rc >= 0)
		cli_validate_end(&a->validate, &report, a->quiet, cli_store_db_written(store));
	cli_validate_release(&a->validate);
	int exit_code;
	uint64_t replayed = 0;
	if (rc < 0)
		exit_code = cli_fail("%s", pl_error_message());
	else if ((exit_code = write_report(a, &report)) == 0 &&
		 (!store || (exit_code = cli_store_finish(store, a->quiet, &replayed)) == 0))
		exit_code = a->fail_on_error && pl_report_error_count(&report) ? PL_EXIT_ERROR
			    : report.nfindings || replayed                        ? PL_EXIT_FOUND
										  : PL_EXIT_CLEAN;
	cli_store_free(store);
	pl_report_release(&report);
	pl_published_free(t.published);
	pl_ruleset_free(rs);
	return exit_code;
}

int cmd_scan(int argc, char **argv)
{
	struct scan_args a = {.color = -1, .progress = -1};
	pl_scan_options_default(&a.scan);
	cli_validate_defaults(&a.validate);
	a.report.format = PL_FORMAT_TEXT;
	a.report.min_confidence = PL_CONF_LOW;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:o:qj:h", longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(scan_usage, stdout);
			return PL_EXIT_CLEAN;
		}
		if (c == '?') {
			fputs("try `pkgleaks scan --help`\n", stderr);
			return PL_EXIT_ERROR;
		}
		if (c == OPT_DB) {
			a.store.db = cli_db_value(optarg, argc, argv, &optind);
			continue;
		}
		int rc = parse_option(c, optarg, &a);
		if (rc)
			return rc;
	}
	if (optind >= argc)
		return cli_fail("scan: no PATH given (try `pkgleaks scan --help`)");
	if ((a.store.store_secrets || a.store.rescan) && !a.store.db)
		return cli_fail("--store-secrets and --rescan go with --db");
	if (a.store.db) /* artifacts are hashed, blobs named: while the rules load */
		pl_scan_preload_crypto();
	int rc = run_scan(&a, argv + optind, argc - optind);
	pl_scan_preload_wait();
	return rc;
}
