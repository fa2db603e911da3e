/* libarchive's inflate and crc32 through ISA-L (src/walk/zinflate.c): the
 * test binary is linked with the same --wrap flags, so these zlib calls go to
 * the shim, while deflate (not wrapped) is real zlib making the inputs. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "test.h"

static unsigned char *make_input(size_t n)
{
	unsigned char *d = malloc(n);
	unsigned x = 12345;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		/* Text-like with repeats, so deflate uses matches and literals. */
		d[i] = (i / 64) % 3 ? (unsigned char)("token = 'abc';\n"[i % 15]) : (unsigned char)(x >> 24);
	}
	return d;
}

static size_t compress_with(int bits, const unsigned char *in, size_t n, unsigned char *out,
			    size_t cap)
{
	z_stream s;
	memset(&s, 0, sizeof(s));
	CHECK(deflateInit2(&s, 6, Z_DEFLATED, bits, 8, Z_DEFAULT_STRATEGY) == Z_OK);
	s.next_in = (Bytef *)in;
	s.avail_in = (uInt)n;
	s.next_out = out;
	s.avail_out = (uInt)cap;
	CHECK(deflate(&s, Z_FINISH) == Z_STREAM_END);
	size_t len = s.total_out;
	deflateEnd(&s);
	return len;
}

/* Inflates in pieces of `step` output bytes; the compressed data is followed
 * by 5 trailing bytes that must stay unread (zip's data descriptor). */
static void round_trip(int bits, size_t n, uInt step)
{
	unsigned char *in = make_input(n), *z = malloc(n * 2 + 1024), *out = malloc(n + 16);
	size_t zlen = compress_with(bits, in, n, z, n * 2 + 1024);
	memcpy(z + zlen, "TRAIL", 5);
	z_stream s;
	memset(&s, 0, sizeof(s));
	CHECK(inflateInit2(&s, bits >= 16 ? 47 : bits) == Z_OK); /* 47: gzip or zlib, detected */
	s.next_in = z;
	s.avail_in = (uInt)zlen + 5;
	int rc = Z_OK;
	size_t got = 0;
	while (rc == Z_OK && got <= n) {
		s.next_out = out + got;
		s.avail_out = step;
		rc = inflate(&s, Z_NO_FLUSH);
		got = s.total_out;
	}
	CHECK(rc == Z_STREAM_END);
	CHECK(got == n && memcmp(in, out, n) == 0);
	CHECK(s.total_in == zlen && s.avail_in == 5 && memcmp(s.next_in, "TRAIL", 5) == 0);
	CHECK(inflate(&s, Z_NO_FLUSH) == Z_STREAM_END); /* stays ended */
	/* Reset and again, as libarchive does for each zip entry. */
	CHECK(inflateReset(&s) == Z_OK);
	s.next_in = z;
	s.avail_in = (uInt)zlen;
	s.next_out = out;
	s.avail_out = (uInt)n + 16;
	CHECK(inflate(&s, Z_FINISH) == Z_STREAM_END && s.total_out == n);
	CHECK(inflateEnd(&s) == Z_OK);
	free(in);
	free(z);
	free(out);
}

/* Input a byte at a time, as libarchive does at the end of its buffer; the
 * end must still be found exactly (the 5 trailing bytes stay unread). */
static void trickle(int bits, size_t n)
{
	unsigned char *in = make_input(n), *z = malloc(n * 2 + 1024), *out = malloc(n + 16);
	size_t zlen = compress_with(bits, in, n, z, n * 2 + 1024);
	memcpy(z + zlen, "TRAIL", 5);
	z_stream s;
	memset(&s, 0, sizeof(s));
	CHECK(inflateInit2(&s, bits) == Z_OK);
	s.next_in = z;
	s.next_out = out;
	s.avail_out = (uInt)n + 16;
	int rc = Z_OK;
	size_t fed = 0;
	while (rc == Z_OK && fed < zlen + 5) {
		const Bytef *before = s.next_in;
		s.avail_in = 1;
		rc = inflate(&s, Z_NO_FLUSH);
		fed += (size_t)(s.next_in - before);
	}
	CHECK(rc == Z_STREAM_END);
	CHECK(s.total_out == n && memcmp(in, out, n) == 0);
	CHECK(s.total_in == zlen && memcmp(s.next_in, "TRAIL", 5) == 0);
	CHECK(inflateEnd(&s) == Z_OK);
	free(in);
	free(z);
	free(out);
}

static void test_corrupt(void)
{
	unsigned char *in = make_input(4096), z[8192], out[8192];
	size_t zlen = compress_with(-15, in, 4096, z, sizeof(z));
	for (size_t i = zlen / 4; i < zlen; i += 7)
		z[i] ^= 0x5a;
	z_stream s;
	memset(&s, 0, sizeof(s));
	CHECK(inflateInit2(&s, -15) == Z_OK);
	s.next_in = z;
	s.avail_in = (uInt)zlen;
	int rc = Z_OK;
	for (int i = 0; i < 100 && rc == Z_OK; i++) {
		s.next_out = out;
		s.avail_out = sizeof(out);
		rc = inflate(&s, Z_NO_FLUSH);
	}
	/* Damaged data ends in an error or a premature end, never a crash. */
	CHECK(rc == Z_DATA_ERROR || rc == Z_BUF_ERROR || rc == Z_STREAM_END);
	CHECK(inflateEnd(&s) == Z_OK);
	CHECK(inflate(NULL, Z_NO_FLUSH) == Z_STREAM_ERROR);
	free(in);
}

static void test_crc32(void)
{
	CHECK(crc32(0, NULL, 0) == 0);
	CHECK(crc32(0, (const Bytef *)"123456789", 9) == 0xCBF43926u);
	uLong c = crc32(0, (const Bytef *)"12345", 5);
	CHECK(crc32(c, (const Bytef *)"6789", 4) == 0xCBF43926u);
}

int main(void)
{
	round_trip(-15, 100000, 1);    /* raw deflate (zip), a byte at a time */
	round_trip(-15, 300000, 4093);
	round_trip(15, 70000, 777);    /* zlib stream (xar, zisofs) */
	round_trip(31, 70000, 65536);  /* gzip */
	trickle(-15, 50000);
	trickle(15, 20000);
	test_corrupt();
	test_crc32();
	TEST_MAIN_END();
}
