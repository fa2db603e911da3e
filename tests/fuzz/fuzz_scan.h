/* What the fuzz targets that scan a file share (fuzz_walk.c, fuzz_store.c):
 * the built-in rules, compiled once; the input written to a file; the scan's
 * options. Header-only: each target is a program of its own. */
#ifndef PL_FUZZ_SCAN_H
#define PL_FUZZ_SCAN_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "pkgleaks/error.h"
#include "pkgleaks/rules.h"
#include "pkgleaks/scan.h"

/* The built-in rules, compiled: a few hundred take Hyperscan seconds, so
 * once, from LLVMFuzzerInitialize, outside the per-input timeout. NULL (the
 * message printed) when they fail. */
static inline struct pl_ruleset *fuzz_builtin_rules(const char *who)
{
	struct pl_ruleset *rs = pl_ruleset_new();
	if (pl_ruleset_add_builtin(rs) < 0 || pl_ruleset_compile(rs) < 0) {
		fprintf(stderr, "%s: %s\n", who, pl_error_message());
		pl_ruleset_free(rs);
		return NULL;
	}
	return rs;
}

/* The input as the file path names; aborts when it cannot be written. */
static inline void fuzz_write_input(const char *path, const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
}

/* One worker, no ignore files, default limits but 10 s per file. */
static inline void fuzz_scan_options(struct pl_scan_options *o)
{
	pl_scan_options_default(o);
	o->jobs = 1;
	o->read_ignore_files = 0;
	o->limits.max_seconds = 10;
}

#endif
