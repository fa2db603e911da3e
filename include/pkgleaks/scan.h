/* The scan pipeline: inputs (files, directories, stdin) to findings.
 *
 * pl_scan_run() walks every input with `jobs` worker threads; each file is
 * sniffed by content, archives are streamed through libarchive (nested up to
 * max_depth), text is matched in bounded chunks, and every finding and
 * per-file error goes to the sink, serialised by the scan. */
#ifndef PKGLEAKS_SCAN_H
#define PKGLEAKS_SCAN_H

#include <stdint.h>
#include <sys/types.h>

#include "pkgleaks/finding.h"
#include "pkgleaks/rules.h"

/* Safety limits; every one has a default (pl_limits_default) and a flag. */
struct pl_limits {
	unsigned max_depth;          /* archives nested in archives (default 8) */
	uint64_t max_entry_bytes;    /* uncompressed bytes read from one entry (default 256 MiB) */
	uint64_t max_archive_bytes;  /* uncompressed bytes read from one archive (default 4 GiB) */
	double max_ratio;            /* uncompressed / compressed per archive (default 200) */
	uint64_t ratio_floor;        /* ratio checked only past this many bytes (default 8 MiB) */
	uint64_t max_entries;        /* entries per archive (default 100000) */
	double max_seconds;          /* wall seconds per top-level file (default 300) */
};

void pl_limits_default(struct pl_limits *l);

/* What a package index says about an input it serves (pl_scan_streams):
 * sinks prefer it to what they parse from the file. Strings are borrowed
 * for as long as the input is being scanned; NULL (or -1) when unknown. */
struct pl_artifact_meta {
	const char *ecosystem; /* "pypi", "npm" */
	const char *project, *version;
	const char *filename;  /* as the index names it */
	const char *url;       /* where it was downloaded from */
	const char *sha256;    /* hex SHA-256 the index gives (PyPI), verified */
	int64_t upload_time;   /* Unix seconds */
	int yanked;            /* 1 yanked, 0 not, -1 unknown (npm has no yanking) */
};

/* What the scan learnt about one top-level file (an artifact). */
struct pl_file_facts {
	uint64_t size;          /* bytes of the file as read */
	uint64_t bytes_scanned; /* bytes matched, all layers together */
	char sha256[65];        /* hex SHA-256 of the file; "" unless hash_inputs */
	int64_t newest_mtime;   /* newest member modification time (Unix s), -1 if none */
	int stopped_by_limit;   /* a limit ended the scan of this file early */
	/* Streamed inputs only (NULL / 0 for files): the index's identity of
	 * the input, and whether it failed to arrive whole and verified (a 404,
	 * a timeout, a hash mismatch: the reason went to the sink's error with
	 * an empty path, and sha256 then describes only what arrived). */
	const struct pl_artifact_meta *meta;
	int fetch_failed;
};

/* Where results go. Called from worker threads, with the scan's lock held,
 * except metadata, the blob events and file_write: those come without it,
 * from the worker scanning the file (a sink serialises them itself; they
 * are most of a store's calls, thousands per scan, and held the lock long
 * enough for the other workers to queue on it). For one top-level file,
 * every call comes from one worker, and every finding, error, metadata and
 * blob call comes before its file_done/file_facts. */
struct pl_sink_ops {
	/* Takes ownership of f. */
	void (*finding)(void *ctx, struct pl_finding *f);
	/* A per-file problem: source, path inside it ("" if none), reason. */
	void (*error)(void *ctx, const char *source, const char *path, const char *reason);
	/* A non-fatal remark (e.g. a name that lies about the content). */
	void (*warning)(void *ctx, const char *source, const char *path, const char *reason);
	/* One top-level file finished; bytes is what was matched. */
	void (*file_done)(void *ctx, const char *source, uint64_t bytes);
	/* Optional (may be NULL): the same moment, with everything known. */
	void (*file_facts)(void *ctx, const char *source, const struct pl_file_facts *facts);
	/* Optional (may be NULL): a package metadata file met inside the file
	 * (PKG-INFO, *.dist-info/METADATA, package/package.json, a .deb's control,
	 * a gem's metadata.gz), its text bounded to 1 MiB. Without the lock. */
	void (*metadata)(void *ctx, const char *source, const char *path, const char *text,
			 size_t len);
	/* Optional: content-addressed dedup of blobs (files inside packages)
	 * up to PL_BLOB_DEDUP_MAX bytes, named by a keyed hash of their bytes
	 * (the blob id: PL_BLOB_ID_LEN hex digits; see blob_key in
	 * pl_scan_options). blob_seen is asked first with the blob's id:
	 * returning 1 means it was already matched under this ruleset, so the
	 * scan skips it and the sink records its occurrences itself. Otherwise
	 * the blob is matched, its findings are delivered, then blob_done says
	 * which id they belong to and the blob's size in bytes. All three come
	 * without the lock. */
	int (*blob_seen)(void *ctx, const char *source, const char *path, const char *blob_id);
	/* Optional, with blob_seen: asked first when the blob's size is known
	 * (all of it in the walk's head, or an archive member's declared size):
	 * 1 when the sink has recorded no blob of that size, so this one is new
	 * whatever its bytes. The scan then matches it as it streams (no
	 * buffering: a first scan costs little more than a scan without a
	 * store) and gives its id to blob_done at the end, as after a
	 * blob_seen that said 0. A declared size that lies costs a match, never
	 * a skip. */
	int (*blob_size_new)(void *ctx, const char *source, const char *path, uint64_t size);
	void (*blob_done)(void *ctx, const char *source, const char *path, const char *blob_id,
			  uint64_t size);
	/* Optional (may be NULL): called right after file_facts, in the same
	 * worker thread but WITHOUT the lock that serialises every other call,
	 * for slow work that must not hold up the other workers (the store
	 * writing the artifact). The sink serialises it itself. */
	void (*file_write)(void *ctx, const char *source);
	/* Optional (may be NULL): the calling worker has no more files to take
	 * and is about to end; once per worker, without the lock. A sink that
	 * holds work back (the store's write batch and open group) does it
	 * now, while the other workers finish their last files, instead of
	 * after them. */
	void (*worker_idle)(void *ctx);
};

#define PL_BLOB_DEDUP_MAX (4u * 1024 * 1024)
/* A blob id is the GMAC tag (AES-128-GCM over the blob as additional data,
 * nothing encrypted) of the blob's bytes under a secret per-store key: 15
 * GB/s with OpenSSL's carry-less multiply, where SHA-256 ran at 1.7 and
 * was most of the cost of a store and Poly1305 at 7, and still not
 * forgeable: GHASH is a universal hash, so without the key nobody can make
 * a blob whose id equals another's, and a package cannot hide a secret
 * behind the id of a clean file (a plain fast hash would allow that). The
 * key (PL_BLOB_GMAC_KEY_LEN bytes of AES key, then the 12-byte nonce, the
 * same for every blob: the tags are never shown to anyone who could use
 * that) must stay as private as the store. */
#define PL_BLOB_KEY_LEN 32
#define PL_BLOB_GMAC_KEY_LEN 16
#define PL_BLOB_ID_LEN 32

struct pl_scan_options {
	unsigned jobs;               /* worker threads; 0 = number of cores */
	struct pl_limits limits;
	const char *const *ignore;   /* path globs (NULL-terminated), as .pkgleaksignore */
	int read_ignore_files;       /* also read .pkgleaksignore in cwd and directory inputs */
	int hash_inputs;             /* compute each top-level file's SHA-256 (file_facts) */
	/* PL_BLOB_KEY_LEN bytes naming blobs for a sink with blob_seen (which
	 * needs it: a scan without one does not deduplicate); borrowed. */
	const unsigned char *blob_key;
};

/* True when an archive member path names package metadata (see metadata). */
int pl_scan_is_metadata(const char *path);

void pl_scan_options_default(struct pl_scan_options *o);

/* Loads libcrypto and looks up SHA-256 and AES-GCM (what hash_inputs and
 * blob dedup use) in a thread of its own, so that this costs no wall time
 * while the caller loads its rules: about 3 ms, which a scan with a store
 * otherwise spent first in the main thread, then in a worker that the
 * other waited for. pl_scan_run and pl_scan_streams wait for it; a caller
 * that does not reach them calls pl_scan_preload_wait before it returns.
 * A failure shows when the scan loads libcrypto itself. */
void pl_scan_preload_crypto(void);
void pl_scan_preload_wait(void);

/* Scans every input ("-" is stdin). Returns 0 when the scan ran (findings and
 * per-file errors go to the sink) or a negative code on a fatal error. */
int pl_scan_run(const struct pl_ruleset *rs, const struct pl_scan_options *opt,
		const char *const *inputs, size_t ninputs, const struct pl_sink_ops *sink,
		void *sink_ctx);

/* ---- inputs that are streams (registry downloads) ----
 *
 * An input the caller produces while the scan runs. read returns bytes
 * read, 0 at the end, or -1 with the thread's error message set (a
 * download that broke off); it may block until bytes arrive. seek is NULL
 * for a stream that cannot seek; a seekable one lets zip archives (wheels)
 * read their central directory, and may block until the end is there. */
struct pl_scan_input {
	const char *name; /* the source name in reports (a URL); borrowed until done */
	ssize_t (*read)(void *ctx, void *buf, size_t n);
	int64_t (*seek)(void *ctx, int64_t offset, int whence);
	/* After the walk: NULL when the input arrived whole (and matched the
	 * index's hash), else why not. Fills *size and sha256 when the source
	 * knows them (a seekable input must: the scan hashes only what it reads
	 * in order). */
	const char *(*finish)(void *ctx, uint64_t *size, char sha256[65]);
	void *ctx;
	const struct pl_artifact_meta *meta; /* may be NULL */
};

/* Where pl_scan_streams takes its inputs from. Both are called from worker
 * threads, without the scan's lock. */
struct pl_scan_feed {
	/* Blocks until an input is ready: 1 with *in filled, 0 when there will
	 * be no more, negative on a fatal error (message set). */
	int (*next)(void *ctx, struct pl_scan_input *in);
	/* Every sink call for in (file_facts last) has been made. */
	void (*done)(void *ctx, struct pl_scan_input *in, const struct pl_file_facts *facts);
	void *ctx;
};

/* Scans inputs from the feed with opt->jobs workers until next says there
 * are no more; otherwise as pl_scan_run (ignore files are not read: globs
 * come from opt->ignore only). */
int pl_scan_streams(const struct pl_ruleset *rs, const struct pl_scan_options *opt,
		    const struct pl_scan_feed *feed, const struct pl_sink_ops *sink,
		    void *sink_ctx);

/* Live counters for a progress line; safe to read from another thread. */
struct pl_scan_progress {
	uint64_t files, bytes, findings, errors;
};
const struct pl_scan_progress *pl_scan_progress_get(void);

#endif
