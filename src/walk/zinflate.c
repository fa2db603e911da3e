/* libarchive's zlib inflate and crc32, served by ISA-L.
 *
 * Wheels, eggs, jars and zip sdists are deflate inside zip, which libarchive
 * inflates with zlib at about 400 MB/s; ISA-L inflates the same data about
 * 2.5x faster, and its CRC32 (which libarchive checks on every entry) far
 * faster still. libarchive is linked statically with `-Wl,--wrap` for these
 * symbols (meson.build), so its calls — and only the calls of code linked
 * into pkgleaks itself, never those of libcurl or any other shared library —
 * land here. This is zlib's contract as libarchive uses it (raw deflate for
 * zip, 7z and cab, zlib streams for zisofs), not all of zlib's API:
 * every other zlib function still goes to zlib. */
#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#include <stdlib.h>
#include <zlib.h>

#include "util/cpu.h"
#include "walk/walk.h"

struct zinflate {
	struct inflate_state st;
	int flag;        /* ISAL_DEFLATE, ISAL_ZLIB or ISAL_GZIP; -1: decide on the first byte */
	int flag_asked;  /* what inflateInit2 asked for, restored by inflateReset */
	uint32_t overread; /* bytes past the end taken by an earlier call (give_back) */
};

/* zlib's windowBits: -8..-15 raw, 8..15 zlib, +16 gzip, +32 either. */
static int flag_for(int window_bits)
{
	if (window_bits < 0)
		return ISAL_DEFLATE;
	if (window_bits >= 32)
		return -1;
	return window_bits >= 16 ? ISAL_GZIP : ISAL_ZLIB;
}

static struct zinflate *state_of(z_streamp strm)
{
	return strm ? (struct zinflate *)(void *)strm->state : NULL;
}

int __wrap_inflateInit2_(z_streamp strm, int window_bits, const char *version, int size);
int __wrap_inflateInit_(z_streamp strm, const char *version, int size);
int __wrap_inflate(z_streamp strm, int flush);
int __wrap_inflateReset(z_streamp strm);
int __wrap_inflateSetDictionary(z_streamp strm, const Bytef *dict, uInt len);
int __wrap_inflateEnd(z_streamp strm);
uLong __wrap_crc32(uLong crc, const Bytef *buf, uInt len);

/* ISA-L reads input ahead, 64 bits at a time; zlib never reads past the end
 * of the stream, and libarchive relies on that to find what follows a zip
 * entry (its data descriptor). After every call the whole bytes still in
 * ISA-L's bit buffer go back to the caller's input (ISA-L reads them again
 * next time), so little is ever held over. Bytes that came from an earlier
 * call cannot go back: they are counted in z->overread. */
static void give_back(struct zinflate *z, uInt in)
{
	uint32_t unused = z->st.read_in_length > 0 ? (uint32_t)z->st.read_in_length / 8 : 0;
	uint32_t used = in - z->st.avail_in, back = unused < used ? unused : used;
	z->st.next_in -= back;
	z->st.avail_in += back;
	z->st.read_in_length -= (int32_t)(back * 8);
	if (z->st.read_in_length < 64)
		z->st.read_in &= ((uint64_t)1 << z->st.read_in_length) - 1;
	z->overread = unused - back;
}

int __wrap_inflateInit2_(z_streamp strm, int window_bits, const char *version, int size)
{
	if (!strm || !version || version[0] != ZLIB_VERSION[0] || size != (int)sizeof(z_stream))
		return Z_VERSION_ERROR;
	struct zinflate *z = calloc(1, sizeof(*z));
	if (!z)
		return Z_MEM_ERROR;
	isal_inflate_init(&z->st);
	z->flag = z->flag_asked = flag_for(window_bits);
	z->st.crc_flag = z->flag < 0 ? ISAL_DEFLATE : (uint32_t)z->flag;
	strm->state = (struct internal_state *)(void *)z;
	strm->msg = NULL;
	strm->total_in = strm->total_out = 0;
	strm->adler = 0;
	return Z_OK;
}

int __wrap_inflateInit_(z_streamp strm, const char *version, int size)
{
	return __wrap_inflateInit2_(strm, MAX_WBITS, version, size);
}

int __wrap_inflate(z_streamp strm, int flush)
{
	(void)flush; /* ISA-L always makes what progress it can, as Z_SYNC_FLUSH */
	struct zinflate *z = state_of(strm);
	if (!z || (!strm->next_in && strm->avail_in) || !strm->next_out)
		return Z_STREAM_ERROR;
	if (z->st.block_state == ISAL_BLOCK_FINISH)
		return Z_STREAM_END;
	if (z->flag < 0) {
		if (!strm->avail_in)
			return Z_BUF_ERROR;
		z->flag = strm->next_in[0] == 0x1f ? ISAL_GZIP : ISAL_ZLIB;
		z->st.crc_flag = (uint32_t)z->flag;
	}
	uInt in = strm->avail_in, out = strm->avail_out;
	z->st.next_in = (uint8_t *)strm->next_in;
	z->st.avail_in = in;
	z->st.next_out = strm->next_out;
	z->st.avail_out = out;
	int rc = isal_inflate(&z->st);
	pl_cpu_clear_upper();
	/* A call that consumed input but made nothing keeps its bytes: they are
	 * the stream's (a symbol cut by the end of the input), and zlib would
	 * count them as progress too. */
	if (out != z->st.avail_out || z->st.block_state == ISAL_BLOCK_FINISH)
		give_back(z, in);
	uInt used = in - z->st.avail_in, made = out - z->st.avail_out;
	strm->next_in += used;
	strm->avail_in = z->st.avail_in;
	strm->total_in += used;
	strm->next_out += made;
	strm->avail_out = z->st.avail_out;
	strm->total_out += made;
	if (rc == ISAL_NEED_DICT)
		return Z_NEED_DICT;
	if (rc < 0) {
		strm->msg = (char *)"invalid deflate data";
		return Z_DATA_ERROR;
	}
	if (z->st.block_state == ISAL_BLOCK_FINISH) {
		strm->adler = z->st.crc;
		if (z->overread) {
			/* What follows the stream was taken by an earlier call and
			 * cannot be returned: an error beats a misread descriptor. */
			strm->msg = (char *)"inflate read past the end of the stream";
			return Z_DATA_ERROR;
		}
		return Z_STREAM_END;
	}
	return used || made ? Z_OK : Z_BUF_ERROR;
}

int __wrap_inflateReset(z_streamp strm)
{
	struct zinflate *z = state_of(strm);
	if (!z)
		return Z_STREAM_ERROR;
	isal_inflate_reset(&z->st);
	z->overread = 0;
	z->flag = z->flag_asked;
	z->st.crc_flag = z->flag < 0 ? ISAL_DEFLATE : (uint32_t)z->flag;
	strm->msg = NULL;
	strm->total_in = strm->total_out = 0;
	strm->adler = 0;
	return Z_OK;
}

int __wrap_inflateSetDictionary(z_streamp strm, const Bytef *dict, uInt len)
{
	struct zinflate *z = state_of(strm);
	if (!z || !dict)
		return Z_STREAM_ERROR;
	return isal_inflate_set_dict(&z->st, (uint8_t *)dict, len) == COMP_OK ? Z_OK
									     : Z_STREAM_ERROR;
}

int __wrap_inflateEnd(z_streamp strm)
{
	struct zinflate *z = state_of(strm);
	if (!z)
		return Z_STREAM_ERROR;
	free(z);
	strm->state = NULL;
	return Z_OK;
}

uLong __wrap_crc32(uLong crc, const Bytef *buf, uInt len)
{
	if (!buf)
		return 0; /* zlib: the initial value */
	uLong r = crc32_gzip_refl((uint32_t)crc, buf, len);
	pl_cpu_clear_upper();
	return r;
}
