/* `pkgleaks scan --db`: the store opened for a scan, and the tee sink that
 * gives every event to the report (or whatever sink the scan had) and to the
 * store. Findings are owned by the first sink; the store sink only borrows
 * them (pl_store_sink_record copies what it keeps). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "pkgleaks/error.h"
#include "pkgleaks/store.h"

/* Store errors printed one by one before they are only counted. */
#define STORE_ERRORS_SHOWN 10

struct cli_store {
	struct pl_store *st;
	struct pl_store_sink *sink;
	const struct pl_sink_ops *inner; /* the sink the scan had */
	void *inner_ctx;
	uint64_t errors;
	unsigned char blob_key[PL_BLOB_KEY_LEN];
};

const char *cli_db_value(const char *optarg, int argc, char **argv, int *optind_io)
{
	if (optarg)
		return optarg;
	/* `--db x.db` (not `--db=x.db`): take the next argument when it can
	 * only be a store, so that it is not scanned as an input. */
	if (*optind_io < argc) {
		const char *next = argv[*optind_io];
		size_t n = strlen(next);
		int looks = pl_store_is_postgres_url(next) ||
			    (n > 3 && strcmp(next + n - 3, ".db") == 0) ||
			    (n > 7 && strcmp(next + n - 7, ".sqlite") == 0) ||
			    (n > 8 && strcmp(next + n - 8, ".sqlite3") == 0);
		if (looks) {
			(*optind_io)++;
			return next;
		}
	}
	return CLI_DEFAULT_DB;
}

static void on_store_error(void *ctx, const char *source, const char *message)
{
	struct cli_store *cs = ctx;
	if (cs->errors++ < STORE_ERRORS_SHOWN)
		fprintf(stderr, "pkgleaks: error: store: %s: %s\n", source, message);
}

int cli_store_open(const struct cli_store_args *a, const char *ruleset_version,
		   struct cli_store **out)
{
	*out = NULL;
	const char *key = getenv("PKGLEAKS_KEY");
	if (a->store_secrets && (!key || !key[0]))
		return cli_fail("--store-secrets needs PKGLEAKS_KEY (the key raw secrets are "
				"encrypted with), e.g. export PKGLEAKS_KEY=$(openssl rand -hex 32)");
	struct cli_store *cs = calloc(1, sizeof(*cs));
	if (!cs)
		return cli_fail("out of memory");
	if (pl_store_open(a->db, PL_STORE_CREATE, &cs->st) < 0 ||
	    pl_store_blob_key(cs->st, cs->blob_key) < 0 ||
	    (a->store_secrets && pl_store_unlock(cs->st, key) < 0)) {
		cli_store_free(cs);
		return cli_fail("%s", pl_error_message());
	}
	struct pl_store_sink_options o = {.ruleset_version = ruleset_version,
					  .store_secrets = a->store_secrets,
					  .force = a->rescan,
					  .defer_writes = a->defer_writes,
					  .write_batch = a->write_batch,
					  .on_error = on_store_error,
					  .on_error_ctx = cs};
	cs->sink = pl_store_sink_new(cs->st, &o);
	*out = cs;
	return 0;
}

/* ---- the tee ---- */

static void tee_finding(void *ctx, struct pl_finding *f)
{
	struct cli_store *cs = ctx;
	pl_store_sink_record(cs->sink, f);
	cs->inner->finding(cs->inner_ctx, f);
}

static void tee_error(void *ctx, const char *source, const char *path, const char *reason)
{
	struct cli_store *cs = ctx;
	cs->inner->error(cs->inner_ctx, source, path, reason);
	pl_store_sink_ops.error(cs->sink, source, path, reason);
}

static void tee_warning(void *ctx, const char *source, const char *path, const char *reason)
{
	struct cli_store *cs = ctx;
	if (cs->inner->warning)
		cs->inner->warning(cs->inner_ctx, source, path, reason);
}

static void tee_file_done(void *ctx, const char *source, uint64_t bytes)
{
	struct cli_store *cs = ctx;
	if (cs->inner->file_done)
		cs->inner->file_done(cs->inner_ctx, source, bytes);
}

static void tee_file_facts(void *ctx, const char *source, const struct pl_file_facts *facts)
{
	struct cli_store *cs = ctx;
	if (cs->inner->file_facts)
		cs->inner->file_facts(cs->inner_ctx, source, facts);
	pl_store_sink_ops.file_facts(cs->sink, source, facts);
}

static void tee_metadata(void *ctx, const char *source, const char *path, const char *text,
			 size_t len)
{
	struct cli_store *cs = ctx;
	if (cs->inner->metadata)
		cs->inner->metadata(cs->inner_ctx, source, path, text, len);
	pl_store_sink_ops.metadata(cs->sink, source, path, text, len);
}

/* Dedup is the store's: a blob it has is not matched again for anyone. */
static int tee_blob_seen(void *ctx, const char *source, const char *path, const char *sha256)
{
	struct cli_store *cs = ctx;
	return pl_store_sink_ops.blob_seen(cs->sink, source, path, sha256);
}

static int tee_blob_size_new(void *ctx, const char *source, const char *path, uint64_t size)
{
	struct cli_store *cs = ctx;
	return pl_store_sink_ops.blob_size_new(cs->sink, source, path, size);
}

static void tee_blob_done(void *ctx, const char *source, const char *path, const char *blob_id,
			  uint64_t size)
{
	struct cli_store *cs = ctx;
	pl_store_sink_ops.blob_done(cs->sink, source, path, blob_id, size);
}

static void tee_worker_idle(void *ctx)
{
	struct cli_store *cs = ctx;
	if (cs->inner->worker_idle)
		cs->inner->worker_idle(cs->inner_ctx);
	pl_store_sink_ops.worker_idle(cs->sink);
}

/* Without the scan's lock: only the store has slow work there. */
static void tee_file_write(void *ctx, const char *source)
{
	struct cli_store *cs = ctx;
	pl_store_sink_ops.file_write(cs->sink, source);
}

static const struct pl_sink_ops tee_ops = {
	.finding = tee_finding,
	.error = tee_error,
	.warning = tee_warning,
	.file_done = tee_file_done,
	.file_facts = tee_file_facts,
	.metadata = tee_metadata,
	.blob_seen = tee_blob_seen,
	.blob_size_new = tee_blob_size_new,
	.blob_done = tee_blob_done,
	.file_write = tee_file_write,
	.worker_idle = tee_worker_idle,
};

void cli_store_wrap(struct cli_store *cs, struct pl_scan_options *opt,
		    const struct pl_sink_ops **sink, void **ctx)
{
	cs->inner = *sink;
	cs->inner_ctx = *ctx;
	opt->hash_inputs = 1; /* artifacts are keyed by their SHA-256 */
	opt->blob_key = cs->blob_key;
	*sink = &tee_ops;
	*ctx = cs;
}

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

static void print_summary(const struct cli_store *cs, const struct pl_store_sink_stats *s)
{
	fprintf(stderr,
		"store: %llu artifact%s written, %llu already stored, to %s (%s); %llu of %llu "
		"blob%s already scanned were skipped (%llu occurrence%s in them recorded from the "
		"store)\n",
		(unsigned long long)s->artifacts, plural(s->artifacts),
		(unsigned long long)s->unchanged, pl_store_display_name(cs->st),
		pl_store_backend(cs->st), (unsigned long long)s->blobs_skipped,
		(unsigned long long)s->blobs, plural(s->blobs), (unsigned long long)s->replayed,
		plural(s->replayed));
}

int cli_store_finish(struct cli_store *cs, int quiet, uint64_t *replayed)
{
	struct pl_store_sink_stats s;
	(void)pl_store_sink_finish(cs->sink); /* failures are counted in the stats */
	pl_store_sink_stats(cs->sink, &s);
	*replayed = s.replayed;
	if (!quiet)
		print_summary(cs, &s);
	if (s.failed)
		return cli_fail("store: %llu artifact%s could not be written (see above)",
				(unsigned long long)s.failed, plural(s.failed));
	return 0;
}

struct pl_store *cli_store_db(struct cli_store *cs)
{
	return cs ? cs->st : NULL;
}

struct pl_store *cli_store_db_written(struct cli_store *cs)
{
	if (cs)
		(void)pl_store_sink_flush(cs->sink); /* a failure is counted per artifact */
	return cli_store_db(cs);
}

struct pl_store_sink *cli_store_sink(struct cli_store *cs)
{
	return cs ? cs->sink : NULL;
}

void cli_store_free(struct cli_store *cs)
{
	if (!cs)
		return;
	pl_store_sink_free(cs->sink);
	pl_store_free(cs->st);
	free(cs);
}
