#include "util/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkgleaks/error.h"
#include "util/alloc.h"

void pl_buf_init(struct pl_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void pl_buf_release(struct pl_buf *b)
{
	free(b->data);
	pl_buf_init(b, b->max);
}

void pl_buf_reset(struct pl_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

int pl_buf_append(struct pl_buf *b, const void *data, size_t n)
{
	if (b->max && (n > b->max || b->len > b->max - n))
		return pl_error_set(PL_ELIMIT, "buffer limit of %zu bytes reached", b->max);
	PL_GROW(b->data, b->cap, b->len + n + 1);
	memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int pl_buf_appends(struct pl_buf *b, const char *s)
{
	return pl_buf_append(b, s, strlen(s));
}

int pl_buf_appendf(struct pl_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return pl_error_set(PL_ERROR, "formatting failed");
	int rc = pl_buf_append(b, s, (size_t)n);
	free(s);
	return rc;
}

char *pl_buf_detach(struct pl_buf *b)
{
	char *p = b->data ? b->data : pl_xstrdup("");
	size_t max = b->max;
	pl_buf_init(b, max);
	return p;
}
