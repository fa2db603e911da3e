/* The registry commands' common part (cli_fetch.h). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli_fetch.h"
#include "cli/cli_progress.h"
#include "pkgleaks/error.h"
#include "pkgleaks/report.h"
#include "pkgleaks/store.h"
#include "util/escape.h"

void cli_fetch_defaults(struct cli_fetch_args *a)
{
	memset(a, 0, sizeof(*a));
	pl_scan_options_default(&a->scan);
	a->scan.read_ignore_files = 0;
	pl_source_options_default(&a->src);
	cli_validate_defaults(&a->validate);
	a->report.format = PL_FORMAT_TEXT;
	a->report.min_confidence = PL_CONF_LOW;
	a->color = a->progress = -1;
}

static int bad(const char *opt, const char *v, const char *want)
{
	return cli_fail("invalid value '%s' for %s: expected %s", v, opt, want);
}

static int parse_enum(const char *v, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(v, names[i]) == 0)
			return i;
	return -1;
}

static int output_option(struct cli_fetch_args *a, int c, const char *v)
{
	static const char *const formats[] = {"text", "json", "jsonl", "sarif"};
	static const char *const conf[] = {"low", "medium", "high"};
	static const char *const color[] = {"never", "always", "auto"};
	int i;
	switch (c) {
	case CLI_F_FORMAT:
		if ((i = parse_enum(v, formats, 4)) < 0)
			return bad("--format", v, "text, json, jsonl or sarif");
		a->report.format = (enum pl_report_format)i;
		return 0;
	case CLI_F_OUTPUT:
		a->output = v;
		return 0;
	case CLI_F_SHOW:
		a->report.show_secrets = 1;
		return 0;
	case CLI_F_MINCONF:
		if ((i = parse_enum(v, conf, 3)) < 0)
			return bad("--min-confidence", v, "low, medium or high");
		a->report.min_confidence = (enum pl_confidence)(PL_CONF_LOW + i);
		return 0;
	case CLI_F_COLOR:
		if ((i = parse_enum(v, color, 3)) < 0)
			return bad("--color", v, "auto, always or never");
		a->color = i == 2 ? -1 : i;
		return 0;
	case CLI_F_PROGRESS:
	case CLI_F_NOPROGRESS:
		a->progress = c == CLI_F_PROGRESS;
		return 0;
	case CLI_F_QUIET:
		a->quiet = 1;
		return 0;
	default:
		return -1;
	}
}

static int scan_option(struct cli_fetch_args *a, int c, const char *v)
{
	unsigned long long u;
	switch (c) {
	case CLI_F_RULES:
		if (a->nrules >= CLI_FETCH_MAX_LIST)
			return cli_fail("too many --rules options");
		a->rules[a->nrules++] = (char *)v;
		return 0;
	case CLI_F_IGNORE:
		if (a->nignore >= CLI_FETCH_MAX_LIST)
			return cli_fail("too many --ignore options");
		a->ignore[a->nignore++] = v;
		return 0;
	case CLI_F_STORESECRETS:
		a->store.store_secrets = 1;
		return 0;
	case CLI_F_RESCAN:
		a->store.rescan = a->src.rescan = 1;
		return 0;
	case CLI_F_JOBS:
		if (cli_parse_uint(v, 1024, &u) || !u)
			return bad("--jobs", v, "a number from 1 to 1024");
		a->scan.jobs = (unsigned)u;
		return 0;
	case CLI_F_FAILONERROR:
		a->fail_on_error = 1;
		return 0;
	default:
		return -1;
	}
}

static int seconds(const char *opt, const char *v, double *out)
{
	return cli_parse_double(v, out) || *out < 0 ? bad(opt, v, "a number of seconds") : 0;
}

static int net_option(struct cli_fetch_args *a, int c, const char *v)
{
	static const char *const apis[] = {"auto", "json", "simple"};
	unsigned long long u;
	int i;
	struct pl_source_options *s = &a->src;
	switch (c) {
	case CLI_F_INDEX:
		s->index_url = v;
		return 0;
	case CLI_F_REGISTRY:
		a->registry = v;
		return 0;
	case CLI_F_API:
		if ((i = parse_enum(v, apis, 3)) < 0)
			return bad("--api", v, "auto, json or simple");
		s->api = (enum pl_pypi_api)i;
		return 0;
	case CLI_F_CONCURRENCY:
		if (cli_parse_uint(v, 64, &u) || !u)
			return bad("--concurrency", v, "a number from 1 to 64");
		s->concurrency = (unsigned)u;
		return 0;
	case CLI_F_RETRIES:
		if (cli_parse_uint(v, 100, &u))
			return bad("--retries", v, "a number from 0 to 100");
		s->retries = (unsigned)u;
		return 0;
	case CLI_F_BACKOFF:
		return seconds("--backoff", v, &s->backoff);
	case CLI_F_TIMEOUT:
		return seconds("--timeout", v, &s->timeout);
	case CLI_F_RETRYAFTER:
		return seconds("--max-retry-after", v, &s->max_retry_after);
	case CLI_F_MAXDOWNLOAD:
		return cli_parse_size(v, &s->max_file_bytes) || !s->max_file_bytes
			       ? bad("--max-download", v, "a size like 500M")
			       : 0;
	case CLI_F_KEEP:
		s->keep_dir = v;
		return 0;
	case CLI_F_ALLVERSIONS:
	case CLI_F_LATEST:
		s->versions = c == CLI_F_ALLVERSIONS ? PL_VERSIONS_ALL : PL_VERSIONS_LATEST;
		return 0;
	case CLI_F_TMPDIR:
		s->tmp_dir = v;
		return 0;
	default:
		return -1;
	}
}

int cli_fetch_option(struct cli_fetch_args *a, int c, const char *arg, int argc, char **argv,
		     int *optind_io)
{
	if (c >= CLI_OPT_VALIDATE && c < CLI_F_FORMAT)
		return cli_validate_option(&a->validate, c, arg);
	if (c == CLI_F_DB) {
		a->store.db = cli_db_value(arg, argc, argv, optind_io);
		return 0;
	}
	int rc = output_option(a, c, arg);
	if (rc < 0)
		rc = scan_option(a, c, arg);
	if (rc < 0)
		rc = net_option(a, c, arg);
	return rc < 0 ? cli_fail("unknown option") : rc;
}

/* Lines on stderr clear the progress bar first when it is a terminal. */
static int stderr_tty;

static const char *clear(void)
{
	return stderr_tty ? "\r\033[K" : "";
}

/* ---- a sink that only counts (crawl, follow: findings go to the store) ---- */

struct counter {
	_Atomic uint64_t findings, errors;
	int quiet;
};

static void count_finding(void *ctx, struct pl_finding *f)
{
	struct counter *c = ctx;
	atomic_fetch_add(&c->findings, 1);
	pl_finding_free(f);
}

static void count_error(void *ctx, const char *source, const char *path, const char *reason)
{
	struct counter *c = ctx;
	atomic_fetch_add(&c->errors, 1);
	if (c->quiet)
		return;
	char *src = pl_escape(source, strlen(source)), *why = pl_escape(reason, strlen(reason));
	char *in = pl_escape(path ? path : "", path ? strlen(path) : 0);
	flockfile(stderr);
	fprintf(stderr, "%serror: %s%s%s: %s\n", clear(), src, in[0] ? "!/" : "", in, why);
	funlockfile(stderr);
	free(src);
	free(in);
	free(why);
}

static const struct pl_sink_ops counter_ops = {.finding = count_finding, .error = count_error};

/* ---- per-project lines ---- */

/* A project that could not be read, for the report. */
struct project_error {
	char *source, *reason;
};

struct run_state {
	struct cli_fetch_args *a;
	struct pl_fetch *fetch;
	struct cli_fetch_env env;
	pthread_mutex_t lock;
	struct project_error *errors;
	size_t nerrors, caperrors;
	double started;
};

static char *dup_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	if (!d) {
		fputs("pkgleaks: out of memory\n", stderr);
		abort();
	}
	return memcpy(d, s, n);
}

static void keep_error(struct run_state *rs, const struct pl_project_result *r)
{
	char source[512];
	snprintf(source, sizeof(source), "%s:%s", r->ecosystem, r->project);
	pthread_mutex_lock(&rs->lock);
	if (rs->nerrors == rs->caperrors) {
		rs->caperrors = rs->caperrors ? 2 * rs->caperrors : 8;
		rs->errors = realloc(rs->errors, rs->caperrors * sizeof(*rs->errors));
		if (!rs->errors) {
			fputs("pkgleaks: out of memory\n", stderr);
			abort();
		}
	}
	rs->errors[rs->nerrors++] = (struct project_error){dup_str(source), dup_str(r->error)};
	pthread_mutex_unlock(&rs->lock);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_project(void *ctx, const struct pl_project_result *r)
{
	struct run_state *rs = ctx;
	if (r->error)
		keep_error(rs, r);
	/* The report lists the errors of pypi and npm; crawl and follow say them here. */
	if ((rs->a->quiet || rs->a->collect) && (r->error || rs->a->quiet))
		return;
	char *name = pl_escape(r->project, strlen(r->project));
	flockfile(stderr);
	if (r->error) {
		char *why = pl_escape(r->error, strlen(r->error));
		fprintf(stderr, "%s%s %s: error: %s\n", clear(), r->ecosystem, name, why);
		free(why);
	} else {
		char *v = pl_escape(r->version, strlen(r->version));
		fprintf(stderr, "%s%s %s%s%s: %llu file%s scanned", clear(), r->ecosystem, name,
			v[0] ? " " : "", v, (unsigned long long)r->files, r->files == 1 ? "" : "s");
		if (r->failed)
			fprintf(stderr, ", %llu failed", (unsigned long long)r->failed);
		if (r->skipped)
			fprintf(stderr, ", %llu already in the store",
				(unsigned long long)r->skipped);
		fputc('\n', stderr);
		free(v);
	}
	funlockfile(stderr);
	free(name);
}

/* ---- the progress bar ---- */

static void eta_text(double secs, char *out, size_t n)
{
	if (secs < 0 || secs > 359999)
		snprintf(out, n, "--:--");
	else
		snprintf(out, n, "%d:%02d:%02d", (int)secs / 3600, (int)secs / 60 % 60,
			 (int)secs % 60);
}

/* What the bar shows, from the fetch or (mirror) from the scan. */
static void bar_numbers(const struct run_state *rs, struct pl_fetch_progress *p)
{
	const struct pl_scan_progress *s = pl_scan_progress_get();
	if (rs->fetch) {
		pl_fetch_progress(rs->fetch, p);
		return;
	}
	*p = (struct pl_fetch_progress){.files = rs->env.total_files, .files_done = s->files,
					.bytes_expected = rs->env.total_bytes};
	p->bytes_done = p->bytes_expected_done = 0;
}

/* Done so far, 0 to 1: by projects (all known up front) when fetching,
 * by files (listed up front) for a mirror. */
static double done_fraction(const struct run_state *rs, const struct pl_fetch_progress *p)
{
	if (rs->fetch)
		return p->projects ? (double)p->projects_done / (double)p->projects : 0;
	return p->files ? (double)p->files_done / (double)p->files : 0;
}

static void draw(void *ctx)
{
	struct run_state *rs = ctx;
	struct pl_fetch_progress p;
	bar_numbers(rs, &p);
	const struct pl_scan_progress *s = pl_scan_progress_get();
	double el = now() - rs->started;
	uint64_t bytes = rs->fetch ? p.bytes_done : s->bytes;
	double rate = el > 0 ? (double)bytes / el : 0;
	double frac = done_fraction(rs, &p);
	double left = frac > 0 ? el * (1 - frac) / frac : -1;
	char bar[24], eta[16];
	int fill = (int)(frac * 20);
	for (int i = 0; i < 20; i++)
		bar[i] = i < fill ? '=' : i == fill ? '>' : ' ';
	bar[20] = 0;
	eta_text(left, eta, sizeof(eta));
	flockfile(stderr);
	fprintf(stderr, "\r\033[K[%s] ", bar);
	if (rs->fetch)
		fprintf(stderr, "%llu/%llu projects, ", (unsigned long long)p.projects_done,
			(unsigned long long)p.projects);
	fprintf(stderr, "%llu/%llu files", (unsigned long long)p.files_done,
		(unsigned long long)p.files);
	if (p.files_failed || p.files_skipped)
		fprintf(stderr, " (%llu failed, %llu skipped)", (unsigned long long)p.files_failed,
			(unsigned long long)p.files_skipped);
	fprintf(stderr, ", %.1f MB, %llu findings, %.1f MB/s, ETA %s", (double)bytes / 1e6,
		(unsigned long long)s->findings, rate / 1e6, eta);
	funlockfile(stderr);
}

/* ---- signals: the first stops taking work, the second ends at once ---- */

static struct pl_fetch *volatile signal_fetch;
static volatile sig_atomic_t signals_seen;

static void on_signal(int sig)
{
	if (signals_seen++ || !signal_fetch) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	pl_fetch_stop(signal_fetch);
	static const char msg[] = "\npkgleaks: stopping: finishing the files in flight "
				  "(again to quit at once)\n";
	ssize_t w = write(STDERR_FILENO, msg, sizeof(msg) - 1);
	(void)w;
}

static void signals_on(struct pl_fetch *f)
{
	signal_fetch = f;
	struct sigaction sa = {0};
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static void signals_off(void)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal_fetch = NULL;
}

/* ---- the run ---- */

struct sinks {
	struct pl_report report;
	struct counter counter;
	struct cli_store *store;
	const struct pl_sink_ops *sink;
	void *ctx;
};

static int sinks_open(struct cli_fetch_args *a, const struct pl_ruleset *rs, struct sinks *s)
{
	a->report.color = a->color >= 0
				  ? a->color
				  : !a->output && isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	pl_report_init(&s->report, &a->report);
	s->report.ruleset_version = pl_ruleset_version(rs);
	s->counter.quiet = a->quiet;
	s->sink = a->collect ? &pl_report_sink : &counter_ops;
	s->ctx = a->collect ? (void *)&s->report : (void *)&s->counter;
	if (a->store_required && !a->store.db)
		a->store.db = CLI_DEFAULT_DB;
	/* The fetch borrows the store through its sink (pl_fetch_set_store), and
	 * mirror uses it before the scan only: workers write outside the scan's
	 * lock. */
	a->store.defer_writes = 1;
	a->store.write_batch = CLI_WRITE_BATCH;
	if (a->store.db && cli_store_open(&a->store, pl_ruleset_version(rs), &s->store))
		return PL_EXIT_ERROR;
	if (s->store)
		cli_store_wrap(s->store, &a->scan, &s->sink, &s->ctx);
	a->scan.hash_inputs = 1;
	if (a->collect && cli_validate_begin(&a->validate, &s->sink, &s->ctx))
		return PL_EXIT_ERROR;
	return 0;
}

static int write_report(struct cli_fetch_args *a, struct pl_report *r)
{
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

/* The exit code once the scan ran. */
static int finish(struct cli_fetch_args *a, struct run_state *st, struct sinks *s)
{
	uint64_t replayed = 0;
	int code = 0;
	if (a->collect) {
		cli_validate_end(&a->validate, &s->report, a->quiet,
				 cli_store_db_written(s->store));
		for (size_t i = 0; i < st->nerrors; i++)
			pl_report_sink.error(&s->report, st->errors[i].source, "",
					     st->errors[i].reason);
		code = write_report(a, &s->report);
	} else if (!a->quiet) {
		fprintf(stderr, "%llu findings, %llu errors in %.1f s\n",
			(unsigned long long)atomic_load(&s->counter.findings),
			(unsigned long long)atomic_load(&s->counter.errors), now() - st->started);
	}
	if (!code && s->store)
		code = cli_store_finish(s->store, a->quiet, &replayed);
	if (code)
		return code;
	size_t errors = a->collect ? pl_report_error_count(&s->report)
				   : (size_t)atomic_load(&s->counter.errors);
	if (st->nerrors && a->collect)
		return PL_EXIT_ERROR; /* something asked for could not be read */
	if (a->fail_on_error && (errors || st->nerrors))
		return PL_EXIT_ERROR;
	if (!a->collect)
		return PL_EXIT_CLEAN;
	return s->report.nfindings || replayed ? PL_EXIT_FOUND : PL_EXIT_CLEAN;
}

static int run_with(struct cli_fetch_args *a, struct run_state *st, struct sinks *s,
		    cli_fetch_fn fn, void *ctx)
{
	st->env.sink = s->sink;
	st->env.sink_ctx = s->ctx;
	if (st->fetch) {
		pl_fetch_set_store(st->fetch, cli_store_db(s->store), st->env.ruleset_version,
				   cli_store_sink(s->store));
		pl_fetch_on_project(st->fetch, on_project, st);
		signals_on(st->fetch);
	}
	st->env.store = cli_store_db(s->store);
	a->scan.ignore = a->ignore;
	st->env.opt = &a->scan;
	struct cli_progress pg;
	int show = a->progress >= 0 ? a->progress : isatty(STDERR_FILENO);
	st->started = now();
	show = show && cli_progress_start(&pg, draw, st);
	int rc = fn(ctx, &st->env);
	if (show)
		cli_progress_stop(&pg);
	signals_off();
	s->report.seconds = now() - st->started;
	if (rc < 0)
		return cli_fail("%s", pl_error_message());
	return finish(a, st, s);
}

int cli_fetch_run(struct cli_fetch_args *a, int network, cli_fetch_fn fn, void *ctx)
{
	if (network)
		pl_source_preload(); /* while the rules load */
	pl_scan_preload_crypto(); /* artifacts are hashed */
	struct pl_ruleset *rs = cli_load_rules(a->rules, a->nrules);
	if (!rs) {
		pl_source_preload_wait();
		pl_scan_preload_wait();
		return PL_EXIT_ERROR;
	}
	struct sinks s = {0};
	struct run_state st = {.a = a};
	pthread_mutex_init(&st.lock, NULL);
	stderr_tty = isatty(STDERR_FILENO);
	st.env.rs = rs;
	st.env.ruleset_version = pl_ruleset_version(rs);
	int code = sinks_open(a, rs, &s);
	if (!code && network && pl_fetch_new(&a->src, &st.fetch) < 0)
		code = cli_fail("%s", pl_error_message());
	st.env.fetch = st.fetch;
	if (!code)
		code = run_with(a, &st, &s, fn, ctx);
	cli_validate_release(&a->validate);
	pl_fetch_free(st.fetch);
	cli_store_free(s.store);
	pl_report_release(&s.report);
	pl_ruleset_free(rs);
	for (size_t i = 0; i < st.nerrors; i++) {
		free(st.errors[i].source);
		free(st.errors[i].reason);
	}
	free(st.errors);
	pthread_mutex_destroy(&st.lock);
	pl_source_preload_wait();
	pl_scan_preload_wait();
	return code;
}

int cli_fetch_parse(struct cli_fetch_args *a, int argc, char **argv,
		    const struct option *longopts, const char *usage,
		    int (*own)(void *ctx, int c, const char *arg), void *ctx)
{
	static const struct {
		char c;
		int code;
	} shorts[] = {
		{'f', CLI_F_FORMAT}, {'o', CLI_F_OUTPUT}, {'q', CLI_F_QUIET}, {'j', CLI_F_JOBS}};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:o:qj:h", longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			return -PL_EXIT_CLEAN - 1;
		}
		if (c == '?') {
			fprintf(stderr, "try `pkgleaks %s --help`\n", argv[0]);
			return -PL_EXIT_ERROR - 1;
		}
		for (size_t i = 0; i < sizeof(shorts) / sizeof(shorts[0]); i++)
			if (c == shorts[i].c)
				c = shorts[i].code;
		int rc = c >= CLI_OWN_OPTS && own
				 ? own(ctx, c, optarg)
				 : cli_fetch_option(a, c, optarg, argc, argv, &optind);
		if (rc)
			return -rc - 1;
	}
	return optind;
}

/* ---- pypi and npm: packages by name ---- */

struct names {
	enum pl_ecosystem eco;
	char **v;
	int n;
};

static int run_names(void *ctx, struct cli_fetch_env *e)
{
	struct names *n = ctx;
	return pl_fetch_run_names(e->fetch, n->eco, (const char *const *)n->v, (size_t)n->n,
				  e->rs, e->opt, e->sink, e->sink_ctx);
}

int cli_fetch_names(int argc, char **argv, enum pl_ecosystem eco, const char *usage)
{
	static const struct option longopts[] = {
		CLI_FETCH_COMMON_LONGOPTS,
		CLI_FETCH_NET_LONGOPTS,
		CLI_VALIDATE_LONGOPTS,
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *cmd = pl_ecosystem_name(eco);
	struct cli_fetch_args a;
	cli_fetch_defaults(&a);
	a.collect = 1;
	int first = cli_fetch_parse(&a, argc, argv, longopts, usage, NULL, NULL);
	if (first < 0)
		return -first - 1;
	if (first >= argc)
		return cli_fail("%s: no %s named (try `pkgleaks %s --help`)", cmd,
				eco == PL_ECO_NPM ? "package" : "project", cmd);
	char *registry = NULL;
	if (eco == PL_ECO_NPM && pl_npm_registry_find(a.registry, &registry) < 0)
		return cli_fail("%s", pl_error_message());
	a.src.registry_url = registry;
	struct names n = {eco, argv + first, argc - first};
	int code = cli_fetch_run(&a, 1, run_names, &n);
	free(registry);
	return code;
}
