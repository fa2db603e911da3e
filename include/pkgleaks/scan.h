/* The scan pipeline: inputs (files, directories, stdin) to findings.
 *
 * pl_scan_run() walks every input with `jobs` worker threads; each file is
 * sniffed by content, archives are streamed through libarchive (nested up to
 * max_depth), text is matched in bounded chunks, and every finding and
 * per-file error goes to the sink, serialised by the scan. */
#ifndef PKGLEAKS_SCAN_H
#define PKGLEAKS_SCAN_H

#include <stdint.h>
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

/* What the scan learnt about one top-level file (an artifact). */
struct pl_file_facts {
	uint64_t size;          /* bytes of the file as read */
	uint64_t bytes_scanned; /* bytes matched, all layers together */
	char sha256[65];        /* hex SHA-256 of the file; "" unless hash_inputs */
	int64_t newest_mtime;   /* newest member modification time (Unix s), -1 if none */
	int stopped_by_limit;   /* a limit ended the scan of this file early */
};

/* Where results go. Called with the scan's lock held, from worker threads.
 * For one top-level file, every finding, error and metadata call comes
 * before its file_done/file_facts. */
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
	 * a gem's metadata.gz), its text bounded to 1 MiB. */
	void (*metadata)(void *ctx, const char *source, const char *path, const char *text,
			 size_t len);
	/* Optional: content-addressed dedup of blobs (files inside packages)
	 * up to PL_BLOB_DEDUP_MAX bytes. blob_seen is asked first with the
	 * blob's hex SHA-256: returning 1 means it was already matched under
	 * this ruleset, so the scan skips it and the sink records its
	 * occurrences itself. Otherwise the blob is matched, its findings are
	 * delivered, then blob_done says which hash they belong to. */
	int (*blob_seen)(void *ctx, const char *source, const char *path, const char *sha256);
	void (*blob_done)(void *ctx, const char *source, const char *path, const char *sha256);
};

#define PL_BLOB_DEDUP_MAX (4u * 1024 * 1024)

struct pl_scan_options {
	unsigned jobs;               /* worker threads; 0 = number of cores */
	struct pl_limits limits;
	const char *const *ignore;   /* path globs (NULL-terminated), as .pkgleaksignore */
	int read_ignore_files;       /* also read .pkgleaksignore in cwd and directory inputs */
	int hash_inputs;             /* compute each top-level file's SHA-256 (file_facts) */
};

/* True when an archive member path names package metadata (see metadata). */
int pl_scan_is_metadata(const char *path);

void pl_scan_options_default(struct pl_scan_options *o);

/* Scans every input ("-" is stdin). Returns 0 when the scan ran (findings and
 * per-file errors go to the sink) or a negative code on a fatal error. */
int pl_scan_run(const struct pl_ruleset *rs, const struct pl_scan_options *opt,
		const char *const *inputs, size_t ninputs, const struct pl_sink_ops *sink,
		void *sink_ctx);

/* Live counters for a progress line; safe to read from another thread. */
struct pl_scan_progress {
	uint64_t files, bytes, findings, errors;
};
const struct pl_scan_progress *pl_scan_progress_get(void);

#endif
