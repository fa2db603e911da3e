/* The scan module's private parts: per-thread chunked matching of data blobs
 * into findings, and path ignores. */
#ifndef PL_SCAN_INT_H
#define PL_SCAN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"
#include "pkgleaks/match.h"
#include "pkgleaks/scan.h"
#include "walk/walk.h"

/* Text is matched in chunks of this size; the last PL_CHUNK_OVERLAP bytes of
 * a chunk are matched again at the start of the next, so a secret up to that
 * long is never cut in two. Memory per worker is bounded by these. */
#define PL_CHUNK_SIZE (8 * 1024 * 1024)
#define PL_CHUNK_OVERLAP (64 * 1024)
/* Per blob: distinct findings kept, and positions kept per finding. */
#define PL_MAX_FINDINGS_PER_BLOB 10000
#define PL_MAX_POSITIONS 1000

/* Emits a finding (ownership passes) or an error; implemented by scan.c,
 * which serialises the sink. */
struct pl_emitter {
	void (*finding)(void *ctx, struct pl_finding *f);
	void (*error)(void *ctx, const char *path, const char *reason);
	void *ctx;
};

/* Per-thread matching state for data blobs. */
struct pl_chunker;
int pl_chunker_new(const struct pl_ruleset *rs, struct pl_chunker **out);
void pl_chunker_free(struct pl_chunker *c);

/* A blob is matched between begin and end: its raw stream and any decoded
 * views; findings are grouped by (rule, secret) over all of them and emitted
 * by pl_chunker_end, also after a read error (what was found still counts). */
void pl_chunker_begin(struct pl_chunker *c);
/* Matches head bytes, then the rest of the stream; adds bytes matched to
 * *bytes. -1 when reading failed (message set). */
int pl_chunker_feed_stream(struct pl_chunker *c, const unsigned char *head, size_t headlen,
			   struct pl_stream *rest, uint64_t *bytes);
/* Matches raw text that is all in memory, where it lies (no copy); adds len
 * to *bytes. */
int pl_chunker_feed_memory(struct pl_chunker *c, const char *text, size_t len, uint64_t *bytes);
/* Matches one decoded view (decode/decode.h); positions follow its rules. */
int pl_chunker_feed_view(struct pl_chunker *c, const struct pl_view *v);
void pl_chunker_end(struct pl_chunker *c, const char *source, const char *path,
		    const struct pl_emitter *em);

/* begin + feed_stream + end, for a blob with no views. */
int pl_chunker_scan_blob(struct pl_chunker *c, const char *source, const char *path,
			 const unsigned char *head, size_t headlen, struct pl_stream *rest,
			 const struct pl_emitter *em, uint64_t *bytes);

/* Path globs (.pkgleaksignore lines and --ignore). */
struct pl_ignore;
struct pl_ignore *pl_ignore_new(void);
void pl_ignore_free(struct pl_ignore *ig);
void pl_ignore_add(struct pl_ignore *ig, const char *glob);
/* Adds the lines of a .pkgleaksignore file; a missing file is not an error. */
int pl_ignore_add_file(struct pl_ignore *ig, const char *path);
/* True when source (on disk) or path (inside archives) matches a glob. */
int pl_ignore_match(const struct pl_ignore *ig, const char *source, const char *path);

/* What kind of file a location is, for researchers who count leaks in tests
 * and docs apart from code: "code", "config", "test", "docs", "example" or
 * "other". Decided from the path inside archives (or the source when empty). */
const char *pl_path_kind(const char *source, const char *path);

#endif
