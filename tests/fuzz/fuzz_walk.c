/* libFuzzer target for the archive walker, through the public scan API: the
 * input is written to a temporary file and scanned with the built-in rules
 * (compiled once), one worker, default limits but 10 s per file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "pkgleaks/error.h"
#include "pkgleaks/finding.h"
#include "pkgleaks/rules.h"
#include "pkgleaks/scan.h"

static struct pl_ruleset *rules;
static char path[64];

static void on_finding(void *ctx, struct pl_finding *f)
{
	(void)ctx;
	pl_finding_free(f);
}

static void on_error(void *ctx, const char *source, const char *p, const char *reason)
{
	(void)ctx;
	(void)source;
	(void)p;
	(void)reason;
}

static void on_done(void *ctx, const char *source, uint64_t bytes)
{
	(void)ctx;
	(void)source;
	(void)bytes;
}

/* The optional callbacks stay NULL. */
static const struct pl_sink_ops sink = {
	.finding = on_finding, .error = on_error, .warning = on_error, .file_done = on_done};

static void cleanup(void)
{
	unlink(path);
	pl_ruleset_free(rules);
}

static int setup(void)
{
	rules = pl_ruleset_new();
	if (pl_ruleset_add_builtin(rules) < 0 || pl_ruleset_compile(rules) < 0) {
		fprintf(stderr, "fuzz_walk: %s\n", pl_error_message());
		return -1;
	}
	snprintf(path, sizeof(path), "/tmp/fuzz_walk.%d", (int)getpid());
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Compiling a few hundred rules takes Hyperscan seconds: once, outside the
 * per-input timeout. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (setup() < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	struct pl_scan_options o;
	pl_scan_options_default(&o);
	o.jobs = 1;
	o.read_ignore_files = 0;
	o.limits.max_seconds = 10;
	const char *inputs[] = {path};
	if (pl_scan_run(rules, &o, inputs, 1, &sink, NULL) < 0)
		abort(); /* a bad archive is a per-file error, never a fatal one */
	pl_error_clear();
	return 0;
}
