/* `pkgleaks follow`: scan new PyPI uploads as they appear, resuming from
 * the serial kept in the store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli_fetch.h"
#include "pkgleaks/error.h"

static const char usage[] =
	"usage: pkgleaks follow [options]\n"
	"\n"
	"Keeps scanning the files uploaded to a PyPI-compatible index. Each poll asks\n"
	"what changed since the serial kept in the store (--db, default pkgleaks.db):\n"
	"the PEP 691 Simple index with each project's _last-serial (conditional on its\n"
	"ETag), or the RSS updates feed; the projects found are queued together with\n"
	"the new serial, then each one's files uploaded since the first run are\n"
	"fetched, verified and scanned. Stopped or killed, it resumes exactly: queued\n"
	"projects are still pending, stored files are not fetched again.\n"
	"\n"
	"      --feed FEED         serial (default) or rss\n"
	"      --interval S        seconds between polls (default 60)\n"
	"      --once              one poll, then exit when its projects are done\n"
	"      --since TIME        first run: files uploaded from TIME on (Unix seconds or\n"
	"                          YYYY-MM-DD[THH:MM:SS]; default: now)\n"
	"      --index-url URL     the index (default " PL_PYPI_DEFAULT_URL ")\n"
	"\n" CLI_FETCH_COMMON_USAGE "\n" CLI_FETCH_NET_USAGE
	"\n"
	"exit status: 0 stopped normally (findings are in the store), 2 a fatal error.\n"
	"\n"
	"example:\n"
	"  pkgleaks follow --db postgresql://scanner@db/study --interval 30\n";

enum { OPT_FEED = CLI_OWN_OPTS, OPT_INTERVAL, OPT_ONCE, OPT_SINCE };

static const struct option longopts[] = {
	CLI_FETCH_COMMON_LONGOPTS,
	CLI_FETCH_NET_LONGOPTS,
	{"feed", required_argument, NULL, OPT_FEED},
	{"interval", required_argument, NULL, OPT_INTERVAL},
	{"once", no_argument, NULL, OPT_ONCE},
	{"since", required_argument, NULL, OPT_SINCE},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static int parse_time(const char *s, int64_t *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (end != s && !*end && v >= 0) {
		*out = v;
		return 0;
	}
	struct tm tm = {0};
	const char *rest = strptime(s, "%Y-%m-%d", &tm);
	if (rest && *rest == 'T')
		rest = strptime(rest + 1, "%H:%M:%S", &tm);
	if (!rest || *rest)
		return -1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

static int own(void *ctx, int c, const char *arg)
{
	struct pl_follow_options *fo = ctx;
	switch (c) {
	case OPT_FEED:
		if (strcmp(arg, "serial") && strcmp(arg, "rss"))
			return cli_fail("invalid value '%s' for --feed: expected serial or rss",
					arg);
		fo->feed = strcmp(arg, "rss") == 0 ? PL_FOLLOW_RSS : PL_FOLLOW_SERIAL;
		return 0;
	case OPT_INTERVAL:
		if (cli_parse_double(arg, &fo->interval) || fo->interval < 0)
			return cli_fail("invalid value '%s' for --interval: expected seconds", arg);
		return 0;
	case OPT_ONCE:
		fo->once = 1;
		return 0;
	default:
		return parse_time(arg, &fo->since)
			       ? cli_fail("invalid value '%s' for --since: expected a time", arg)
			       : 0;
	}
}

static void on_poll(void *ctx, int64_t serial, size_t queued)
{
	const int *quiet = ctx;
	if (*quiet)
		return;
	const char *clear = isatty(STDERR_FILENO) ? "\r\033[K" : "";
	flockfile(stderr);
	if (serial >= 0)
		fprintf(stderr, "%sfollow: index serial %lld, %zu project%s queued\n", clear,
			(long long)serial, queued, queued == 1 ? "" : "s");
	else
		fprintf(stderr, "%sfollow: %zu project%s queued from the feed\n", clear, queued,
			queued == 1 ? "" : "s");
	funlockfile(stderr);
}

static int run(void *ctx, struct cli_fetch_env *e)
{
	const struct pl_follow_options *fo = ctx;
	return pl_fetch_run_follow(e->fetch, fo, e->rs, e->opt, e->sink, e->sink_ctx);
}

int cmd_follow(int argc, char **argv)
{
	struct cli_fetch_args a;
	struct pl_follow_options fo = {.interval = 60, .since = -1, .on_poll = on_poll};
	cli_fetch_defaults(&a);
	a.store_required = 1;
	int first = cli_fetch_parse(&a, argc, argv, longopts, usage, own, &fo);
	if (first < 0)
		return -first - 1;
	if (first < argc)
		return cli_fail("follow takes no operands (try `pkgleaks follow --help`)");
	fo.ctx = &a.quiet;
	return cli_fetch_run(&a, 1, run, &fo);
}
