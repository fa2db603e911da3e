/* Base64 in either alphabet (standard or URL-safe, both seen in the wild). */
#ifndef PL_UTIL_BASE64_H
#define PL_UTIL_BASE64_H

#include <stddef.h>

/* Value of one character (0-63), or -1. '+'/'-' are 62, '/'/'_' are 63. */
int pl_base64_value(unsigned char c);

/* Decodes with or without padding; whitespace is skipped when skip_ws. A
 * trailing partial group gives the whole bytes it holds, so a truncated
 * token still decodes its start. Returns a new buffer (caller frees; a NUL
 * follows the *out_len bytes) or NULL on any other character or on data
 * after padding. */
unsigned char *pl_base64_decode(const char *s, size_t len, int skip_ws, size_t *out_len);

#endif
