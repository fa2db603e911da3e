/* Decoder dispatch (stub until the decoders land: no views). */
#include <stdlib.h>

#include "decode/decode.h"

int pl_decode_wants(const char *path, const unsigned char *head, size_t headlen)
{
	(void)path;
	(void)head;
	(void)headlen;
	return 0;
}

int pl_decode_views(const char *path, const unsigned char *data, size_t len,
		    struct pl_views *out)
{
	(void)path;
	(void)data;
	(void)len;
	(void)out;
	return 0;
}

int pl_decode_replaces_raw(const unsigned char *data, size_t len)
{
	(void)data;
	(void)len;
	return 0;
}

void pl_views_release(struct pl_views *vs)
{
	for (size_t i = 0; i < vs->n; i++)
		free(vs->v[i].text);
	free(vs->v);
	vs->v = NULL;
	vs->n = vs->cap = vs->total = 0;
}
