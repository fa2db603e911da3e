/* Growable byte buffers with a cap (curl's dynbuf): a buffer that grows from
 * input refuses to pass its max instead of eating memory. */
#ifndef PL_UTIL_BUF_H
#define PL_UTIL_BUF_H

#include <stddef.h>

struct pl_buf {
	char *data;  /* NUL-terminated when len > 0; owned */
	size_t len;
	size_t cap;
	size_t max;  /* largest len allowed; 0 = unlimited (only for trusted data) */
};

void pl_buf_init(struct pl_buf *b, size_t max);
void pl_buf_release(struct pl_buf *b);
void pl_buf_reset(struct pl_buf *b);
/* Appends; PL_ELIMIT when the result would pass max (nothing appended). */
int pl_buf_append(struct pl_buf *b, const void *data, size_t n);
int pl_buf_appends(struct pl_buf *b, const char *s);
int pl_buf_appendf(struct pl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the data over to the caller (who frees it) and empties the buffer;
 * never NULL. */
char *pl_buf_detach(struct pl_buf *b);

#endif
