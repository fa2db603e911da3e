/* Decoders: turn a blob into extra text views where secrets hide from
 * line-based scanners (UTF-16 text, compiled Python constants, JSON string
 * escapes in notebooks and configs, base64 blobs that decode to text).
 *
 * The scan module buffers a blob (bounded) when pl_decode_wants() says a
 * decoder may apply, scans the raw bytes as usual, then scans every view
 * pl_decode_views() returns. Findings from raw text and views are grouped per
 * blob, so a secret seen in both is reported once. */
#ifndef PL_DECODE_H
#define PL_DECODE_H

#include <stddef.h>
#include <stdint.h>

/* Blobs larger than this are scanned raw only. */
#define PL_DECODE_MAX_BLOB (32u * 1024 * 1024)
/* Base64 inside base64 ... at most this deep. */
#define PL_DECODE_MAX_DEPTH 2
/* Total bytes of views made from one blob (a bound on amplification). */
#define PL_DECODE_MAX_VIEW_BYTES (64u * 1024 * 1024)
/* Views made from one blob (a bound on per-view overhead: a blob of many
 * small base64 runs). */
#define PL_DECODE_MAX_VIEWS 4096

/* One decoded text. Positions of matches in it are reported as:
 * - line == 0: lines and columns counted in `text` itself (its lines are the
 *   blob's lines: UTF-16 transcoded, JSON strings unescaped in place);
 * - line > 0: every match at (line, column) of the blob — where the encoded
 *   run starts (base64) — or line = column = 0 when the blob has no lines
 *   (.pyc constants). Use PL_VIEW_NO_LINES for that case. */
struct pl_view {
	char *text;          /* owned, NUL-terminated */
	size_t len;
	const char *encoding; /* static: "utf16le", "utf16be", "pyc", "json", "base64" */
	uint64_t line, column;
};

#define PL_VIEW_NO_LINES UINT64_MAX

struct pl_views {
	struct pl_view *v;
	size_t n, cap;
	size_t total; /* bytes of all views, bounded by PL_DECODE_MAX_VIEW_BYTES */
};

/* True when a decoder may apply to this blob (by name and/or first bytes):
 * the scan then buffers the whole blob (up to PL_DECODE_MAX_BLOB). */
int pl_decode_wants(const char *path, const unsigned char *head, size_t headlen);

/* Appends to out the views of data[0, len) (path: the blob's name, for
 * choosing decoders). Hostile input yields fewer views, never a crash, an
 * unbounded allocation or a loop. Returns 0, or negative on a failure the
 * caller should report (the message is set). */
int pl_decode_views(const char *path, const unsigned char *data, size_t len,
		    struct pl_views *out);

/* When raw text should not be scanned at all (UTF-16: the raw bytes are
 * noise); the views replace it. */
int pl_decode_replaces_raw(const unsigned char *data, size_t len);

/* When the views already hold everything the raw text would show, so that
 * scanning the raw text too would only find the same secrets again: a source
 * map's unescaped view (about a fifth of an npm package's bytes). Its
 * sourcesContent holds the original sources, which the view restores
 * exactly, escapes included; the raw map holds them escaped twice, which no
 * rule reads. Other JSON keeps its raw scan: the view turns \n into a space
 * (to keep lines), which a PEM key in a service-account file needs. */
int pl_views_cover_raw(const char *path, const struct pl_views *vs);

void pl_views_release(struct pl_views *vs);

/* Split string literals ('abc' + 'def', Python's 'abc' 'def') joined into one
 * literal per chain, lines kept (src/decode/concat.c; encoding "concat"). */
int pl_decode_concat(const unsigned char *data, size_t len, struct pl_views *out);
/* True when data holds at least one such chain (cheap; for pl_decode_wants). */
int pl_decode_has_concat(const unsigned char *data, size_t len);

#endif
