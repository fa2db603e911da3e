/* The decode module's private parts: one entry point per decoder (one file
 * each), the bounded view list they share, and the cheap probes that
 * pl_decode_wants() runs on a blob's first bytes.
 *
 * Every decoder appends its views to a struct pl_views through
 * pl_views_add(), which enforces PL_DECODE_MAX_VIEW_BYTES and
 * PL_DECODE_MAX_VIEWS. A decoder returns 0, or PL_ELIMIT (message set) when
 * that budget ran out; the views appended before that stay valid and are
 * scanned. Malformed input is never an error: a decoder keeps what it found
 * and stops. */
#ifndef PL_DECODE_INT_H
#define PL_DECODE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"

/* Takes ownership of text (malloc'd, NUL-terminated, len bytes) and appends
 * it as a view. PL_ELIMIT (text freed, message set) when the view would pass
 * the per-blob budget. */
int pl_views_add(struct pl_views *vs, char *text, size_t len, const char *encoding,
		 uint64_t line, uint64_t column);
/* Bytes a further view may still hold under PL_DECODE_MAX_VIEW_BYTES. */
size_t pl_views_room(const struct pl_views *vs);

/* ---- UTF-16 (utf16.c) ---- */
enum pl_utf16 { PL_UTF16_NONE = 0, PL_UTF16_LE, PL_UTF16_BE };

/* Byte order of UTF-16 text: by BOM (then *bom = 2), or BOM-less by the
 * NUL pattern of mostly-ASCII text in the first PL_UTF16_SNIFF bytes (every
 * other byte NUL, on one side only). bom may be NULL. */
#define PL_UTF16_SNIFF 4096
enum pl_utf16 pl_utf16_detect(const unsigned char *d, size_t len, size_t *bom);
/* Appends the UTF-8 transcoding of d as one view (line 0: its lines are the
 * blob's). Surrogate pairs are joined; a lone surrogate, a trailing odd byte
 * or U+0000 become U+FFFD (so views hold no NUL). Nothing when d is not
 * UTF-16. */
int pl_utf16_views(const unsigned char *d, size_t len, struct pl_views *out);

/* ---- compiled Python (pyc.c) ---- */
/* Size of the .pyc header (16 since 3.7, 12 for 3.3-3.6), or 0 when d does
 * not start with a known CPython 3 magic number followed by a code object. */
size_t pl_pyc_header(const unsigned char *d, size_t len);
/* Appends one view ("pyc", PL_VIEW_NO_LINES) of every text-like str/bytes
 * constant, one code object after another; see docs/internals/decode.md for
 * the exact layout. Nothing when no constant looks like text. */
int pl_pyc_views(const unsigned char *d, size_t len, struct pl_views *out);

/* ---- JSON string literals (json.c) ---- */
/* True for names the JSON decoder applies to (.json, .ipynb, ...). */
int pl_json_name(const char *path);
/* Appends one view (line 0) where every string literal is unescaped in
 * place, keeping every line on its line; nothing when d holds no escape. */
int pl_json_views(const unsigned char *d, size_t len, struct pl_views *out);

/* ---- base64 (base64.c) ---- */
/* Shortest run of base64 characters considered. */
#define PL_BASE64_MIN_RUN 32
/* True when d holds a base64 run that passes the cheap checks (not an image
 * data URI or an integrity hash, and its first bytes decode to text). */
int pl_base64_probe(const unsigned char *d, size_t len);
/* Appends a view for every base64 run in text[0, len) that decodes to
 * mostly printable text, and recursively for runs inside those, up to
 * PL_DECODE_MAX_DEPTH. with_lines: text's lines are the blob's, so views are
 * placed at the run's line and column; otherwise at PL_VIEW_NO_LINES. */
int pl_base64_views(const char *text, size_t len, int with_lines, struct pl_views *out);

#endif
