/* Making untrusted names safe to print: archive member names may hold control
 * characters, escape sequences or invalid UTF-8. */
#ifndef PL_UTIL_ESCAPE_H
#define PL_UTIL_ESCAPE_H

#include <stddef.h>

/* Returns a new string (caller frees) where valid UTF-8 printable text is kept
 * and every control byte, DEL, backslash and invalid UTF-8 byte is written as
 * \xNN (backslash as \\). The result is valid, printable UTF-8. */
char *pl_escape(const char *s, size_t len);

/* pl_escape into dst[0, cap) (cap > 0), cut to what fits: a whole escape or
 * UTF-8 sequence or none of it, so the result stays valid printable UTF-8. */
void pl_escape_into(char *dst, size_t cap, const char *s, size_t len);

/* Bytes of s[0, len) that are valid printable UTF-8 (no control byte, no
 * DEL) from the start: len when all are, as in pl_escape's output. */
size_t pl_utf8_printable_len(const char *s, size_t len);

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if invalid. */
size_t pl_utf8_seq_len(const unsigned char *s, size_t avail);

#endif
