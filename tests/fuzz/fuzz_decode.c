/* libFuzzer target for the decoders: the dispatch as the scan calls it, and
 * each decoder on its own (the first byte picks which), with the view
 * invariants checked: NUL-terminated at len, totals within the budget. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "decode/decode_int.h"
#include "pkgleaks/error.h"

/* A header for each code object layout, so mutations reach the reader. */
static const unsigned char headers[][16] = {
	{0x33, 0x0d, '\r', '\n'},                   /* 3.6: 12 bytes */
	{0x42, 0x0d, '\r', '\n'},                   /* 3.7 */
	{0x55, 0x0d, '\r', '\n'},                   /* 3.8 */
	{0x6f, 0x0d, '\r', '\n'},                   /* 3.10 */
	{0xa7, 0x0d, '\r', '\n'},                   /* 3.11 */
	{0xcb, 0x0d, '\r', '\n'},                   /* 3.12 */
	{0xf3, 0x0d, '\r', '\n'},                   /* 3.13 */
	{0x2b, 0x0e, '\r', '\n'},                   /* 3.14 */
};

static void check(int rc, const struct pl_views *vs)
{
	size_t total = 0;
	if (rc != 0 && rc != PL_ELIMIT)
		abort();
	for (size_t i = 0; i < vs->n; i++) {
		if (!vs->v[i].text || vs->v[i].text[vs->v[i].len] != '\0' || !vs->v[i].encoding)
			abort();
		total += vs->v[i].len;
	}
	if (total != vs->total || total > PL_DECODE_MAX_VIEW_BYTES || vs->n > PL_DECODE_MAX_VIEWS)
		abort();
}

static int with_header(const uint8_t *data, size_t size, struct pl_views *vs)
{
	if (size < 2)
		return 0;
	const unsigned char *h = headers[data[0] % (sizeof(headers) / sizeof(headers[0]))];
	size_t hl = h[0] == 0x33 ? 12 : 16;
	unsigned char *buf = malloc(hl + size);
	if (!buf)
		abort();
	memcpy(buf, h, hl);
	memcpy(buf + hl, data + 1, size - 1);
	buf[hl] = 'c' | (buf[hl] & 0x80);
	int rc = pl_pyc_views(buf, hl + size - 1, vs);
	free(buf);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"a.txt", "m.cpython-311.pyc", "n.ipynb", "p.json", ""};
	if (size < 1)
		return 0;
	unsigned mode = data[0];
	data++;
	size--;
	struct pl_views vs = {0};
	int rc;
	switch (mode % 6) {
	case 0:
		rc = with_header(data, size, &vs);
		break;
	case 1:
		rc = pl_json_views(data, size, &vs);
		break;
	case 2:
		rc = pl_base64_views((const char *)data, size, mode & 0x80, &vs);
		break;
	case 3:
		rc = pl_utf16_views(data, size, &vs);
		break;
	default: {
		const char *name = names[(mode >> 3) % (sizeof(names) / sizeof(names[0]))];
		(void)pl_decode_wants(name, data, size);
		(void)pl_decode_replaces_raw(data, size);
		rc = pl_decode_views(name, data, size, &vs);
	}
	}
	check(rc, &vs);
	pl_views_release(&vs);
	pl_error_clear();
	return 0;
}
