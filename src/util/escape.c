#include "util/escape.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

size_t pl_utf8_seq_len(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0];
	size_t n;
	unsigned int min;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, min = 0x10000;
	else
		return 0;
	if (avail < n)
		return 0;
	unsigned int cp = c & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	/* C1 controls and bidi overrides could reorder or hide what a terminal shows. */
	if ((cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069))
		return 0;
	return n;
}

size_t pl_utf8_printable_len(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		size_t k = u[i] < 0x20 || u[i] == 0x7f ? 0 : pl_utf8_seq_len(u + i, len - i);
		if (!k)
			break;
		i += k;
	}
	return i;
}

char *pl_escape(const char *s, size_t len)
{
	struct pl_buf b;
	pl_buf_init(&b, 0);
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		size_t n = pl_utf8_seq_len(u + i, len - i);
		int ok = n > 1 || (n == 1 && u[i] >= 0x20 && u[i] != 0x7f && u[i] != '\\');
		if (ok) {
			(void)pl_buf_append(&b, u + i, n);
			i += n;
		} else if (u[i] == '\\') {
			(void)pl_buf_append(&b, "\\\\", 2);
			i++;
		} else {
			char esc[5];
			snprintf(esc, sizeof(esc), "\\x%02x", u[i]);
			(void)pl_buf_append(&b, esc, 4);
			i++;
		}
	}
	return pl_buf_detach(&b);
}

/* Bytes of the unit of pl_escape's output at e: \xNN, \\ or one UTF-8 sequence. */
static size_t escaped_unit(const char *e, size_t avail)
{
	if (e[0] == '\\')
		return e[1] == 'x' ? 4 : 2;
	size_t n = pl_utf8_seq_len((const unsigned char *)e, avail);
	return n ? n : 1;
}

void pl_escape_into(char *dst, size_t cap, const char *s, size_t len)
{
	char *e = pl_escape(s, len);
	size_t n = strlen(e), keep = 0;
	while (keep < n) {
		size_t u = escaped_unit(e + keep, n - keep);
		if (keep + u > cap - 1)
			break;
		keep += u;
	}
	memcpy(dst, e, keep);
	dst[keep] = '\0';
	free(e);
}
