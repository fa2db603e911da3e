/* `pkgleaks worker --db postgresql://...`: drain the store's work queue,
 * on as many machines as there are, with logs for a collector. */
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_fetch.h"
#include "cli/worker_log.h"
#include "pkgleaks/error.h"
#include "pkgleaks/work.h"

static const char usage[] =
	"usage: pkgleaks worker --db postgresql://... [options]\n"
	"\n"
	"Claims items from the store's work queue (filled by `pkgleaks queue add`), one\n"
	"per slot, each under a lease it keeps renewing; downloads (or, for a mirror, opens)\n"
	"and scans each, and writes its findings and its completion in one transaction.\n"
	"Run as many as you like, on as many machines: a worker that dies loses its leases,\n"
	"and its items go back to the queue when they expire; nothing is written twice.\n"
	"SIGTERM (or Ctrl-C): no new claims; items in flight are finished, or given back\n"
	"after --grace seconds (a second signal: at once).\n"
	"\n"
	"      --db URL            the store (PostgreSQL) holding the queue\n"
	"  -j, --jobs N            items at once (default: number of cores)\n"
	"      --lease S           seconds a claim lasts without a heartbeat (default 60)\n"
	"      --max-attempts N    claims before an item is parked as failed (default 3)\n"
	"      --retry-delay S     before a failed item is retried, doubled each attempt (30)\n"
	"      --idle S            seconds between polls of an empty queue (default 5)\n"
	"      --exit-when-empty   stop once nothing is queued or leased (a batch Job)\n"
	"      --grace S           after SIGTERM, seconds to finish items in flight (25)\n"
	"      --worker-id ID      this worker's name (default HOST:PID)\n"
	"      --log-format FMT    text (default) or json (one object per line, on stderr)\n"
	"      --log-level LEVEL   info (default) or debug (claims too)\n"
	"      --progress-every S  seconds between progress lines (default 60)\n"
	"      --health-file PATH  rewritten (JSON) at each heartbeat, for a liveness probe\n"
	"      --rescan            rewrite artifacts the store already holds\n"
	"      --rules FILE        add or override rules from a YAML file (repeatable)\n"
	"      --ignore GLOB       skip paths inside packages matching GLOB (repeatable)\n"
	"\n" CLI_FETCH_NET_USAGE
	"\n"
	"exit status: 0 the queue was drained or the worker was stopped, 2 an error.\n"
	"\n"
	"examples:\n"
	"  pkgleaks worker --db postgresql://scanner@db/study -j 8 --log-format json\n"
	"  pkgleaks worker --db \"$PKGLEAKS_DB\" --exit-when-empty   # a batch job\n";

enum {
	OPT_LEASE = CLI_OWN_OPTS, OPT_ATTEMPTS, OPT_RETRYDELAY, OPT_IDLE, OPT_EMPTY, OPT_GRACE,
	OPT_ID, OPT_LOGFORMAT, OPT_LOGLEVEL, OPT_PROGRESS, OPT_HEALTH,
};

static const struct option longopts[] = {
	{"db", required_argument, NULL, CLI_F_DB},
	{"jobs", required_argument, NULL, CLI_F_JOBS},
	{"rescan", no_argument, NULL, CLI_F_RESCAN},
	{"rules", required_argument, NULL, CLI_F_RULES},
	{"ignore", required_argument, NULL, CLI_F_IGNORE},
	CLI_FETCH_NET_LONGOPTS,
	{"lease", required_argument, NULL, OPT_LEASE},
	{"max-attempts", required_argument, NULL, OPT_ATTEMPTS},
	{"retry-delay", required_argument, NULL, OPT_RETRYDELAY},
	{"idle", required_argument, NULL, OPT_IDLE},
	{"exit-when-empty", no_argument, NULL, OPT_EMPTY},
	{"grace", required_argument, NULL, OPT_GRACE},
	{"worker-id", required_argument, NULL, OPT_ID},
	{"log-format", required_argument, NULL, OPT_LOGFORMAT},
	{"log-level", required_argument, NULL, OPT_LOGLEVEL},
	{"progress-every", required_argument, NULL, OPT_PROGRESS},
	{"health-file", required_argument, NULL, OPT_HEALTH},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

struct worker_cmd {
	struct pl_worker_options o;
	struct cli_worker_log log;
};

static int own(void *ctx, int c, const char *v)
{
	struct worker_cmd *wc = ctx;
	struct pl_worker_options *o = &wc->o;
	unsigned long long u;
	switch (c) {
	case OPT_LEASE:
		return cli_parse_seconds("--lease", v, 1, &o->lease);
	case OPT_ATTEMPTS:
		if (cli_parse_uint(v, 1000, &u) || !u)
			return cli_fail("invalid value '%s' for --max-attempts: expected 1 to 1000", v);
		o->max_attempts = (int)u;
		return 0;
	case OPT_RETRYDELAY:
		return cli_parse_seconds("--retry-delay", v, 0, &o->retry_delay);
	case OPT_IDLE:
		return cli_parse_seconds("--idle", v, 0.05, &o->idle);
	case OPT_EMPTY:
		o->exit_when_empty = 1;
		return 0;
	case OPT_GRACE:
		return cli_parse_seconds("--grace", v, 0, &o->grace);
	case OPT_ID:
		o->id = v;
		return 0;
	case OPT_LOGFORMAT:
		return cli_parse_choice("--log-format", v, "text", "json", &wc->log.json);
	case OPT_LOGLEVEL:
		return cli_parse_choice("--log-level", v, "info", "debug", &wc->log.debug);
	case OPT_PROGRESS:
		return cli_parse_seconds("--progress-every", v, 0.1, &o->progress_every);
	default:
		o->health_file = v;
		return 0;
	}
}

/* ---- signals: the first stops claiming, the second gives items back now ---- */

static struct pl_worker *volatile running;

static void on_signal(int sig)
{
	(void)sig;
	if (running)
		pl_worker_stop(running);
}

static void signals(int on)
{
	struct sigaction sa = {0};
	sa.sa_handler = on ? on_signal : SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static int run(struct cli_fetch_args *a, struct worker_cmd *wc)
{
	struct pl_ruleset *rs = cli_load_rules(a->rules, a->nrules);
	if (!rs)
		return PL_EXIT_ERROR;
	a->scan.ignore = a->ignore;
	wc->o.db = a->store.db;
	wc->o.jobs = a->scan.jobs;
	wc->o.rescan = a->store.rescan;
	wc->o.scan = &a->scan;
	wc->o.source = &a->src;
	wc->o.on_event = cli_worker_log;
	wc->o.ctx = &wc->log;
	struct pl_worker *w;
	if (pl_worker_new(rs, &wc->o, &w) < 0) {
		pl_ruleset_free(rs);
		return cli_fail("%s", pl_error_message());
	}
	running = w;
	signals(1);
	int rc = pl_worker_run(w);
	if (rc == 1)
		_exit(PL_EXIT_ERROR); /* slots still hold their threads: leave now */
	signals(0);
	running = NULL;
	pl_worker_free(w);
	pl_ruleset_free(rs);
	return rc < 0 ? cli_fail("%s", pl_error_message()) : PL_EXIT_CLEAN;
}

int cmd_worker(int argc, char **argv)
{
	struct cli_fetch_args a;
	struct worker_cmd wc = {0};
	cli_fetch_defaults(&a);
	pl_worker_options_default(&wc.o);
	int first = cli_fetch_parse(&a, argc, argv, longopts, usage, own, &wc);
	if (first < 0)
		return -first - 1;
	if (first < argc)
		return cli_fail("worker takes no operands (try `pkgleaks worker --help`)");
	if (!a.store.db || !pl_store_is_postgres_url(a.store.db))
		return cli_fail("worker: give the queue's store with --db postgresql://...");
	return run(&a, &wc);
}
