/* The walker: streams a file through archive layers (libarchive, ISA-L for
 * gzip), nested to a bounded depth, and hands every non-archive blob to the
 * caller as a stream. Nothing is written to disk; every limit is enforced
 * here. */
#ifndef PL_WALK_H
#define PL_WALK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pkgleaks/scan.h"

/* A byte source. read returns bytes read, 0 at the end, or -1 with the
 * thread's error message set. seek is NULL for streams that cannot seek. */
struct pl_stream {
	ssize_t (*read)(void *ctx, void *buf, size_t n);
	int64_t (*seek)(void *ctx, int64_t offset, int whence);
	void *ctx;
	/* What the container says the stream holds (an archive member's
	 * header), when has_size: a hint to plan buffers, never trusted. */
	uint64_t size;
	int has_size;
};

/* Reads until n bytes or the end; returns bytes read or -1. */
ssize_t pl_stream_read_full(struct pl_stream *s, void *buf, size_t n);

enum pl_blob_kind {
	PL_BLOB_DATA,    /* anything that is not a container: scanned as text */
	PL_BLOB_GZIP,    /* gzip: inflated with ISA-L, then sniffed again */
	PL_BLOB_ARCHIVE, /* tar, zip, ar, cpio, 7z, ... or bzip2/xz/zstd/lz4 compressed */
};

/* Decides by content (magic bytes) what a blob is. */
enum pl_blob_kind pl_sniff(const unsigned char *head, size_t len);
/* The container a file name suggests ("zip archive") or NULL; used only to
 * warn when the name and the content disagree. */
const char *pl_sniff_name_claim(const char *name);

/* Bytes the walker reads of every blob before handing it over: a data blob
 * with a shorter head is all in its head. */
#define PL_WALK_HEAD_SIZE (64 * 1024)

struct pl_walk_ops {
	/* A data blob: head[0, headlen) are its first bytes, the rest follows in
	 * `rest` (with the member's declared size, when known, as a hint:
	 * rest->has_size, rest->size for the whole blob). Returns 0, or negative when reading failed (message set; the
	 * walker reports it after the callback has delivered what it found). */
	int (*data)(void *ctx, const char *path, const unsigned char *head, size_t headlen,
		    struct pl_stream *rest);
	/* True when the path (inside the top-level file) is ignored. */
	int (*ignored)(void *ctx, const char *path);
	void (*error)(void *ctx, const char *path, const char *reason);
	void (*warning)(void *ctx, const char *path, const char *reason);
};

/* Nesting levels (archive layers and filters) whose head buffers are reused;
 * deeper ones allocate their own. */
#define PL_WALK_HEAD_LEVELS 16

struct pl_walk {
	const struct pl_limits *limits;
	const struct pl_walk_ops *ops;
	void *ctx;
	const char *top_name;  /* the top-level file's name, for messages */
	uint64_t source_bytes; /* bytes read from the top-level file */
	uint64_t produced;     /* bytes produced by every decompression layer */
	int64_t newest_mtime;  /* newest member mtime seen (-1: none) */
	double deadline;       /* CLOCK_MONOTONIC seconds after which reading stops */
	int stopped;           /* a limit ended this top-level file */
	int stop_reported;     /* ...and the reason was reported */
	char stop_reason[256];
	char last_error[256];  /* to report a broken stream once, not per layer */
	/* Head buffers (the sniffed first bytes of a blob), kept from one blob
	 * to the next for the walk of one file: most members of a package are
	 * small, and a malloc and free of the 64 KiB per member cost more than
	 * reading them. One per nesting level in use; pl_walk_run frees them. */
	unsigned char *heads[PL_WALK_HEAD_LEVELS];
	unsigned level; /* blobs being walked, outermost first */
};

/* Walks one top-level stream. Per-blob problems go to ops->error and the walk
 * goes on; returns negative only when the file could not be walked at all or
 * a limit stopped it (the message says which). */
int pl_walk_run(struct pl_walk *w, struct pl_stream *top);

/* Counts bytes produced by a decompression layer and enforces the archive
 * size, ratio and time limits; -1 (PL_ELIMIT message set) when one is hit. */
int pl_walk_account(struct pl_walk *w, size_t produced);

/* ISA-L gzip decoder over `in`, whose first headlen bytes were already read
 * into head. Handles concatenated members; a truncated or corrupt stream is
 * an error after every good byte was delivered. */
struct pl_gunzip;
struct pl_gunzip *pl_gunzip_new(struct pl_walk *w, struct pl_stream *in,
				const unsigned char *head, size_t headlen);
void pl_gunzip_free(struct pl_gunzip *g);
struct pl_stream pl_gunzip_stream(struct pl_gunzip *g);

double pl_now(void);

#endif
