/* `pkgleaks queue add|status|failed|retry`: the work queue that workers
 * drain (pkgleaks worker), kept in a PostgreSQL store. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli_fetch.h"
#include "pkgleaks/error.h"
#include "pkgleaks/work.h"

static const char usage[] =
	"usage: pkgleaks queue COMMAND --db postgresql://... [options]\n"
	"\n"
	"The work queue in a PostgreSQL store: one item per artifact, drained by any\n"
	"number of `pkgleaks worker` processes.\n"
	"\n"
	"commands:\n"
	"  add (--pypi-all | --projects FILE | --mirror DIR | --follow)\n"
	"                   queue artifacts (see `pkgleaks queue add --help`)\n"
	"  status           queued, leased, done, failed; rate per minute, ETA; workers\n"
	"  failed           the items parked after --max-attempts, with their errors\n"
	"  retry [ID...]    queue failed items again (all of them without IDs)\n"
	"\n"
	"options of status, failed and retry:\n"
	"      --db URL            the store\n"
	"  -f, --format FMT        text (default) or json\n"
	"      --window S          status: the rate is over the last S seconds (600)\n"
	"      --limit N           failed: at most N items (default all)\n";

static const char add_usage[] =
	"usage: pkgleaks queue add --db postgresql://... WHAT [options]\n"
	"\n"
	"Fills the work queue: one item per artifact (package file), unique (an item\n"
	"already queued, in any state, is left as it is), with a priority. Projects are\n"
	"read through the index as `pkgleaks crawl` reads them, through the store's\n"
	"\"work\" project queue: each run reads every project it names (new releases\n"
	"become new items); --resume finishes an interrupted run. Files the store\n"
	"already holds under these rules are not queued (unless --rescan).\n"
	"\n"
	"what:\n"
	"      --pypi-all          every project the PyPI index lists (PEP 691 /simple/)\n"
	"      --projects FILE     project names, one per line ('#' comments; '-' = stdin)\n"
	"      --mirror DIR        every package file of a local mirror (workers open the\n"
	"                          paths: mount the mirror at the same path everywhere)\n"
	"      --follow            new uploads, polled as `pkgleaks follow` does (it shares\n"
	"                          follow's position in the store); with --once, one poll\n"
	"      --resume            the projects an interrupted --pypi-all or --projects\n"
	"                          had not listed yet (each of those reads every project)\n"
	"\n"
	"      --priority N        higher is claimed first (default 0)\n"
	"      --npm               --projects are npm packages (the registry as for npm)\n"
	"      --index-url URL     PyPI-compatible index (default " PL_PYPI_DEFAULT_URL ")\n"
	"      --registry URL      npm registry\n"
	"      --api API           auto, json or simple (PyPI)\n"
	"      --all-versions      every release (default)\n"
	"      --latest            each project's newest release only\n"
	"      --retry-errors      projects whose index could not be read before, again\n"
	"      --interval S        --follow: seconds between polls (60)\n"
	"      --once              --follow: one poll\n"
	"      --rescan            queue files the store already holds, and items done or\n"
	"                          failed before, again (after a rules update)\n"
	"  -q, --quiet             no summary line\n"
	"\n" CLI_FETCH_NET_USAGE
	"\n"
	"examples:\n"
	"  pkgleaks queue add --db postgresql://scanner@db/study --pypi-all\n"
	"  pkgleaks queue add --db postgresql://scanner@db/study --mirror /srv/pypi\n";

/* ---- queue add ---- */

enum {
	OPT_PYPIALL = CLI_OWN_OPTS, OPT_PROJECTS, OPT_MIRROR, OPT_FOLLOW, OPT_PRIORITY, OPT_NPM,
	OPT_RETRYERR, OPT_INTERVAL, OPT_ONCE, OPT_RESUME,
};

static const struct option add_longopts[] = {
	{"db", required_argument, NULL, CLI_F_DB},
	{"quiet", no_argument, NULL, CLI_F_QUIET},
	{"rescan", no_argument, NULL, CLI_F_RESCAN},
	CLI_FETCH_NET_LONGOPTS,
	{"pypi-all", no_argument, NULL, OPT_PYPIALL},
	{"projects", required_argument, NULL, OPT_PROJECTS},
	{"mirror", required_argument, NULL, OPT_MIRROR},
	{"follow", no_argument, NULL, OPT_FOLLOW},
	{"resume", no_argument, NULL, OPT_RESUME},
	{"priority", required_argument, NULL, OPT_PRIORITY},
	{"npm", no_argument, NULL, OPT_NPM},
	{"retry-errors", no_argument, NULL, OPT_RETRYERR},
	{"interval", required_argument, NULL, OPT_INTERVAL},
	{"once", no_argument, NULL, OPT_ONCE},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

struct add_cmd {
	int what; /* OPT_PYPIALL, OPT_PROJECTS, OPT_MIRROR, OPT_FOLLOW; 0 none */
	int nwhat;
	const char *arg; /* FILE or DIR */
	struct pl_crawl_options crawl;
	struct pl_follow_options follow;
	struct pl_work_lister_ctx lister;
	struct cli_names names;
};

static int add_own(void *ctx, int c, const char *v)
{
	struct add_cmd *ac = ctx;
	long long prio;
	char *end;
	switch (c) {
	case OPT_PYPIALL:
	case OPT_PROJECTS:
	case OPT_MIRROR:
	case OPT_FOLLOW:
	case OPT_RESUME:
		ac->what = c;
		ac->nwhat++;
		ac->arg = v;
		return 0;
	case OPT_PRIORITY:
		errno = 0;
		prio = strtoll(v, &end, 10);
		if (errno || end == v || *end || prio < -1000000 || prio > 1000000)
			return cli_fail("invalid value '%s' for --priority: expected an integer", v);
		ac->lister.priority = (int)prio;
		return 0;
	case OPT_NPM:
		ac->crawl.eco = PL_ECO_NPM;
		return 0;
	case OPT_RETRYERR:
		ac->crawl.retry_errors = 1;
		return 0;
	case OPT_INTERVAL:
		return cli_parse_seconds("--interval", v, 0.1, &ac->follow.interval);
	default:
		ac->follow.once = 1;
		return 0;
	}
}

static int add_run(void *ctx, struct cli_fetch_env *e)
{
	struct add_cmd *ac = ctx;
	pl_fetch_set_lister(e->fetch, pl_work_lister, &ac->lister);
	if (ac->what == OPT_FOLLOW)
		return pl_fetch_run_follow(e->fetch, &ac->follow, e->rs, e->opt, e->sink, e->sink_ctx);
	return pl_fetch_run_crawl(e->fetch, &ac->crawl, e->rs, e->opt, e->sink, e->sink_ctx);
}

static void add_summary(const struct add_cmd *ac, int quiet)
{
	if (quiet)
		return;
	fprintf(stderr, "queue: %llu file%s listed, %llu new item%s queued\n",
		(unsigned long long)ac->lister.listed, ac->lister.listed == 1 ? "" : "s",
		(unsigned long long)ac->lister.added, ac->lister.added == 1 ? "" : "s");
}

static int add_mirror(struct cli_fetch_args *a, struct add_cmd *ac)
{
	struct pl_store *st;
	if (pl_store_open(a->store.db, PL_STORE_CREATE, &st) < 0)
		return cli_fail("%s", pl_error_message());
	int rc = pl_work_add_mirror(st, ac->arg, ac->lister.priority, a->store.rescan,
				    &ac->lister.listed, &ac->lister.added);
	pl_store_free(st);
	if (rc < 0)
		return cli_fail("%s", pl_error_message());
	add_summary(ac, a->quiet);
	return PL_EXIT_CLEAN;
}

static int add_registry(struct cli_fetch_args *a, struct add_cmd *ac)
{
	char *registry = NULL;
	int code = 0;
	if (ac->what == OPT_PROJECTS && (code = cli_names_read(&ac->names, ac->arg)) != 0)
		return code;
	if (ac->crawl.eco == PL_ECO_NPM && pl_npm_registry_find(a->registry, &registry) < 0)
		return cli_fail("%s", pl_error_message());
	a->src.registry_url = registry;
	ac->crawl.names = (const char *const *)ac->names.v;
	ac->crawl.nnames = ac->names.n;
	ac->crawl.all = ac->what == OPT_PYPIALL;
	ac->crawl.queue = "work";
	ac->crawl.requeue = 1; /* each run lists the projects' files as they are now */
	ac->lister.requeue = a->store.rescan;
	int quiet = a->quiet;
	a->quiet = 1; /* the per-project lines would say "scanned" */
	code = cli_fetch_run(a, 1, add_run, ac);
	if (code == PL_EXIT_CLEAN)
		add_summary(ac, quiet);
	free(registry);
	return code;
}

static int cmd_queue_add(int argc, char **argv)
{
	struct cli_fetch_args a;
	struct add_cmd ac = {.follow = {.interval = 60, .since = -1}};
	cli_fetch_defaults(&a);
	a.src.versions = PL_VERSIONS_ALL;
	a.progress = 0;
	int first = cli_fetch_parse(&a, argc, argv, add_longopts, add_usage, add_own, &ac);
	if (first < 0)
		return -first - 1;
	int code = 0;
	if (first < argc)
		code = cli_fail("queue add takes no operands (try `pkgleaks queue add --help`)");
	else if (ac.nwhat != 1)
		code = cli_fail("queue add: give one of --pypi-all, --projects, --mirror, --follow,"
				" --resume");
	else if (!a.store.db || !pl_store_is_postgres_url(a.store.db))
		code = cli_fail("queue add: give the queue's store with --db postgresql://...");
	else
		code = ac.what == OPT_MIRROR ? add_mirror(&a, &ac) : add_registry(&a, &ac);
	cli_names_release(&ac.names);
	return code;
}

/* ---- status, failed, retry ---- */

struct read_cmd {
	const char *db;
	int json, all;
	double window;
	unsigned long long limit;
};

static int read_options(struct read_cmd *rc, int argc, char **argv, const char *what)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},   {"format", required_argument, NULL, 'f'},
		{"window", required_argument, NULL, 'w'}, {"limit", required_argument, NULL, 'l'},
		{"all", no_argument, NULL, 'a'},        {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		int bad = 0;
		switch (c) {
		case 'h':
			fputs(usage, stdout);
			return -PL_EXIT_CLEAN - 1;
		case 'd':
			rc->db = optarg;
			break;
		case 'f':
			bad = cli_parse_choice("--format", optarg, "text", "json", &rc->json);
			break;
		case 'w':
			bad = cli_parse_seconds("--window", optarg, 1, &rc->window);
			break;
		case 'l':
			if (cli_parse_uint(optarg, 1u << 30, &rc->limit))
				bad = cli_fail("invalid value '%s' for --limit: expected a count", optarg);
			break;
		case 'a':
			rc->all = 1;
			break;
		default:
			bad = cli_fail("queue %s: bad option (try `pkgleaks queue --help`)", what);
		}
		if (bad)
			return -bad - 1;
	}
	if (!rc->db || !pl_store_is_postgres_url(rc->db))
		return -cli_fail("queue %s: give the queue's store with --db postgresql://...",
				 what) - 1;
	return optind;
}

static int open_store(const char *db, struct pl_store **st)
{
	return pl_store_open(db, PL_STORE_EXISTING, st) < 0 ? cli_fail("%s", pl_error_message())
							      : 0;
}

static void print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(1) | JSON_ENSURE_ASCII);
	if (s)
		printf("%s\n", s);
	free(s);
	json_decref(j);
}

static double rate_per_minute(const struct pl_work_status *s)
{
	return s->window > 0 ? (double)s->recent * 60.0 / s->window : 0;
}

/* Seconds until what is queued and leased is done at the current rate; -1. */
static double eta_seconds(const struct pl_work_status *s)
{
	double r = rate_per_minute(s);
	return r > 0 ? (double)(s->queued + s->leased) * 60.0 / r : -1;
}

static json_t *worker_json(const struct pl_worker_info *w, int64_t now, double window)
{
	return json_pack("{s:s, s:s, s:I, s:i, s:s, s:I, s:I, s:I, s:I, s:f}", "id", w->id, "host",
			 w->host, "pid", (json_int_t)w->pid, "jobs", (int)w->jobs, "state",
			 w->state, "seen_seconds_ago", (json_int_t)(now - w->last_seen), "leased",
			 (json_int_t)w->leased, "done", (json_int_t)w->done, "failed_attempts",
			 (json_int_t)w->failed, "per_minute",
			 window > 0 ? (double)w->recent * 60.0 / window : 0.0);
}

static void status_json(const struct pl_work_status *s)
{
	json_t *workers = json_array();
	for (size_t i = 0; i < s->nworkers; i++)
		json_array_append_new(workers, worker_json(&s->workers[i], s->now, s->window));
	double eta = eta_seconds(s);
	print_json(json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:o, s:o}", "queued",
			     (json_int_t)s->queued, "waiting_retry", (json_int_t)s->waiting,
			     "leased", (json_int_t)s->leased, "expired_leases",
			     (json_int_t)s->expired, "done", (json_int_t)s->done, "failed",
			     (json_int_t)s->failed, "window_seconds", s->window, "per_minute",
			     rate_per_minute(s), "eta_seconds",
			     eta >= 0 ? json_real(eta) : json_null(), "workers", workers));
}

static void duration(double secs, char *out, size_t n)
{
	if (secs < 0)
		snprintf(out, n, "unknown (nothing finished in the window)");
	else if (secs >= 86400)
		snprintf(out, n, "%dd %dh %02dm", (int)(secs / 86400), (int)secs / 3600 % 24,
			 (int)secs / 60 % 60);
	else
		snprintf(out, n, "%dh %02dm %02ds", (int)secs / 3600, (int)secs / 60 % 60, (int)secs % 60);
}

static void status_text(const struct pl_work_status *s)
{
	char eta[64];
	duration(eta_seconds(s), eta, sizeof(eta));
	printf("queued   %llu (%llu waiting to be retried)\n", (unsigned long long)s->queued,
	       (unsigned long long)s->waiting);
	printf("leased   %llu (%llu past their lease)\n", (unsigned long long)s->leased,
	       (unsigned long long)s->expired);
	printf("done     %llu\nfailed   %llu\n", (unsigned long long)s->done,
	       (unsigned long long)s->failed);
	printf("rate     %.1f items/min over the last %.0f s\nETA      %s\n", rate_per_minute(s),
	       s->window, eta);
	if (!s->nworkers)
		return;
	printf("\n%-32s %-9s %5s %7s %9s %7s %9s %6s\n", "worker", "state", "jobs", "leased", "done",
	       "failed", "per min", "seen");
	for (size_t i = 0; i < s->nworkers; i++) {
		const struct pl_worker_info *w = &s->workers[i];
		printf("%-32s %-9s %5u %7llu %9llu %7llu %9.1f %5llds\n", w->id, w->state, w->jobs,
		       (unsigned long long)w->leased, (unsigned long long)w->done,
		       (unsigned long long)w->failed,
		       s->window > 0 ? (double)w->recent * 60.0 / s->window : 0.0,
		       (long long)(s->now - w->last_seen));
	}
}

static int cmd_queue_status(int argc, char **argv)
{
	struct read_cmd rc = {.window = 600};
	int first = read_options(&rc, argc, argv, "status");
	if (first < 0)
		return -first - 1;
	struct pl_store *st;
	struct pl_work_status s;
	if (open_store(rc.db, &st))
		return PL_EXIT_ERROR;
	int r = pl_store_work_status(st, rc.window, rc.all ? 1e12 : 86400, &s);
	pl_store_free(st);
	if (r < 0)
		return cli_fail("%s", pl_error_message());
	if (rc.json)
		status_json(&s);
	else
		status_text(&s);
	pl_work_status_release(&s);
	return PL_EXIT_CLEAN;
}

static void failed_print(const struct pl_work_failed *f, size_t n, int json)
{
	json_t *arr = json ? json_array() : NULL;
	for (size_t i = 0; i < n; i++) {
		if (json)
			json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:i, s:s}",
							     "id", (json_int_t)f[i].id, "key",
							     f[i].key, "ecosystem", f[i].ecosystem,
							     "project", f[i].project, "version",
							     f[i].version, "filename", f[i].filename,
							     "attempts", f[i].attempts, "error",
							     f[i].error));
		else
			printf("%lld\t%s\t%d attempt%s\t%s\n", (long long)f[i].id, f[i].filename,
			       f[i].attempts, f[i].attempts == 1 ? "" : "s", f[i].error);
	}
	if (json)
		print_json(json_pack("{s:o}", "failed", arr));
}

static int cmd_queue_failed(int argc, char **argv)
{
	struct read_cmd rc = {.window = 600};
	int first = read_options(&rc, argc, argv, "failed");
	if (first < 0)
		return -first - 1;
	struct pl_store *st;
	struct pl_work_failed *f;
	size_t n;
	if (open_store(rc.db, &st))
		return PL_EXIT_ERROR;
	int r = pl_store_work_failed(st, (size_t)rc.limit, &f, &n);
	pl_store_free(st);
	if (r < 0)
		return cli_fail("%s", pl_error_message());
	failed_print(f, n, rc.json);
	pl_work_failed_free(f, n);
	return PL_EXIT_CLEAN;
}

static int cmd_queue_retry(int argc, char **argv)
{
	struct read_cmd rc = {.window = 600};
	int first = read_options(&rc, argc, argv, "retry");
	if (first < 0)
		return -first - 1;
	size_t n = (size_t)(argc - first);
	int64_t *ids = calloc(n + 1, sizeof(*ids));
	if (!ids)
		return cli_fail("out of memory");
	for (size_t i = 0; i < n; i++) {
		unsigned long long v;
		if (cli_parse_uint(argv[first + (int)i], INT64_MAX, &v)) {
			free(ids);
			return cli_fail("queue retry: '%s' is not an item id", argv[first + (int)i]);
		}
		ids[i] = (int64_t)v;
	}
	struct pl_store *st;
	uint64_t requeued = 0;
	int r = open_store(rc.db, &st) ? -1 : 0;
	if (r == 0) {
		r = pl_store_work_retry(st, ids, n, &requeued) < 0 ? cli_fail("%s", pl_error_message())
								   : 0;
		pl_store_free(st);
	}
	free(ids);
	if (r)
		return PL_EXIT_ERROR;
	fprintf(stderr, "queue: %llu failed item%s queued again\n", (unsigned long long)requeued,
		requeued == 1 ? "" : "s");
	return PL_EXIT_CLEAN;
}

int cmd_queue(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int argc, char **argv);
	} subs[] = {{"add", cmd_queue_add},
		    {"status", cmd_queue_status},
		    {"failed", cmd_queue_failed},
		    {"retry", cmd_queue_retry}};
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage, stdout);
		return PL_EXIT_CLEAN;
	}
	for (size_t i = 0; argc >= 2 && i < sizeof(subs) / sizeof(subs[0]); i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return subs[i].run(argc - 1, argv + 1);
	fputs(usage, stderr);
	return PL_EXIT_ERROR;
}
