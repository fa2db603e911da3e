/* Bytes as lower-case hexadecimal (digests, keys, ids). */
#ifndef PL_UTIL_HEX_H
#define PL_UTIL_HEX_H

#include <stddef.h>

/* Writes the 2 * n digits of d[0, n) and a NUL to out (2 * n + 1 bytes). */
void pl_hex_encode(const unsigned char *d, size_t n, char *out);

#endif
