/* Unit tests for the store: package identity from metadata and file names,
 * schema migrations, the sink's one transaction per artifact (idempotent,
 * rolled back whole on failure), blob dedup with replay, raw secrets sealed
 * at rest, and every statistic on a dataset with known answers.
 *
 * The store tests run against SQLite (a temporary file) always, and against
 * PostgreSQL too when PL_TEST_PG_URL names a database the test may empty
 * (tests/e2e/test_store.sh starts a server and runs this binary with it). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pkgleaks/error.h"
#include "pkgleaks/store.h"
#include "store/store_int.h"
#include "test.h"
#include "util/alloc.h"

static struct pl_rule rule_a = {.id = "github-pat-classic", .name = "GitHub token",
				.confidence = PL_CONF_HIGH};
static struct pl_rule rule_b = {.id = "slack-bot-token", .name = "Slack bot token",
				.confidence = PL_CONF_HIGH};

#define SECRET_A "ghp_0123456789abcdefghijABCDEFGHIJ012345"
#define SECRET_B "xoxb-1234567890-0987654321-abcdefghijklmnopqrstuvwx"
#define SECRET_C "ghp_zyxwvutsrqponmlkjihgfedcbaZYXWVU987654"

/* ---- package identity ---- */

static void check_id(const char *path, const char *text, const char *file, const char *eco,
		     const char *project, const char *version)
{
	struct pl_package_id id = PL_PACKAGE_ID_INIT;
	if (path)
		pl_package_id_from_metadata(&id, path, text, strlen(text));
	pl_package_id_finish(&id, file);
	CHECK_STR(id.ecosystem, eco);
	CHECK_STR(id.project, project);
	CHECK_STR(id.version, version);
	pl_package_id_release(&id);
}

static void test_package_id_metadata(void)
{
	check_id("foo-1.0/PKG-INFO", "Metadata-Version: 2.1\nName: Foo_Bar\nVersion: 1.2.3\n\nName: no\n",
		 "renamed.tar.gz", "pypi", "foo-bar", "1.2.3");
	check_id("foo-1.0.dist-info/METADATA", "Name: Foo\r\nVersion: 2.0b1\r\n", "x.whl", "pypi", "foo",
		 "2.0b1");
	check_id("package/package.json", "{\"name\": \"@scope/pkg\", \"version\": \"4.5.6\"}", "x.tgz",
		 "npm", "@scope/pkg", "4.5.6");
	check_id("control.tar.xz!/control", "Package: libfoo\nVersion: 1:2.3-4\nArchitecture: all\n",
		 "x.deb", "debian", "libfoo", "1:2.3-4");
	check_id("metadata.gz", "--- !ruby/object:Gem::Specification\nname: rake\nversion: "
				"!ruby/object:Gem::Version\n  version: 13.0.6\nplatform: ruby\n",
		 "x.gem", "rubygems", "rake", "13.0.6");
	/* Metadata without a version: the file name gives it. */
	check_id("pkg-gz-1.0/PKG-INFO", "Name: pkg-gz\n", "pkg-gz-1.0.tar.gz", "pypi", "pkg-gz", "1.0");
	/* Unreadable metadata is ignored, not fatal. */
	check_id("package/package.json", "{not json", "left-pad-1.3.0.tgz", "npm", "left-pad", "1.3.0");
	/* Hostile values are escaped and capped. */
	check_id("x/PKG-INFO", "Name: evil\x1b[31m\nVersion: 1\n", "a.tar.gz", "pypi",
		 "evil\\x1b[31m", "1");
}

static void test_package_id_depth(void)
{
	struct pl_package_id id = PL_PACKAGE_ID_INIT;
	const char *deep = "Name: wrong\nVersion: 9\n", *top = "Name: right\nVersion: 1\n";
	pl_package_id_from_metadata(&id, "p-1/src/p.egg-info/PKG-INFO", deep, strlen(deep));
	pl_package_id_from_metadata(&id, "p-1/PKG-INFO", top, strlen(top));
	pl_package_id_from_metadata(&id, "p-1/src/q.egg-info/PKG-INFO", deep, strlen(deep));
	pl_package_id_finish(&id, "p-1.tar.gz");
	CHECK_STR(id.project, "right");
	CHECK_STR(id.version, "1");
	pl_package_id_release(&id);
}

static void test_package_id_file_names(void)
{
	check_id(NULL, "", "dist/name-1.2.3.tar.gz", "other", "name", "1.2.3");
	check_id(NULL, "", "Name_X-1.2.3-py3-none-any.whl", "pypi", "name-x", "1.2.3");
	check_id(NULL, "", "name_1.2.3-1_all.deb", "debian", "name", "1.2.3-1");
	check_id(NULL, "", "cross-spawn-7.0.6.tgz", "npm", "cross-spawn", "7.0.6");
	check_id(NULL, "", "nokogiri-1.15.0-x86_64-linux.gem", "rubygems", "nokogiri", "1.15.0");
	check_id(NULL, "", "python-3parclient-4.2.0.tar.gz", "other", "python-3parclient", "4.2.0");
	check_id(NULL, "", "eggpkg-1.0-py3.11.egg", "pypi", "eggpkg", "1.0");
	check_id(NULL, "", "notes.txt", "other", "notes.txt", "");
	check_id(NULL, "", "-", "other", "-", "");
	/* A name of nothing but white space is kept, escaped like every other
	 * (found by tests/fuzz/fuzz_meta.c: a carriage return went through raw). */
	check_id(NULL, "", "dir/\r", "other", "\\x0d", "");
	check_id(NULL, "", "\t\n.tgz", "npm", "\\x09\\x0a.tgz", "");
	check_id(NULL, "", "dir/", "other", "-", "");
}

/* ---- helpers for the store tests ---- */

static struct pl_finding *mk(const struct pl_rule *rule, const char *secret, const char *source,
			     const char *path, uint64_t line, uint64_t col)
{
	struct pl_finding *f = pl_xcalloc(1, sizeof(*f));
	f->rule = rule;
	f->secret = pl_xstrdup(secret);
	f->secret_len = strlen(secret);
	pl_fingerprint(rule->id, f->secret, f->secret_len, f->fingerprint);
	f->source = pl_xstrdup(source);
	f->path = pl_xstrdup(path);
	f->positions = pl_xmalloc(sizeof(*f->positions));
	f->positions[0] = (struct pl_position){line, col};
	f->npositions = 1;
	f->encoding = "";
	f->path_kind = "code";
	return f;
}

static struct pl_file_facts facts(const char *sha_seed, int64_t mtime)
{
	struct pl_file_facts ff = {.size = 1234, .bytes_scanned = 5678, .newest_mtime = mtime};
	pl_fingerprint("artifact", sha_seed, strlen(sha_seed), ff.sha256);
	return ff;
}

/* A blob id as a scan makes them: PL_BLOB_ID_LEN lower-case hex digits. */
static void blob_id(const char *seed, char out[PL_BLOB_ID_LEN + 1])
{
	char fp[65];
	pl_fingerprint("blob", seed, strlen(seed), fp);
	memcpy(out, fp, PL_BLOB_ID_LEN);
	out[PL_BLOB_ID_LEN] = '\0';
}

/* Empties every table (PostgreSQL is one database for all sub-tests). */
static void reset(struct pl_store *st)
{
	static const char *const tables[] = {"validations", "blob_findings", "occurrences",
					     "blobs", "secrets", "artifacts", "meta"};
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		char *sql = pl_xasprintf("DELETE FROM %s", tables[i]);
		CHECK(pl_store_exec(st, sql, NULL, 0) == 0);
		free(sql);
	}
}

static struct pl_store_totals totals(struct pl_store *st)
{
	struct pl_store_totals t;
	CHECK(pl_store_totals(st, &t) == 0);
	return t;
}

static struct pl_store_sink *new_sink(struct pl_store *st, int store_secrets)
{
	struct pl_store_sink_options o = {.ruleset_version = "rules-v1",
					  .store_secrets = store_secrets};
	return pl_store_sink_new(st, &o);
}

/* One sdist as the scan would report it: metadata, a blob with a finding,
 * a blob without, a big blob (no dedup) with a finding, then the facts. */
static void scan_sdist(struct pl_store_sink *s, const char *source, const char *version,
		       const char *settings_seed, int64_t mtime)
{
	const struct pl_sink_ops *ops = &pl_store_sink_ops;
	char meta[128], path[128], b1[PL_BLOB_ID_LEN + 1], b2[PL_BLOB_ID_LEN + 1];
	snprintf(meta, sizeof(meta), "Name: Alpha\nVersion: %s\n", version);
	snprintf(path, sizeof(path), "alpha-%s/PKG-INFO", version);
	ops->metadata(s, source, path, meta, strlen(meta));
	blob_id(settings_seed, b1);
	blob_id("readme", b2);
	snprintf(path, sizeof(path), "alpha-%s/alpha/settings.py", version);
	if (!ops->blob_seen(s, source, path, b1)) {
		struct pl_finding *f = mk(&rule_a, SECRET_A, source, path, 3, 9);
		f->positions = pl_xrealloc(f->positions, 2 * sizeof(*f->positions));
		f->positions[1] = (struct pl_position){7, 1};
		f->npositions = 2;
		ops->finding(s, f);
		ops->blob_done(s, source, path, b1, 1000);
	}
	snprintf(path, sizeof(path), "alpha-%s/README.md", version);
	if (!ops->blob_seen(s, source, path, b2))
		ops->blob_done(s, source, path, b2, 2000);
	snprintf(path, sizeof(path), "alpha-%s/tests/big.json", version);
	ops->finding(s, mk(&rule_b, SECRET_B, source, path, 1, 20));
	struct pl_file_facts ff = facts(source, mtime);
	if (ops->file_done) /* optional, as the scan treats it */
		ops->file_done(s, source, ff.bytes_scanned);
	ops->file_facts(s, source, &ff);
}

/* ---- the sink ---- */

static void test_sink_idempotent(struct pl_store *st)
{
	reset(st);
	struct pl_store_sink *s = new_sink(st, 0);
	scan_sdist(s, "dist/alpha-1.0.tar.gz", "1.0", "settings-1", 1600000000);
	struct pl_store_totals t1 = totals(st);
	CHECK(t1.artifacts == 1);
	CHECK(t1.secrets == 2);
	CHECK(t1.occurrences == 3); /* two positions of A, one of B */
	CHECK(t1.blobs == 2);
	CHECK(t1.blob_findings == 2);
	int64_t bytes = 0;
	CHECK(pl_store_query_int(st, "SELECT SUM(size) FROM blobs", NULL, 0, &bytes) == 1 &&
	      bytes == 1000 + 2000);
	/* The same artifact again: its blobs are skipped, nothing is rewritten. */
	scan_sdist(s, "dist/alpha-1.0.tar.gz", "1.0", "settings-1", 1600000000);
	struct pl_store_totals t2 = totals(st);
	CHECK(memcmp(&t1, &t2, sizeof(t1)) == 0);
	struct pl_store_sink_stats ss;
	CHECK(pl_store_sink_finish(s) == 0);
	pl_store_sink_stats(s, &ss);
	CHECK(ss.artifacts == 1);
	CHECK(ss.unchanged == 1);
	CHECK(ss.blobs == 4);
	CHECK(ss.blobs_skipped == 2);
	CHECK(ss.replayed == 2);
	pl_store_sink_free(s);
	/* Forced: rewritten, and still the same rows. */
	struct pl_store_sink_options o = {.ruleset_version = "rules-v1", .force = 1};
	s = pl_store_sink_new(st, &o);
	scan_sdist(s, "dist/alpha-1.0.tar.gz", "1.0", "settings-1", 1600000000);
	struct pl_store_totals t3 = totals(st);
	CHECK(memcmp(&t1, &t3, sizeof(t1)) == 0);
	pl_store_sink_free(s);
}

static void test_sink_dedup(struct pl_store *st)
{
	reset(st);
	struct pl_store_sink *s = new_sink(st, 0);
	scan_sdist(s, "alpha-1.0.tar.gz", "1.0", "settings-1", 1600000000);
	/* 1.1: settings.py has the same bytes, so it is replayed from the store. */
	scan_sdist(s, "alpha-1.1.tar.gz", "1.1", "settings-1", 1610000000);
	struct pl_store_sink_stats ss;
	CHECK(pl_store_sink_finish(s) == 0);
	pl_store_sink_stats(s, &ss);
	CHECK(ss.artifacts == 2 && ss.occurrences == 6);
	CHECK(ss.blobs_skipped == 2);
	CHECK(ss.replayed == 2);
	struct pl_store_totals t = totals(st);
	CHECK(t.artifacts == 2);
	CHECK(t.occurrences == 6);
	CHECK(t.blobs == 2);
	/* Another ruleset: nothing is skipped. */
	struct pl_store_sink_options o = {.ruleset_version = "rules-v2"};
	struct pl_store_sink *s2 = pl_store_sink_new(st, &o);
	scan_sdist(s2, "alpha-1.2.tar.gz", "1.2", "settings-1", 1620000000);
	CHECK(pl_store_sink_finish(s2) == 0);
	pl_store_sink_stats(s2, &ss);
	CHECK(ss.blobs_skipped == 0);
	CHECK(totals(st).blobs == 4);
	/* Replayed rows carry the new path. */
	struct pl_stats_filter f = {.since = -1, .until = -1};
	struct pl_stats stats;
	CHECK(pl_store_stats(st, &f, 1, &stats) == 0);
	CHECK(stats.nartifacts == 3);
	for (size_t i = 0; i < stats.nartifacts; i++)
		CHECK(stats.artifacts[i].occurrences == 3 && stats.artifacts[i].secrets == 2);
	pl_stats_release(&stats);
	pl_store_sink_free(s2);
	pl_store_sink_free(s);
}

/* defer_writes: file_facts only takes the artifact out of what is pending;
 * file_write (the scan calls it without its lock) writes it. One whose
 * file_write never comes is written at its thread's next file_facts, or at
 * finish: nothing is lost behind a wrapper that does not pass it on. */
static void test_sink_deferred(struct pl_store *st)
{
	reset(st);
	struct pl_store_sink_options o = {.ruleset_version = "rules-v1", .defer_writes = 1};
	struct pl_store_sink *s = pl_store_sink_new(st, &o);
	scan_sdist(s, "alpha-1.0.tar.gz", "1.0", "settings-1", 1600000000);
	CHECK(totals(st).artifacts == 0);
	pl_store_sink_ops.file_write(s, "another.tar.gz"); /* not this thread's: nothing */
	CHECK(totals(st).artifacts == 0);
	pl_store_sink_ops.file_write(s, "alpha-1.0.tar.gz");
	CHECK(totals(st).artifacts == 1);
	CHECK(totals(st).occurrences == 3);
	/* Written, so its blobs are known: 1.1 skips settings.py. */
	scan_sdist(s, "alpha-1.1.tar.gz", "1.1", "settings-1", 1610000000);
	CHECK(totals(st).artifacts == 1);
	/* No file_write for 1.1: the next file_facts of the thread writes it. */
	scan_sdist(s, "alpha-1.2.tar.gz", "1.2", "settings-2", 1620000000);
	CHECK(totals(st).artifacts == 2);
	/* ...and finish writes the last one. */
	CHECK(pl_store_sink_finish(s) == 0);
	struct pl_store_sink_stats ss;
	pl_store_sink_stats(s, &ss);
	CHECK(ss.artifacts == 3 && ss.failed == 0);
	CHECK(ss.blobs_skipped == 3); /* settings-1 once, readme twice */
	struct pl_store_totals t = totals(st);
	CHECK(t.artifacts == 3);
	CHECK(t.occurrences == 9);
	pl_store_sink_free(s);
	/* Without defer_writes, file_facts writes (workers, registry sources). */
	reset(st);
	s = new_sink(st, 0);
	scan_sdist(s, "alpha-1.0.tar.gz", "1.0", "settings-1", 1600000000);
	CHECK(totals(st).artifacts == 1);
	pl_store_sink_free(s);
}

/* write_batch: file_write collects artifacts until the batch is full, then
 * writes them in the order they came (the second replays blobs of the
 * first); lending the connection and finish write what is collected. */
static void test_sink_batch(struct pl_store *st)
{
	reset(st);
	struct pl_store_sink_options o = {.ruleset_version = "rules-v1", .defer_writes = 1,
					  .write_batch = 2};
	struct pl_store_sink *s = pl_store_sink_new(st, &o);
	const struct pl_sink_ops *ops = &pl_store_sink_ops;
	scan_sdist(s, "alpha-1.0.tar.gz", "1.0", "settings-1", 1600000000);
	ops->file_write(s, "alpha-1.0.tar.gz");
	CHECK(totals(st).artifacts == 0); /* collected */
	scan_sdist(s, "alpha-1.1.tar.gz", "1.1", "settings-2", 1610000000);
	ops->file_write(s, "alpha-1.1.tar.gz");
	CHECK(totals(st).artifacts == 2); /* the batch is full: both written */
	scan_sdist(s, "alpha-1.2.tar.gz", "1.2", "settings-1", 1620000000);
	ops->file_write(s, "alpha-1.2.tar.gz");
	CHECK(totals(st).artifacts == 2);
	/* A registry's check finds it collected, and does not write the batch. */
	struct pl_file_facts f12 = facts("alpha-1.2.tar.gz", 1620000000);
	CHECK(pl_store_sink_known(s, f12.sha256, NULL) == 1);
	CHECK(pl_store_sink_known(s, "0000", NULL) == 0);
	CHECK(totals(st).artifacts == 2);
	CHECK(pl_store_sink_lock(s) == st); /* a borrower sees every artifact */
	CHECK(totals(st).artifacts == 3);
	pl_store_sink_unlock(s);
	scan_sdist(s, "alpha-1.3.tar.gz", "1.3", "settings-1", 1630000000);
	ops->file_write(s, "alpha-1.3.tar.gz");
	CHECK(pl_store_sink_finish(s) == 0);
	struct pl_store_sink_stats ss;
	pl_store_sink_stats(s, &ss);
	CHECK(ss.artifacts == 4 && ss.failed == 0);
	CHECK(totals(st).artifacts == 4 && totals(st).occurrences == 12);
	pl_store_sink_free(s);
}

/* A worker out of files (worker_idle): the batch is written and the group
 * committed at once, and from then on each artifact is written at its
 * file_write, not collected. */
static void test_sink_idle(struct pl_store *st)
{
	reset(st);
	struct pl_store_sink_options o = {.ruleset_version = "rules-v1", .defer_writes = 1,
					  .write_batch = 8};
	struct pl_store_sink *s = pl_store_sink_new(st, &o);
	const struct pl_sink_ops *ops = &pl_store_sink_ops;
	scan_sdist(s, "alpha-1.0.tar.gz", "1.0", "settings-1", 1600000000);
	ops->file_write(s, "alpha-1.0.tar.gz");
	scan_sdist(s, "alpha-1.1.tar.gz", "1.1", "settings-2", 1610000000);
	ops->file_write(s, "alpha-1.1.tar.gz");
	CHECK(totals(st).artifacts == 0 && st->in_tx == 0); /* collected */
	ops->worker_idle(s);
	CHECK(totals(st).artifacts == 2 && st->in_tx == 0); /* written, committed */
	scan_sdist(s, "alpha-1.2.tar.gz", "1.2", "settings-1", 1620000000);
	ops->file_write(s, "alpha-1.2.tar.gz");
	CHECK(totals(st).artifacts == 3); /* the other worker's last: written at once */
	CHECK(pl_store_sink_finish(s) == 0);
	struct pl_store_sink_stats ss;
	pl_store_sink_stats(s, &ss);
	CHECK(ss.artifacts == 3 && ss.failed == 0);
	pl_store_sink_free(s);
}

/* What a registry's check finds in the batch is what it would find once
 * written: an artifact read in part counts, one that failed does not, and
 * one without an index SHA-256 (npm) is found by its URL. */
static void test_sink_batch_known(struct pl_store *st)
{
	reset(st);
	struct pl_store_sink_options o = {.ruleset_version = "rules-v1", .defer_writes = 1,
					  .write_batch = 8};
	struct pl_store_sink *s = pl_store_sink_new(st, &o);
	const struct pl_sink_ops *ops = &pl_store_sink_ops;
	static const char *const url[] = {"https://r.test/part.tgz", "https://r.test/bad.tgz"};
	for (int i = 0; i < 2; i++) {
		const char *source = url[i];
		struct pl_artifact_meta m = {.ecosystem = "npm", .url = url[i], .upload_time = -1,
					     .yanked = -1};
		struct pl_file_facts ff = facts(source, 1600000000);
		ff.meta = &m;
		/* a member that could not be read: partial; the file itself: error */
		ops->error(s, source, i ? "" : "pkg/broken.js", "unreadable");
		ops->file_facts(s, source, &ff);
		ops->file_write(s, source);
	}
	CHECK(totals(st).artifacts == 0);
	CHECK(pl_store_sink_known(s, NULL, url[0]) == 1);
	CHECK(pl_store_sink_known(s, NULL, url[1]) == 0);
	CHECK(totals(st).artifacts == 0); /* asking wrote nothing */
	CHECK(pl_store_sink_finish(s) == 0);
	struct pl_store *db = pl_store_sink_lock(s);
	CHECK(pl_store_artifact_known(db, NULL, url[0], "rules-v1") == 1);
	CHECK(pl_store_artifact_known(db, NULL, url[1], "rules-v1") == 0);
	pl_store_sink_unlock(s);
	pl_store_sink_free(s);
}

/* blob_size_new: every size is new in an empty store; the sizes of stored
 * blobs are not, in this sink (after the write) or a later one; --rescan
 * (force) treats every blob as new. */
static void test_sink_size_new(struct pl_store *st)
{
	reset(st);
	const struct pl_sink_ops *ops = &pl_store_sink_ops;
	struct pl_store_sink *s = new_sink(st, 0);
	CHECK(ops->blob_size_new(s, "x.tar.gz", "x/a", 1000) == 1);
	scan_sdist(s, "dist/alpha-1.0.tar.gz", "1.0", "settings-1", 1600000000);
	CHECK(ops->blob_size_new(s, "x.tar.gz", "x/a", 1000) == 0);
	CHECK(ops->blob_size_new(s, "x.tar.gz", "x/a", 1234) == 1);
	CHECK(pl_store_sink_finish(s) == 0);
	pl_store_sink_free(s);
	s = new_sink(st, 0);
	CHECK(ops->blob_size_new(s, "y.tar.gz", "y/a", 2000) == 0);
	CHECK(ops->blob_size_new(s, "y.tar.gz", "y/a", 2001) == 1);
	pl_store_sink_free(s);
	struct pl_store_sink_options o = {.ruleset_version = "rules-v1", .force = 1};
	s = pl_store_sink_new(st, &o);
	CHECK(ops->blob_size_new(s, "y.tar.gz", "y/a", 2000) == 1);
	pl_store_sink_free(s);
}

/* pl_store_sink_lock lends the sink's connection (a registry planner): a
 * deferred write waits until it is given back, and the borrower then sees
 * the artifact before the sink commits its group. */
struct deferred_writer {
	struct pl_store_sink *s;
	atomic_int written;
};

static void *write_deferred(void *arg)
{
	struct deferred_writer *w = arg;
	scan_sdist(w->s, "alpha-1.0.tar.gz", "1.0", "settings-1", 1600000000);
	pl_store_sink_ops.file_write(w->s, "alpha-1.0.tar.gz");
	atomic_store(&w->written, 1);
	return NULL;
}

static void test_sink_lent(struct pl_store *st)
{
	reset(st);
	struct pl_store_sink_options o = {.ruleset_version = "rules-v1", .defer_writes = 1};
	struct deferred_writer w = {pl_store_sink_new(st, &o), 0};
	struct pl_file_facts ff = facts("alpha-1.0.tar.gz", 0);
	CHECK(pl_store_sink_lock(w.s) == st);
	pthread_t t;
	CHECK(pthread_create(&t, NULL, write_deferred, &w) == 0);
	usleep(200 * 1000);
	CHECK(atomic_load(&w.written) == 0);
	CHECK(pl_store_artifact_known(st, ff.sha256, NULL, "rules-v1") == 0);
	pl_store_sink_unlock(w.s);
	pthread_join(t, NULL);
	CHECK(atomic_load(&w.written) == 1);
	CHECK(pl_store_sink_lock(w.s) == st);
	CHECK(pl_store_artifact_known(st, ff.sha256, NULL, "rules-v1") == 1);
	CHECK(totals(st).artifacts == 1);
	pl_store_sink_unlock(w.s);
	pl_store_sink_free(w.s);
}

/* A failure in the middle of an artifact's write leaves none of it. */
static void test_write_rolls_back(struct pl_store *st)
{
	reset(st);
	struct pl_position pos = {1, 1};
	struct pl_store_find finds[] = {
		{.fingerprint = "aaaa", .rule = "r", .redacted = "x…", .path = "a.py",
		 .path_kind = "code", .ext = ".py", .encoding = "", .pos = &pos, .npos = 1},
		{.fingerprint = "bbbb", .rule = "r", .redacted = "y…", .path = "b.py",
		 .path_kind = NULL /* NOT NULL column: fails after the first rows */, .ext = ".py",
		 .encoding = "", .pos = &pos, .npos = 1},
	};
	struct pl_store_artifact a = {.ecosystem = "pypi", .project = "p", .version = "1",
				      .filename = "p-1.tar.gz", .sha256 = "ff00", .size = 1,
				      .upload_time = -1, .scan_time = 1, .ruleset_version = "v",
				      .status = "ok", .finds = finds, .nfinds = 2};
	struct pl_store_written w;
	CHECK(pl_store_write_artifact(st, &a, 0, &w) < 0);
	struct pl_store_totals t = totals(st);
	CHECK(t.artifacts == 0 && t.secrets == 0 && t.occurrences == 0);
	/* The connection is usable afterwards. */
	finds[1].path_kind = "code";
	CHECK(pl_store_write_artifact(st, &a, 0, &w) == 0);
	CHECK(pl_store_group_commit(st) == 0);
	CHECK(totals(st).occurrences == 2);
}

/* A blob skipped because a group (rolled back since) had stored it: the
 * artifact replaying it fails rather than losing its occurrences. */
static void test_replay_guard(struct pl_store *st)
{
	reset(st);
	struct pl_store_sink *s = new_sink(st, 0);
	scan_sdist(s, "alpha-1.0.tar.gz", "1.0", "settings-1", 1600000000);
	pl_store_rollback(st); /* as if the group's COMMIT had failed */
	scan_sdist(s, "alpha-1.1.tar.gz", "1.1", "settings-1", 1610000000);
	CHECK(pl_store_sink_finish(s) == 0);
	struct pl_store_sink_stats ss;
	pl_store_sink_stats(s, &ss);
	CHECK(ss.failed == 1);
	CHECK(totals(st).artifacts == 0);
	pl_store_sink_free(s);
}

/* ---- sealed raw secrets ---- */

static void test_secrets(struct pl_store *st, const char *sqlite_path)
{
	reset(st);
	CHECK(pl_store_unlock(st, "") == PL_EINVAL);
	CHECK(pl_store_unlock(st, "correct horse battery staple") == 0);
	struct pl_store_sink *s = new_sink(st, 1);
	scan_sdist(s, "alpha-1.0.tar.gz", "1.0", "settings-1", 1600000000);
	pl_store_sink_free(s);
	char fp[65], *raw = NULL;
	size_t len = 0;
	pl_fingerprint(rule_a.id, SECRET_A, strlen(SECRET_A), fp);
	CHECK(pl_store_secret_reveal(st, fp, &raw, &len) == 0);
	CHECK_STR(raw, SECRET_A);
	CHECK(len == strlen(SECRET_A));
	free(raw);
	CHECK(pl_store_secret_reveal(st, "nope", &raw, &len) == PL_ENOTFOUND);
	/* Another key is refused, the right one still works. */
	CHECK(pl_store_unlock(st, "wrong key") == PL_EINVAL);
	CHECK(pl_store_secret_reveal(st, fp, &raw, &len) == PL_EINVAL);
	CHECK(pl_store_unlock(st, "correct horse battery staple") == 0);
	/* A sealed value moved to another secret's row does not open. */
	struct pl_sql_value p = pl_sql_text(fp);
	char fpb[65];
	pl_fingerprint(rule_b.id, SECRET_B, strlen(SECRET_B), fpb);
	struct pl_sql_value q[] = {pl_sql_text(fpb), pl_sql_text(fp)};
	CHECK(pl_store_exec(st, "UPDATE secrets SET sealed = (SELECT sealed FROM secrets"
				" WHERE fingerprint = $2) WHERE fingerprint = $1", q, 2) == 0);
	CHECK(pl_store_secret_reveal(st, fpb, &raw, &len) == PL_EFORMAT);
	(void)p;
	/* Nothing in the SQLite files holds the raw value. */
	for (int i = 0; sqlite_path && i < 2; i++) {
		char *name = pl_xasprintf("%s%s", sqlite_path, i ? "-wal" : "");
		FILE *fh = fopen(name, "rb");
		char buf[1 << 16];
		size_t n;
		int found = 0;
		while (fh && (n = fread(buf, 1, sizeof(buf), fh)) > 0)
			found |= memmem(buf, n, "0123456789abcdefghijABCDEF", 26) != NULL;
		if (fh)
			fclose(fh);
		CHECK(!found);
		free(name);
	}
}

/* ---- statistics on a dataset with known answers ---- */

struct occ_spec {
	const char *rule, *secret, *path, *kind, *ext;
};

static void put(struct pl_store *st, const char *eco, const char *project, const char *version,
		int64_t uploaded, const struct occ_spec *o, size_t n)
{
	struct pl_store_find *finds = pl_xcalloc(n + 1, sizeof(*finds));
	char (*fps)[65] = pl_xcalloc(n + 1, 65);
	static const struct pl_position pos = {4, 2};
	for (size_t i = 0; i < n; i++) {
		pl_fingerprint(o[i].rule, o[i].secret, strlen(o[i].secret), fps[i]);
		finds[i] = (struct pl_store_find){fps[i], o[i].rule, "red…", NULL, NULL, o[i].path,
						  o[i].kind, o[i].ext, "", &pos, 1};
	}
	char *file = pl_xasprintf("%s-%s.tar.gz", project, version), sha[65];
	pl_fingerprint(project, version, strlen(version), sha);
	struct pl_store_artifact a = {.ecosystem = eco, .project = project, .version = version,
				      .filename = file, .sha256 = sha, .size = 10,
				      .upload_time = uploaded, .scan_time = 1700000000,
				      .ruleset_version = "v", .status = "ok", .finds = finds,
				      .nfinds = n};
	struct pl_store_written w;
	CHECK(pl_store_write_artifact(st, &a, 0, &w) == 0);
	CHECK(pl_store_group_commit(st) == 0);
	free(file);
	free(fps);
	free(finds);
}

#define T_2020_01 1579046400 /* 2020-01-15 */
#define T_2020_06 1591747200 /* 2020-06-10 */
#define T_2021_02 1612137600 /* 2021-02-01 */
#define T_2021_03 1614729600 /* 2021-03-03 */
#define T_2021_01 1609459200 /* 2021-01-01 */

static void dataset(struct pl_store *st)
{
	reset(st);
	const struct occ_spec a = {"r1", "secret-a", "alpha/settings.py", "config", ".py"},
			      b = {"r1", "secret-b", "alpha/tests/t.py", "test", ".py"},
			      c = {"r2", "secret-c", "package/.env", "config", ".env"},
			      a2 = {"r1", "secret-a", "package/index.js", "code", ".js"};
	const struct occ_spec v10[] = {a}, v11[] = {a, b}, v20[] = {b}, beta[] = {c, a2};
	put(st, "pypi", "alpha", "1.0", T_2020_01, v10, 1);
	put(st, "pypi", "alpha", "1.1", T_2020_06, v11, 2);
	put(st, "pypi", "alpha", "2.0", T_2021_02, v20, 1);
	put(st, "npm", "beta", "0.1", T_2021_03, beta, 2);
	/* An injection attempt is just a name. */
	put(st, "npm", "x'); DROP TABLE artifacts; --", "1", -1, NULL, 0);
	char fa[65], fb[65], fc[65];
	pl_fingerprint("r1", "secret-a", 8, fa);
	pl_fingerprint("r1", "secret-b", 8, fb);
	pl_fingerprint("r2", "secret-c", 8, fc);
	CHECK(pl_store_add_validation(st, fa, 100, "valid", NULL) == 0);
	CHECK(pl_store_add_validation(st, fa, 200, "invalid", "401") == 0);
	CHECK(pl_store_add_validation(st, fb, 100, "valid", "200 OK") == 0);
	CHECK(pl_store_add_validation(st, fc, 100, "unknown", "timeout") == 0);
	CHECK(pl_store_add_validation(st, "0000", 100, "valid", NULL) == PL_ENOTFOUND);
	CHECK(pl_store_add_validation(st, fc, 100, "maybe", NULL) == PL_EINVAL);
}

static void test_stats_all(struct pl_store *st)
{
	struct pl_stats_filter f = {.since = -1, .until = -1, .period = PL_PERIOD_MONTH};
	struct pl_stats s;
	CHECK(pl_store_stats(st, &f, 1, &s) == 0);
	struct pl_stats_headline want = {3, 6, 5, 3, 2, 2, 1, 1, 1, 0};
	CHECK(memcmp(&s.headline, &want, sizeof(want)) == 0);
	CHECK(s.nrules == 2);
	if (s.nrules == 2) {
		CHECK_STR(s.rules[0].rule, "r1");
		CHECK(s.rules[0].secrets == 2 && s.rules[0].occurrences == 5 &&
		      s.rules[0].projects == 2 && s.rules[0].valid == 1);
		CHECK(s.rules[1].secrets == 1 && s.rules[1].projects == 1 && s.rules[1].valid == 0);
	}
	CHECK(s.ntrends == 3);
	if (s.ntrends == 3) {
		CHECK_STR(s.trends[0].period, "2020-01");
		CHECK_STR(s.trends[1].period, "2020-06");
		CHECK_STR(s.trends[2].period, "2021-03");
		CHECK_STR(s.trends[2].rule, "r2");
		CHECK(s.trends[1].valid == 1);
	}
	CHECK(s.nkinds == 3 && strcmp(s.kinds[0].key, "config") == 0 && s.kinds[0].secrets == 2);
	CHECK(s.nextensions == 3 && strcmp(s.extensions[0].key, ".py") == 0);
	/* Persistence: A in alpha 1.0-1.1 (gone in 2.0), A in beta, B in alpha, C. */
	CHECK(s.npersist == 4);
	for (size_t i = 0; i < s.npersist; i++) {
		struct pl_stats_persist *p = &s.persist[i];
		int is_a = strcmp(p->project, "alpha") == 0 && p->releases == 2 &&
			   strcmp(p->first_version, "1.0") == 0;
		if (is_a)
			CHECK(strcmp(p->last_version, "1.1") == 0 && !p->still &&
			      strcmp(p->newest_version, "2.0") == 0 && p->first_time == T_2020_01);
		if (strcmp(p->project, "alpha") == 0 && !is_a)
			CHECK(strcmp(p->first_version, "1.1") == 0 && p->still);
		if (strcmp(p->project, "beta") == 0)
			CHECK(p->still && p->releases == 1);
	}
	CHECK(s.nartifacts == 5);
	int found = 0;
	for (size_t i = 0; i < s.nartifacts; i++)
		found |= strcmp(s.artifacts[i].project, "x'); DROP TABLE artifacts; --") == 0;
	CHECK(found);
	CHECK(s.totals.validations == 4);
	pl_stats_release(&s);
}

static void test_stats_filters(struct pl_store *st)
{
	struct pl_stats s;
	struct pl_stats_filter f = {.ecosystem = "npm", .since = -1, .until = -1};
	CHECK(pl_store_stats(st, &f, 0, &s) == 0);
	CHECK(s.headline.artifacts == 2 && s.headline.secrets == 2 && s.headline.projects == 2);
	pl_stats_release(&s);
	f = (struct pl_stats_filter){.project = "ALPHA", .since = -1, .until = -1,
				     .period = PL_PERIOD_YEAR};
	CHECK(pl_store_stats(st, &f, 0, &s) == 0);
	CHECK(s.headline.artifacts == 3 && s.headline.secrets == 2);
	CHECK(s.ntrends == 1 && strcmp(s.trends[0].period, "2020") == 0 && s.trends[0].secrets == 2);
	pl_stats_release(&s);
	/* From 2021: two artifacts; only C is first seen then. */
	f = (struct pl_stats_filter){.since = T_2021_01, .until = -1, .period = PL_PERIOD_QUARTER};
	CHECK(pl_store_stats(st, &f, 0, &s) == 0);
	CHECK(s.headline.artifacts == 2);
	CHECK(s.ntrends == 1 && strcmp(s.trends[0].period, "2021-Q1") == 0);
	pl_stats_release(&s);
	f = (struct pl_stats_filter){.since = -1, .until = T_2021_01};
	CHECK(pl_store_stats(st, &f, 0, &s) == 0);
	CHECK(s.headline.artifacts == 2 && s.ntrends == 2);
	pl_stats_release(&s);
}

/* The blob key: made once, the same for every later connection (it names
 * every blob already stored), kept in meta, never all zero. */
static void test_blob_key(const char *url)
{
	struct pl_store *st;
	unsigned char k1[PL_BLOB_KEY_LEN], k2[PL_BLOB_KEY_LEN], zero[PL_BLOB_KEY_LEN] = {0};
	CHECK(pl_store_open(url, PL_STORE_CREATE, &st) == 0);
	CHECK(pl_store_blob_key(st, k1) == 0);
	CHECK(memcmp(k1, zero, sizeof(zero)) != 0);
	pl_store_free(st);
	CHECK(pl_store_open(url, PL_STORE_EXISTING, &st) == 0);
	CHECK(pl_store_blob_key(st, k2) == 0);
	CHECK(memcmp(k1, k2, sizeof(k1)) == 0);
	char *hex = NULL;
	CHECK(pl_store_meta_get(st, "blob_key", &hex) == 0 && hex &&
	      strlen(hex) == 2 * PL_BLOB_KEY_LEN);
	free(hex);
	/* A damaged key is an error, not a key of zeros. */
	CHECK(pl_store_meta_set(st, "blob_key", "not hex") == 0);
	CHECK(pl_store_blob_key(st, k2) < 0);
	CHECK(pl_store_exec(st, "DELETE FROM meta WHERE key = 'blob_key'", NULL, 0) == 0);
	pl_store_free(st);
}

/* A store made before blob ids (schema 4, blobs named by SHA-256) is
 * migrated: the column is renamed and its rows, which no id can match, go. */
static void test_migrate_blob_ids(const char *url)
{
	struct pl_store *st;
	CHECK(pl_store_open(url, PL_STORE_CREATE, &st) == 0);
	CHECK(pl_store_exec(st, "DELETE FROM blob_findings", NULL, 0) == 0);
	CHECK(pl_store_exec(st, "DELETE FROM blobs", NULL, 0) == 0);
	CHECK(pl_store_exec(st, "ALTER TABLE blobs RENAME COLUMN id TO sha256", NULL, 0) == 0);
	CHECK(pl_store_exec(st, "INSERT INTO blobs (sha256, ruleset_version, nfindings)"
				" VALUES ('0123', 'r', 0)", NULL, 0) == 0);
	CHECK(pl_store_exec(st, "DELETE FROM schema_version WHERE version >= 5", NULL, 0) == 0);
	pl_store_free(st);
	CHECK(pl_store_open(url, PL_STORE_EXISTING, &st) == 0);
	int v = -1;
	CHECK(pl_store_schema_version(st, &v) == 0 && v == pl_store_schema_latest(st));
	int64_t n = -1;
	CHECK(pl_store_query_int(st, "SELECT COUNT(id) FROM blobs", NULL, 0, &n) == 1 && n == 0);
	pl_store_free(st);
}

/* A store of schema 5 named its blobs by Poly1305 tags: migration 6 drops
 * them (GMAC ids can never match them), with what was found in them. */
static void test_migrate_gmac_ids(const char *url)
{
	struct pl_store *st;
	CHECK(pl_store_open(url, PL_STORE_CREATE, &st) == 0);
	CHECK(pl_store_exec(st, "INSERT INTO blobs (id, ruleset_version, nfindings)"
				" VALUES ('0123', 'r', 1)", NULL, 0) == 0);
	CHECK(pl_store_exec(st, "INSERT INTO secrets (fingerprint, rule, redacted)"
				" VALUES ('fp-gmac', 'r', 'x***')", NULL, 0) == 0);
	CHECK(pl_store_exec(st, "INSERT INTO blob_findings (blob, ruleset_version, secret_id,"
				" line, col, encoding) SELECT '0123', 'r', id, 1, 1, 'plain'"
				" FROM secrets WHERE fingerprint = 'fp-gmac'", NULL, 0) == 0);
	CHECK(pl_store_exec(st, "DELETE FROM schema_version WHERE version >= 6", NULL, 0) == 0);
	pl_store_free(st);
	CHECK(pl_store_open(url, PL_STORE_EXISTING, &st) == 0);
	int v = -1;
	CHECK(pl_store_schema_version(st, &v) == 0 && v == pl_store_schema_latest(st) && v >= 6);
	int64_t n = -1;
	CHECK(pl_store_query_int(st, "SELECT COUNT(*) FROM blobs", NULL, 0, &n) == 1 && n == 0);
	CHECK(pl_store_query_int(st, "SELECT COUNT(*) FROM blob_findings", NULL, 0, &n) == 1 &&
	      n == 0);
	CHECK(pl_store_exec(st, "DELETE FROM secrets WHERE fingerprint = 'fp-gmac'", NULL, 0) == 0);
	pl_store_free(st);
}

/* ---- each back end ---- */

static void test_schema(const char *url)
{
	struct pl_store *st;
	CHECK(pl_store_open(url, PL_STORE_CREATE, &st) == 0);
	int v = -1;
	CHECK(pl_store_schema_version(st, &v) == 0);
	CHECK(v == pl_store_schema_latest(st) && v >= 1);
	pl_store_free(st);
	/* Opening again applies nothing. */
	CHECK(pl_store_open(url, PL_STORE_EXISTING, &st) == 0);
	int64_t n = 0;
	CHECK(pl_store_query_int(st, "SELECT COUNT(*) FROM schema_version", NULL, 0, &n) == 1);
	CHECK(n == v);
	pl_store_free(st);
}

/* Statements sent without waiting (PostgreSQL's pipeline; SQLite runs them
 * at once): a failure comes back from pl_store_sync, or from the next
 * query, which then does not run; after it, the connection works. */
static void test_exec_later(struct pl_store *st)
{
	int pg = strcmp(pl_store_backend(st), "postgresql") == 0;
	struct pl_sql_value key = pl_sql_text("later-test");
	const char *bad = "INSERT INTO meta (key, value) VALUES ($1, NULL)"; /* NOT NULL */
	int64_t n = -1;
	CHECK(pl_store_begin(st) == 0);
	CHECK(pl_store_exec_later(st, "SAVEPOINT t", NULL, 0) == 0);
	int rc = pl_store_exec_later(st, bad, &key, 1);
	CHECK(pg ? rc == 0 : rc < 0); /* PostgreSQL has not answered yet */
	if (rc == 0)
		CHECK(pl_store_sync(st) < 0);
	CHECK(pl_store_sync(st) == 0); /* nothing left */
	CHECK(pl_store_exec(st, "ROLLBACK TO SAVEPOINT t", NULL, 0) == 0);
	CHECK(pl_store_exec_later(st, "INSERT INTO meta (key, value) VALUES ($1, 'v')", &key, 1) == 0);
	CHECK(pl_store_query_int(st, "SELECT COUNT(*) FROM meta WHERE key = $1", &key, 1, &n) == 1);
	CHECK(n == 1); /* the query waited for the insert before it */
	pl_store_rollback(st);
	CHECK(pl_store_begin(st) == 0);
	rc = pl_store_exec_later(st, bad, &key, 1);
	if (rc == 0)
		CHECK(pl_store_query_int(st, "SELECT 1", NULL, 0, &n) < 0);
	pl_store_rollback(st);
	CHECK(pl_store_query_int(st, "SELECT COUNT(*) FROM meta WHERE key = $1", &key, 1, &n) == 1);
	CHECK(n == 0);
}

static void run_backend(const char *url, const char *sqlite_path)
{
	fprintf(stderr, "# store tests on %s\n", url);
	test_schema(url);
	test_blob_key(url);
	test_migrate_blob_ids(url);
	test_migrate_gmac_ids(url);
	struct pl_store *st;
	if (pl_store_open(url, PL_STORE_CREATE, &st) < 0) {
		fprintf(stderr, "cannot open %s: %s\n", url, pl_error_message());
		pl_test_failures++;
		return;
	}
	test_exec_later(st);
	test_sink_idempotent(st);
	test_sink_size_new(st);
	test_sink_batch(st);
	test_sink_batch_known(st);
	test_sink_idle(st);
	test_sink_dedup(st);
	test_sink_deferred(st);
	test_sink_lent(st);
	test_write_rolls_back(st);
	test_replay_guard(st);
	test_secrets(st, sqlite_path);
	dataset(st);
	test_stats_all(st);
	test_stats_filters(st);
	pl_store_free(st);
}

static void test_open_errors(void)
{
	struct pl_store *st;
	CHECK(pl_store_open("/nonexistent-dir/x.db", PL_STORE_EXISTING, &st) == PL_ENOTFOUND);
	CHECK(st == NULL);
	CHECK(pl_store_open("postgresql://u:hunter2@127.0.0.1:1/x?connect_timeout=2",
			    PL_STORE_CREATE, &st) < 0);
	/* The password is not in the message. */
	CHECK(strstr(pl_error_message(), "hunter2") == NULL);
	CHECK(pl_store_is_postgres_url("postgres://x") && pl_store_is_postgres_url("postgresql://x"));
	CHECK(!pl_store_is_postgres_url("pkgleaks.db"));
}

/* ---- the in-memory set of stored blobs ---- */

static void blob_id_n(int i, char out[PL_BLOB_ID_LEN + 1])
{
	char seed[32];
	snprintf(seed, sizeof(seed), "cached-%d", i);
	blob_id(seed, out);
}

/* Keys are blob ids (PL_BLOB_ID_LEN lower-case hex digits); anything else,
 * a SHA-256 of an older store included, is never cached (the store is asked
 * instead), and the set grows past its first size. */
static void test_blob_cache(void)
{
	struct pl_blob_cache c = {.slots = pl_xcalloc(1024, sizeof(struct pl_blob_slot)),
				  .cap = 1024, .complete = 1};
	char hex[PL_BLOB_ID_LEN + 1];
	CHECK(pl_blob_cache_size_new(&c, 0) && pl_blob_cache_size_new(&c, 100));
	for (int i = 0; i < 3000; i++) {
		blob_id_n(i, hex);
		pl_blob_cache_add(&c, hex, i, 100 + i);
	}
	CHECK(c.count == 3000 && c.cap >= 6000 && c.complete);
	int all = 1;
	for (int i = 0; i < 3000; i++) {
		blob_id_n(i, hex);
		all &= pl_blob_cache_find(&c, hex) == i;
	}
	CHECK(all);
	/* Every size added is taken; one never added is new. */
	for (int i = 0; i < 3000; i++)
		all &= !pl_blob_cache_size_new(&c, (uint64_t)(100 + i));
	CHECK(all && c.size_count == 3000);
	CHECK(pl_blob_cache_size_new(&c, 99) && pl_blob_cache_size_new(&c, 3100) &&
	      pl_blob_cache_size_new(&c, 0) && pl_blob_cache_size_new(&c, UINT64_MAX - 1));
	blob_id_n(3000, hex);
	CHECK(pl_blob_cache_find(&c, hex) == -1);
	blob_id_n(7, hex);
	char upper[PL_BLOB_ID_LEN + 1];
	memcpy(upper, hex, sizeof(upper));
	for (char *u = upper; *u; u++)
		if (*u >= 'a' && *u <= 'f')
			*u = (char)(*u - 'a' + 'A');
	CHECK(strcmp(upper, hex) == 0 || pl_blob_cache_find(&c, upper) == -1);
	hex[20] = '\0'; /* short: not read past its end */
	CHECK(pl_blob_cache_find(&c, hex) == -1);
	CHECK(pl_blob_cache_find(&c, "") == -1);
	char sha[65];
	pl_fingerprint("blob", "cached-7", 8, sha); /* a SHA-256 id of an older store */
	pl_blob_cache_add(&c, sha, 1, 5);
	CHECK(c.count == 3000 && pl_blob_cache_find(&c, sha) == -1);
	CHECK(pl_blob_cache_size_new(&c, 5)); /* not added: its size is not either */
	blob_id_n(8, hex);
	hex[PL_BLOB_ID_LEN - 1] = 'g';
	pl_blob_cache_add(&c, hex, 1, 6);
	CHECK(c.count == 3000 && pl_blob_cache_find(&c, hex) == -1);
	char zero[PL_BLOB_ID_LEN + 1];
	memset(zero, '0', PL_BLOB_ID_LEN);
	zero[PL_BLOB_ID_LEN] = '\0';
	pl_blob_cache_add(&c, zero, 1, 7); /* all zero marks an empty slot */
	CHECK(c.count == 3000 && pl_blob_cache_find(&c, zero) == -1);
	/* A blob of unknown size (a row from before sizes) takes every size;
	 * so does an incomplete cache. */
	blob_id_n(3001, hex);
	pl_blob_cache_add(&c, hex, 0, -1);
	CHECK(!pl_blob_cache_size_new(&c, 99));
	c.any_size = 0;
	c.complete = 0;
	CHECK(!pl_blob_cache_size_new(&c, 99));
	pl_blob_cache_release(&c);
}

int main(void)
{
	test_package_id_metadata();
	test_package_id_depth();
	test_package_id_file_names();
	test_open_errors();
	test_blob_cache();
	char dir[] = "/tmp/pkgleaks-test-store.XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char *path = pl_xasprintf("%s/s.db", dir);
	run_backend(path, path);
	char *cmd = pl_xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	free(cmd);
	free(path);
	const char *pg = getenv("PL_TEST_PG_URL");
	if (pg && pg[0])
		run_backend(pg, NULL);
	else
		fprintf(stderr, "# PostgreSQL part skipped: PL_TEST_PG_URL not set "
				"(tests/e2e/test_store.sh runs it against a real server)\n");
	TEST_MAIN_END();
}
