/* Unit tests of the scan pipeline's contract with its sink: file_write
 * comes after file_facts, in the same worker, without the lock that
 * serialises the other calls (the store writes there while the other
 * workers go on); blob ids are the GMAC tags of the blobs' bytes. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pkgleaks/error.h"
#include "pkgleaks/finding.h"
#include "pkgleaks/rules.h"
#include "pkgleaks/scan.h"
#include "test.h"
#include "util/alloc.h"

static const char yaml[] = PL_TEST_SK_RULE_YAML;

#define NFILES 2

struct events {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	int facts, writes, findings;
	int timed_out;      /* a file_write waited in vain for the other file's facts */
	int out_of_order;   /* a file_write without its file_facts, or twice */
	int other_thread;   /* a file_write in another thread than its file_facts */
	char *source[NFILES];
	pthread_t thread[NFILES];
	int written[NFILES];
};

static int slot_of(struct events *e, const char *source)
{
	for (int i = 0; i < e->facts; i++)
		if (strcmp(e->source[i], source) == 0)
			return i;
	return -1;
}

static void ev_finding(void *ctx, struct pl_finding *f)
{
	struct events *e = ctx;
	pthread_mutex_lock(&e->lock);
	e->findings++;
	pthread_mutex_unlock(&e->lock);
	pl_finding_free(f);
}

static void ev_error(void *ctx, const char *source, const char *path, const char *reason)
{
	(void)ctx;
	fprintf(stderr, "scan error: %s %s: %s\n", source, path, reason);
	pl_test_failures++;
}

static void ev_file_done(void *ctx, const char *source, uint64_t bytes)
{
	(void)ctx;
	(void)source;
	(void)bytes;
}

static void ev_file_facts(void *ctx, const char *source, const struct pl_file_facts *facts)
{
	(void)facts;
	struct events *e = ctx;
	pthread_mutex_lock(&e->lock);
	if (e->facts < NFILES) {
		e->source[e->facts] = strdup(source);
		e->thread[e->facts] = pthread_self();
		e->facts++;
	}
	pthread_cond_broadcast(&e->changed);
	pthread_mutex_unlock(&e->lock);
}

/* Waits for every file's facts: if the scan still held its lock here,
 * the other worker could never deliver them. */
static void ev_file_write(void *ctx, const char *source)
{
	struct events *e = ctx;
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 20;
	pthread_mutex_lock(&e->lock);
	int i = slot_of(e, source);
	if (i < 0 || e->written[i])
		e->out_of_order = 1;
	else {
		e->written[i] = 1;
		if (!pthread_equal(e->thread[i], pthread_self()))
			e->other_thread = 1;
	}
	while (e->facts < NFILES && !e->timed_out)
		if (pthread_cond_timedwait(&e->changed, &e->lock, &until) != 0)
			e->timed_out = 1;
	e->writes++;
	pthread_mutex_unlock(&e->lock);
}

static const struct pl_sink_ops ev_ops = {
	.finding = ev_finding,
	.error = ev_error,
	.file_done = ev_file_done,
	.file_facts = ev_file_facts,
	.file_write = ev_file_write,
};

/* A fresh directory holding a.txt and b.txt with these texts; 0 when it
 * could not be made. two_files_remove takes it away. */
struct two_files {
	char dir[40], a[64], b[64];
};

static int two_files_make(struct two_files *t, const char *text_a, const char *text_b)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/pkgleaks-test-scan.XXXXXX");
	if (!mkdtemp(t->dir)) {
		pl_test_failures++;
		return 0;
	}
	snprintf(t->a, sizeof(t->a), "%s/a.txt", t->dir);
	snprintf(t->b, sizeof(t->b), "%s/b.txt", t->dir);
	pl_test_write_file(t->a, text_a);
	pl_test_write_file(t->b, text_b);
	return 1;
}

static void two_files_remove(const struct two_files *t)
{
	unlink(t->a);
	unlink(t->b);
	rmdir(t->dir);
}

static void test_file_write_unlocked(const struct pl_ruleset *rs)
{
	struct two_files t;
	if (!two_files_make(&t, "key = SKe938b4fe9cfd70f19e97bc71ae3706f6\n",
			    "other = SKe938b4fe9cfd70f19e97bc71ae3706f7\n"))
		return;
	struct events e = {.lock = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER};
	struct pl_scan_options opt;
	pl_scan_options_default(&opt);
	opt.jobs = NFILES;
	opt.read_ignore_files = 0;
	const char *inputs[] = {t.dir};
	CHECK(pl_scan_run(rs, &opt, inputs, 1, &ev_ops, &e) == 0);
	CHECK(e.facts == NFILES);
	CHECK(e.writes == NFILES);
	CHECK(e.findings == NFILES);
	CHECK(!e.timed_out);
	CHECK(!e.out_of_order);
	CHECK(!e.other_thread);
	for (int i = 0; i < e.facts; i++)
		free(e.source[i]);
	two_files_remove(&t);
}

/* ---- metadata and blob events come without the scan's lock ---- */

/* a.tgz holds package/package.json and package/a.txt; b.txt holds a
 * secret. b.txt's finding (delivered under the scan's lock) waits until
 * a.tgz's worker is inside the gated call (metadata or blob_done), and
 * that call waits for the finding: if the scan held its lock around the
 * call, neither could go on, and both waits time out. */
struct unlocked {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	const char *gate; /* "metadata" or "blob_done" */
	int reached, b_findings, timed_out, metadata, done;
};

/* Waits (10 s at most) until *flag is set. Called with u->lock held. */
static void wait_flag(struct unlocked *u, const int *flag)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	while (!*flag && !u->timed_out)
		if (pthread_cond_timedwait(&u->changed, &u->lock, &until) != 0)
			u->timed_out = 1;
}

/* a.tgz's gated call: says it is here, then waits for b.txt's finding. */
static void gated(struct unlocked *u, const char *source, const char *call, int *count)
{
	pthread_mutex_lock(&u->lock);
	(*count)++;
	if (strstr(source, "a.tgz") && strcmp(call, u->gate) == 0) {
		u->reached = 1;
		pthread_cond_broadcast(&u->changed);
		wait_flag(u, &u->b_findings);
	}
	pthread_mutex_unlock(&u->lock);
}

static void un_finding(void *ctx, struct pl_finding *f)
{
	struct unlocked *u = ctx;
	pthread_mutex_lock(&u->lock);
	if (strstr(f->source, "b.txt")) {
		wait_flag(u, &u->reached);
		u->b_findings++;
		pthread_cond_broadcast(&u->changed);
	}
	pthread_mutex_unlock(&u->lock);
	pl_finding_free(f);
}

static void un_metadata(void *ctx, const char *source, const char *path, const char *text,
			size_t len)
{
	(void)path;
	(void)text;
	(void)len;
	struct unlocked *u = ctx;
	gated(u, source, "metadata", &u->metadata);
}

static int un_blob_seen(void *ctx, const char *source, const char *path, const char *blob_id)
{
	(void)ctx;
	(void)source;
	(void)path;
	(void)blob_id;
	return 0;
}

static void un_blob_done(void *ctx, const char *source, const char *path, const char *blob_id,
			 uint64_t size)
{
	(void)path;
	(void)blob_id;
	(void)size;
	struct unlocked *u = ctx;
	gated(u, source, "blob_done", &u->done);
}

static void test_blob_events_unlocked(const struct pl_ruleset *rs)
{
	char dir[] = "/tmp/pkgleaks-test-scan.XXXXXX";
	if (!mkdtemp(dir)) {
		pl_test_failures++;
		return;
	}
	char tgz[64], txt[64], pkg[64], json[96], plain[96];
	snprintf(tgz, sizeof(tgz), "%s/a.tgz", dir);
	snprintf(txt, sizeof(txt), "%s/b.txt", dir);
	snprintf(pkg, sizeof(pkg), "%s/package", dir);
	snprintf(json, sizeof(json), "%s/package.json", pkg);
	snprintf(plain, sizeof(plain), "%s/a.txt", pkg);
	CHECK(mkdir(pkg, 0700) == 0);
	pl_test_write_file(json, "{\"name\": \"a\", \"version\": \"1.0.0\"}\n");
	pl_test_write_file(plain, "nothing here\n");
	char *tar = pl_xasprintf("tar -czf '%s' -C '%s' package", tgz, dir);
	CHECK(system(tar) == 0);
	free(tar);
	unlink(json);
	unlink(plain);
	rmdir(pkg);
	pl_test_write_file(txt, "other = SKe938b4fe9cfd70f19e97bc71ae3706f7\n");
	unsigned char key[PL_BLOB_KEY_LEN] = {1};
	const char *gates[] = {"metadata", "blob_done"};
	for (int g = 0; g < 2; g++) {
		struct unlocked u = {.lock = PTHREAD_MUTEX_INITIALIZER,
				     .changed = PTHREAD_COND_INITIALIZER, .gate = gates[g]};
		const struct pl_sink_ops ops = {.finding = un_finding, .error = ev_error,
						.file_done = ev_file_done, .metadata = un_metadata,
						.blob_seen = un_blob_seen, .blob_done = un_blob_done};
		struct pl_scan_options opt;
		pl_scan_options_default(&opt);
		opt.jobs = 2;
		opt.read_ignore_files = 0;
		opt.blob_key = key;
		const char *inputs[] = {dir};
		CHECK(pl_scan_run(rs, &opt, inputs, 1, &ops, &u) == 0);
		CHECK(u.metadata == 1);
		CHECK(u.done == 3); /* both members of a.tgz, and b.txt */
		CHECK(u.b_findings == 1);
		if (u.timed_out)
			fprintf(stderr, "%s came with the scan's lock held\n", gates[g]);
		CHECK(!u.timed_out);
	}
	unlink(tgz);
	unlink(txt);
	rmdir(dir);
}

/* ---- blob ids ---- */

struct ids {
	pthread_mutex_t lock;
	char seen[4][PL_BLOB_ID_LEN + 1], done[4][PL_BLOB_ID_LEN + 1];
	int nseen, ndone, nsize;
	uint64_t bytes; /* sizes blob_done was given */
};

static int ids_seen(void *ctx, const char *source, const char *path, const char *blob_id)
{
	(void)source;
	(void)path;
	struct ids *d = ctx;
	pthread_mutex_lock(&d->lock);
	if (d->nseen < 4)
		snprintf(d->seen[d->nseen++], PL_BLOB_ID_LEN + 1, "%s", blob_id);
	pthread_mutex_unlock(&d->lock);
	return 0;
}

static void ids_done(void *ctx, const char *source, const char *path, const char *blob_id,
		     uint64_t size)
{
	(void)source;
	(void)path;
	struct ids *d = ctx;
	pthread_mutex_lock(&d->lock);
	if (d->ndone < 4)
		snprintf(d->done[d->ndone], PL_BLOB_ID_LEN + 1, "%s", blob_id);
	d->ndone++;
	d->bytes += size;
	pthread_mutex_unlock(&d->lock);
}

static void ids_finding(void *ctx, struct pl_finding *f)
{
	(void)ctx;
	pl_finding_free(f);
}

/* blob_done was given this id (and blob_seen too, unless by_size). */
static int ids_has(const struct ids *d, const char *id)
{
	int seen = 0, done = 0;
	for (int i = 0; i < d->nseen && i < 4; i++)
		seen |= strcmp(d->seen[i], id) == 0;
	for (int i = 0; i < d->ndone && i < 4; i++)
		done |= strcmp(d->done[i], id) == 0;
	return done && (seen || d->nsize);
}

/* A blob id is GMAC (AES-128-GCM, the blob as additional data) under the
 * key's first 16 bytes with its next 12 as nonce: the expected tags come
 * from `openssl mac -cipher AES-128-GCM -macopt hexkey:000102..0f
 * -macopt hexiv:101112..1b GMAC`, not from this code. The second blob
 * (100,000 bytes) goes through more than one update. */
static int ids_size_new(void *ctx, const char *source, const char *path, uint64_t size)
{
	(void)source;
	(void)path;
	(void)size;
	struct ids *d = ctx;
	pthread_mutex_lock(&d->lock);
	d->nsize++;
	pthread_mutex_unlock(&d->lock);
	return 1;
}

/* by_size: the sink also answers blob_size_new (every size is new), so the
 * blobs whose size the scan knows are matched as they stream: the same ids
 * must come out. */
static void blob_ids_case(const struct pl_ruleset *rs, int by_size)
{
	char *big = malloc(100001);
	memset(big, 'a', 100000);
	big[100000] = '\0';
	struct two_files t;
	int made = two_files_make(&t, "hello blob\n", big);
	free(big);
	if (!made)
		return;
	unsigned char key[PL_BLOB_KEY_LEN];
	for (int i = 0; i < PL_BLOB_KEY_LEN; i++)
		key[i] = (unsigned char)i;
	struct ids d = {.lock = PTHREAD_MUTEX_INITIALIZER};
	const struct pl_sink_ops ops = {.finding = ids_finding, .error = ev_error,
					.file_done = ev_file_done, .blob_seen = ids_seen,
					.blob_size_new = by_size ? ids_size_new : NULL,
					.blob_done = ids_done};
	struct pl_scan_options opt;
	pl_scan_options_default(&opt);
	opt.read_ignore_files = 0;
	opt.blob_key = key;
	const char *inputs[] = {t.dir};
	CHECK(pl_scan_run(rs, &opt, inputs, 1, &ops, &d) == 0);
	/* a.txt is all in the walk's head: its size is known; b.txt's is not
	 * (a plain file declares none), so blob_seen is asked for it. */
	CHECK(d.nsize == (by_size ? 1 : 0));
	CHECK(d.nseen == (by_size ? 1 : 2) && d.ndone == 2);
	CHECK(d.bytes == 11 + 100000);
	CHECK(ids_has(&d, "7b0562eca62fc0997e0c4a990eff7447"));
	CHECK(ids_has(&d, "e8a08c18826c4dab1ed365cae3cd0a86"));
	two_files_remove(&t);
}

static void test_blob_ids(const struct pl_ruleset *rs)
{
	blob_ids_case(rs, 0);
	blob_ids_case(rs, 1);
}

/* Whether libcrypto is mapped in this process. */
static int crypto_mapped(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int found = 0;
	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, "/libcrypto.so") != NULL;
	if (f)
		fclose(f);
	return found;
}

/* The preload thread loads libcrypto (the scans below then find it there);
 * starting it twice starts one thread, waiting twice is harmless. */
static void test_preload(void)
{
	CHECK(!crypto_mapped());
	pl_scan_preload_crypto();
	pl_scan_preload_crypto();
	pl_scan_preload_wait();
	CHECK(crypto_mapped());
	pl_scan_preload_wait();
}

int main(void)
{
	setenv("PKGLEAKS_CACHE_DIR", "", 1);
	test_preload(); /* first: nothing has loaded libcrypto yet */
	struct pl_ruleset *rs = pl_ruleset_new();
	CHECK(pl_ruleset_add_yaml(rs, yaml, strlen(yaml), "t") == 0);
	CHECK(pl_ruleset_compile(rs) == 0);
	test_file_write_unlocked(rs);
	test_blob_events_unlocked(rs);
	test_blob_ids(rs);
	pl_ruleset_free(rs);
	TEST_MAIN_END();
}
