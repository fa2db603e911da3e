/* A worker's events on stderr: one JSON object per line (--log-format json,
 * for a log collector) or a line of text. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "cli/worker_log.h"

/* "2026-01-02T03:04:05.678Z" */
static void timestamp(char *out, size_t n)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	struct tm tm;
	gmtime_r(&tv.tv_sec, &tm);
	char s[32];
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, n, "%s.%03dZ", s, (int)(tv.tv_usec / 1000));
}

static const char *level(enum pl_worker_event_kind k)
{
	switch (k) {
	case PL_WEV_CLAIM:
		return "debug";
	case PL_WEV_STORE:
	case PL_WEV_LOST:
	case PL_WEV_RETRY:
	case PL_WEV_EXPIRED:
		return "warning";
	case PL_WEV_PARKED:
		return "error";
	default:
		return "info";
	}
}

static double per_minute(const struct pl_worker_totals *t)
{
	return t->seconds > 0 ? (double)t->done * 60.0 / t->seconds : 0;
}

static json_t *totals_json(const struct pl_worker_totals *t)
{
	uint64_t items = t->done + t->retried + t->parked;
	double queue_ms = items ? t->queue_seconds * 1000.0 / (double)items : 0;
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:i, s:f, s:f, s:f, s:I, s:I}",
			 "done", (json_int_t)t->done, "retried", (json_int_t)t->retried,
			 "parked", (json_int_t)t->parked, "lost", (json_int_t)t->lost,
			 "released", (json_int_t)t->released, "store_errors",
			 (json_int_t)t->store_errors, "bytes", (json_int_t)t->bytes, "findings",
			 (json_int_t)t->findings, "in_flight", (int)t->in_flight, "seconds",
			 t->seconds, "per_minute", per_minute(t), "queue_ms_per_item", queue_ms,
			 "queue_queued",
			 (json_int_t)t->queued, "queue_leased", (json_int_t)t->leased);
}

static void add_item(json_t *o, const struct pl_work_item *it)
{
	json_object_set_new(o, "item", json_integer((json_int_t)it->id));
	if (it->key)
		json_object_set_new(o, "key", json_string(it->key));
	if (it->filename)
		json_object_set_new(o, "file", json_string(it->filename));
	if (it->attempts)
		json_object_set_new(o, "attempt", json_integer(it->attempts));
}

static void add_result(json_t *o, const struct pl_worker_event *e)
{
	if (e->status)
		json_object_set_new(o, "status", json_string(e->status));
	json_object_set_new(o, "seconds", json_real(e->seconds));
	json_object_set_new(o, "queue_ms", json_real(e->queue_seconds * 1000.0));
	json_object_set_new(o, "bytes", json_integer((json_int_t)e->bytes));
	json_object_set_new(o, "findings", json_integer((json_int_t)e->findings));
}

static void log_json(const struct pl_worker_event *e)
{
	char ts[40];
	timestamp(ts, sizeof(ts));
	json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "ts", ts, "level", level(e->kind), "event",
			      pl_worker_event_name(e->kind), "worker", e->worker ? e->worker : "");
	if (!o)
		return;
	if (e->slot >= 0)
		json_object_set_new(o, "slot", json_integer(e->slot));
	if (e->item)
		add_item(o, e->item);
	if (e->kind >= PL_WEV_DONE && e->kind <= PL_WEV_PARKED)
		add_result(o, e);
	if (e->kind == PL_WEV_EXPIRED)
		json_object_set_new(o, "count", json_integer((json_int_t)e->count));
	if (e->kind == PL_WEV_RECONNECTED)
		json_object_set_new(o, "seconds", json_real(e->seconds));
	if (e->message)
		json_object_set_new(o, e->kind == PL_WEV_START ? "store" : "error",
				    json_string(e->message));
	if (e->totals)
		json_object_set_new(o, "totals", totals_json(e->totals));
	char *line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (line) {
		fprintf(stderr, "%s\n", line);
		free(line);
	}
	json_decref(o);
}

static void log_text(const struct pl_worker_event *e)
{
	char ts[40];
	timestamp(ts, sizeof(ts));
	fprintf(stderr, "%s %s %s", ts, e->worker ? e->worker : "", pl_worker_event_name(e->kind));
	if (e->slot >= 0)
		fprintf(stderr, " [slot %d]", e->slot);
	if (e->item)
		fprintf(stderr, " item %lld%s%s", (long long)e->item->id,
			e->item->filename ? " " : "", e->item->filename ? e->item->filename : "");
	if (e->kind == PL_WEV_DONE)
		fprintf(stderr, " (%s, %llu finding%s, %.1f MB, %.2f s)", e->status,
			(unsigned long long)e->findings, e->findings == 1 ? "" : "s",
			(double)e->bytes / 1e6, e->seconds);
	if (e->kind == PL_WEV_EXPIRED)
		fprintf(stderr, " %llu lease%s", (unsigned long long)e->count,
			e->count == 1 ? "" : "s");
	if (e->kind == PL_WEV_RECONNECTED)
		fprintf(stderr, " after %.1f s", e->seconds);
	if (e->message)
		fprintf(stderr, ": %s", e->message);
	if (e->totals)
		fprintf(stderr, ": %llu done, %llu retried, %llu parked, %u in flight, %.1f/min;"
				" queue: %llu queued, %llu leased",
			(unsigned long long)e->totals->done, (unsigned long long)e->totals->retried,
			(unsigned long long)e->totals->parked, e->totals->in_flight,
			per_minute(e->totals), (unsigned long long)e->totals->queued,
			(unsigned long long)e->totals->leased);
	fputc('\n', stderr);
}

void cli_worker_log(void *ctx, const struct pl_worker_event *e)
{
	const struct cli_worker_log *l = ctx;
	if (e->kind == PL_WEV_CLAIM && !l->debug)
		return;
	flockfile(stderr);
	if (l->json)
		log_json(e);
	else
		log_text(e);
	fflush(stderr);
	funlockfile(stderr);
}
