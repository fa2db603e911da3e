/* The next of a few bytes in a text: quotes in source code, escapes and
 * quotes in JSON. They are dense (a quote every few dozen bytes of minified
 * JavaScript), so a memchr call per kind per hit costs more than the search
 * itself; one pass comparing 16 bytes a step against all kinds at once does
 * not. Inline: the decoders call it once per literal. */
#ifndef PL_DECODE_FIND_H
#define PL_DECODE_FIND_H

#include <stddef.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Index of the first byte of s[from, len) that is a, b or c (give one twice
 * to look for two); len when there is none. */
static inline size_t pl_find_any3(const unsigned char *s, size_t len, size_t from,
				  unsigned char a, unsigned char b, unsigned char c)
{
	size_t i = from;
#if defined(__SSE2__)
	const __m128i va = _mm_set1_epi8((char)a), vb = _mm_set1_epi8((char)b),
		      vc = _mm_set1_epi8((char)c);
	for (; i + 16 <= len; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, va), _mm_cmpeq_epi8(x, vb)),
					 _mm_cmpeq_epi8(x, vc));
		unsigned bits = (unsigned)_mm_movemask_epi8(m);
		if (bits)
			return i + (size_t)__builtin_ctz(bits);
	}
#endif
	for (; i < len; i++)
		if (s[i] == a || s[i] == b || s[i] == c)
			return i;
	return len;
}

#endif
