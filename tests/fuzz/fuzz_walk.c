/* libFuzzer target for the archive walker, through the public scan API: the
 * input is written to a temporary file and scanned with the built-in rules
 * (compiled once), one worker, default limits but 10 s per file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz_scan.h"
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
	rules = fuzz_builtin_rules("fuzz_walk");
	if (!rules)
		return -1;
	snprintf(path, sizeof(path), "/tmp/fuzz_walk.%d", (int)getpid());
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	fuzz_write_input(path, data, size);
	struct pl_scan_options o;
	fuzz_scan_options(&o);
	const char *inputs[] = {path};
	if (pl_scan_run(rules, &o, inputs, 1, &sink, NULL) < 0)
		abort(); /* a bad archive is a per-file error, never a fatal one */
	pl_error_clear();
	return 0;
}
