/* UTF-16 text (Windows tools write .reg, .ps1, .config and logs this way):
 * raw bytes interleave NULs with ASCII, so no pattern matches them. The view
 * is the UTF-8 transcoding, line for line. */
#include <stdlib.h>
#include <string.h>

#include "decode/decode_int.h"
#include "pkgleaks/error.h"
#include "util/alloc.h"

/* BOM-less detection, in code units of the sniffed head: NUL high bytes on
 * at least this share (mostly-ASCII text has them on nearly all), NUL low
 * bytes on at most this share (rare in text, half of UTF-32 units). */
#define MIN_ASCII_SHARE 60
#define MAX_OTHER_NUL_SHARE 5
/* Control characters (other than tab and line ends) allowed, in percent. */
#define MAX_CONTROL_SHARE 5
/* Fewer code units than this are too few to judge without a BOM. */
#define MIN_UNITS 8

static unsigned unit_at(const unsigned char *p, enum pl_utf16 order)
{
	return order == PL_UTF16_LE ? (unsigned)p[0] | (unsigned)p[1] << 8
				    : (unsigned)p[0] << 8 | (unsigned)p[1];
}

static int is_control(unsigned u)
{
	return (u < 0x20 && u != '\t' && u != '\n' && u != '\r') || u == 0x7f;
}

/* Whether the units of d read in this order look like text (few controls,
 * NUL counted as one). */
static int units_look_textual(const unsigned char *d, size_t len, enum pl_utf16 order)
{
	size_t units = len / 2, controls = 0;
	for (size_t i = 0; i < units; i++)
		controls += is_control(unit_at(d + 2 * i, order));
	return controls * 100 <= units * MAX_CONTROL_SHARE;
}

static enum pl_utf16 detect_bomless(const unsigned char *d, size_t len)
{
	size_t n = (len < PL_UTF16_SNIFF ? len : PL_UTF16_SNIFF) & ~(size_t)1;
	size_t units = n / 2, even_nul = 0, odd_nul = 0;
	/* Most blobs have no NUL at all: one memchr settles them. */
	if (units < MIN_UNITS || !memchr(d, 0, n))
		return PL_UTF16_NONE;
	for (size_t i = 0; i < n; i += 2) {
		even_nul += d[i] == 0;
		odd_nul += d[i + 1] == 0;
	}
	enum pl_utf16 order = PL_UTF16_NONE;
	if (odd_nul * 100 >= units * MIN_ASCII_SHARE && even_nul * 100 <= units * MAX_OTHER_NUL_SHARE)
		order = PL_UTF16_LE;
	else if (even_nul * 100 >= units * MIN_ASCII_SHARE &&
		 odd_nul * 100 <= units * MAX_OTHER_NUL_SHARE)
		order = PL_UTF16_BE;
	return order && units_look_textual(d, n, order) ? order : PL_UTF16_NONE;
}

enum pl_utf16 pl_utf16_detect(const unsigned char *d, size_t len, size_t *bom)
{
	if (bom)
		*bom = 0;
	if (len >= 2 && ((d[0] == 0xff && d[1] == 0xfe) || (d[0] == 0xfe && d[1] == 0xff))) {
		enum pl_utf16 order = d[0] == 0xff ? PL_UTF16_LE : PL_UTF16_BE;
		size_t n = len - 2 < PL_UTF16_SNIFF ? len - 2 : PL_UTF16_SNIFF;
		/* FF FE 00 00 starts UTF-32LE; binaries may start with FF FE too. */
		if (!units_look_textual(d + 2, n & ~(size_t)1, order))
			return PL_UTF16_NONE;
		if (bom)
			*bom = 2;
		return order;
	}
	return detect_bomless(d, len);
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

#define REPLACEMENT 0xfffd

/* Code point at d[*i] (advancing *i past one or two units). */
static unsigned next_cp(const unsigned char *d, size_t units, size_t *i, enum pl_utf16 order)
{
	unsigned u = unit_at(d + 2 * *i, order);
	(*i)++;
	if (u == 0)
		return REPLACEMENT; /* views are C strings too */
	if (u < 0xd800 || u > 0xdfff)
		return u;
	if (u >= 0xdc00 || *i >= units)
		return REPLACEMENT;
	unsigned lo = unit_at(d + 2 * *i, order);
	if (lo < 0xdc00 || lo > 0xdfff)
		return REPLACEMENT; /* the next unit is read on its own */
	(*i)++;
	return 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
}

int pl_utf16_views(const unsigned char *d, size_t len, struct pl_views *out)
{
	size_t bom;
	enum pl_utf16 order = pl_utf16_detect(d, len, &bom);
	if (order == PL_UTF16_NONE)
		return 0;
	d += bom;
	len -= bom;
	/* Each unit gives at most 3 bytes (a pair of them 4), plus U+FFFD for
	 * an odd byte: the exact bound, so no growth and no check per unit. */
	size_t units = len / 2, room = pl_views_room(out);
	int cut = units * 3 + 4 > room;
	if (cut) {
		if (room < 8)
			return pl_error_set(PL_ELIMIT, "decode budget spent; UTF-16 text not scanned");
		units = (room - 4) / 3;
		len = units * 2;
	}
	size_t cap = units * 3 + 4;
	char *text = pl_xmalloc(cap), *o = text;
	for (size_t i = 0; i < units;)
		o += put_utf8(o, next_cp(d, units, &i, order));
	if (len & 1)
		o += put_utf8(o, REPLACEMENT);
	*o = '\0';
	int rc = pl_views_add(out, text, (size_t)(o - text),
			      order == PL_UTF16_LE ? "utf16le" : "utf16be", 0, 0);
	if (rc == 0 && cut)
		rc = pl_error_set(PL_ELIMIT, "UTF-16 text passes the decode budget; the rest not scanned");
	return rc;
}
