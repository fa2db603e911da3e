/* Content sniffing: archives are recognised by their magic bytes, never by
 * their names (a .whl may be anything). */
#include <string.h>
#include <strings.h>

#include "walk/walk.h"

static int has(const unsigned char *h, size_t len, size_t off, const char *magic, size_t n)
{
	return len >= off + n && memcmp(h + off, magic, n) == 0;
}

enum pl_blob_kind pl_sniff(const unsigned char *h, size_t len)
{
	if (has(h, len, 0, "\x1f\x8b\x08", 3))
		return PL_BLOB_GZIP;
	if (has(h, len, 0, "PK\x03\x04", 4) || has(h, len, 0, "PK\x05\x06", 4) ||
	    has(h, len, 0, "PK\x07\x08", 4))
		return PL_BLOB_ARCHIVE;
	if (has(h, len, 257, "ustar", 5))
		return PL_BLOB_ARCHIVE;
	if (has(h, len, 0, "!<arch>\n", 8))
		return PL_BLOB_ARCHIVE;
	if (has(h, len, 0, "BZh", 3) && len > 3 && h[3] >= '1' && h[3] <= '9')
		return PL_BLOB_ARCHIVE;
	if (has(h, len, 0, "\xfd" "7zXZ\x00", 6))
		return PL_BLOB_ARCHIVE;
	if (has(h, len, 0, "\x28\xb5\x2f\xfd", 4))
		return PL_BLOB_ARCHIVE; /* zstd */
	if (has(h, len, 0, "\x04\x22\x4d\x18", 4))
		return PL_BLOB_ARCHIVE; /* lz4 */
	if (has(h, len, 0, "7z\xbc\xaf\x27\x1c", 6))
		return PL_BLOB_ARCHIVE;
	if (has(h, len, 0, "070701", 6) || has(h, len, 0, "070707", 6) ||
	    has(h, len, 0, "\xc7\x71", 2))
		return PL_BLOB_ARCHIVE; /* cpio */
	if (has(h, len, 0, "Rar!\x1a\x07", 6))
		return PL_BLOB_ARCHIVE;
	return PL_BLOB_DATA;
}

const char *pl_sniff_name_claim(const char *name)
{
	static const struct {
		const char *suffix, *claim;
	} table[] = {
		{".whl", "zip archive"}, {".zip", "zip archive"}, {".egg", "zip archive"},
		{".jar", "zip archive"}, {".tar.gz", "gzip archive"}, {".tgz", "gzip archive"},
		{".gz", "gzip file"},    {".tar", "tar archive"},     {".deb", "ar archive"},
		{".gem", "tar archive"}, {".tar.bz2", "bzip2 archive"}, {".tar.xz", "xz archive"},
		{".tar.zst", "zstd archive"},
	};
	size_t n = strlen(name);
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		size_t k = strlen(table[i].suffix);
		/* The dot first: strcasecmp only where a suffix can be. */
		if (n > k && name[n - k] == '.' && strcasecmp(name + n - k, table[i].suffix) == 0)
			return table[i].claim;
	}
	return NULL;
}
