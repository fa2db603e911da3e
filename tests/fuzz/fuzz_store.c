/* libFuzzer target for the store's side of a scan: the input is an artifact
 * (pkg-1.0.tgz on disk, whatever its bytes) scanned with the built-in rules
 * into a SQLite store through the store's sink, as `scan --db` does (input
 * hashing, blob ids, deferred and batched writes). Checked: the scan never
 * fails as a whole, and no artifact fails to be written: hostile names,
 * metadata and contents are a per-file error or rows, never a write the
 * store refuses. One store for the whole run; it grows with each input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_scan.h"
#include "pkgleaks/error.h"
#include "pkgleaks/rules.h"
#include "pkgleaks/scan.h"
#include "pkgleaks/store.h"

static struct pl_ruleset *rules;
static struct pl_store *store;
static unsigned char blob_key[PL_BLOB_KEY_LEN];
static char dir[64], input[96], db[96];

static void cleanup(void)
{
	char wal[128], shm[128];
	snprintf(wal, sizeof(wal), "%s-wal", db);
	snprintf(shm, sizeof(shm), "%s-shm", db);
	pl_store_free(store);
	pl_ruleset_free(rules);
	unlink(input);
	unlink(db);
	unlink(wal);
	unlink(shm);
	rmdir(dir);
}

/* The store and its directory (the rules are set up apart: their failure
 * is printed where it happens). */
static int setup_store(void)
{
	snprintf(dir, sizeof(dir), "/tmp/fuzz_store.%d", (int)getpid());
	if (mkdir(dir, 0700) < 0)
		return pl_error_set(PL_EIO, "cannot make %s", dir);
	snprintf(input, sizeof(input), "%s/pkg-1.0.tgz", dir);
	snprintf(db, sizeof(db), "%s/store.db", dir);
	atexit(cleanup);
	if (pl_store_open(db, PL_STORE_CREATE, &store) < 0 ||
	    pl_store_blob_key(store, blob_key) < 0)
		return -1;
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	rules = fuzz_builtin_rules("fuzz_store");
	if (!rules)
		abort();
	if (setup_store() < 0) {
		fprintf(stderr, "fuzz_store: %s\n", pl_error_message());
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_write_input(input, data, size);
	struct pl_store_sink_options so = {.ruleset_version = pl_ruleset_version(rules),
					   .defer_writes = 1,
					   .write_batch = 8};
	struct pl_store_sink *sink = pl_store_sink_new(store, &so);
	struct pl_scan_options o;
	fuzz_scan_options(&o);
	o.hash_inputs = 1;
	o.blob_key = blob_key;
	const char *inputs[] = {input};
	if (pl_scan_run(rules, &o, inputs, 1, &pl_store_sink_ops, sink) < 0)
		abort(); /* a bad archive is a per-file error, never a fatal one */
	(void)pl_store_sink_finish(sink);
	struct pl_store_sink_stats st;
	pl_store_sink_stats(sink, &st);
	if (st.failed) {
		fprintf(stderr, "fuzz_store: an artifact was not written: %s\n",
			pl_error_message());
		abort();
	}
	pl_store_sink_free(sink);
	pl_error_clear();
	return 0;
}
