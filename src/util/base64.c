/* Base64 decoding shared by inspectors and validators (the decode module's
 * scanner has its own table-driven decoder for pre-validated runs). */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>

#include "util/alloc.h"
#include "util/base64.h"

int pl_base64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Decodes base64 in either alphabet (standard or URL-safe, both seen in the
 * wild), with or without padding; whitespace is skipped when skip_ws. A
 * trailing partial group gives the whole bytes it holds, so a truncated
 * token still decodes its start. Returns a new buffer (caller frees, NUL
 * added after *out_len) or NULL on any other character. */
unsigned char *pl_base64_decode(const char *s, size_t len, int skip_ws, size_t *out_len)
{
	unsigned char *out = pl_xmalloc(len / 4 * 3 + 4);
	size_t n = 0;
	uint32_t acc = 0;
	int bits = 0, padding = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (skip_ws && isspace(c))
			continue;
		if (c == '=') {
			padding = 1;
			continue;
		}
		int v = pl_base64_value(c);
		if (v < 0 || padding) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	out[n] = '\0';
	*out_len = n;
	return out;
}

