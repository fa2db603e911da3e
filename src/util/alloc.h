/* Allocation that aborts with a message on out-of-memory (git's xmalloc), so
 * callers never handle OOM and every other error can propagate. */
#ifndef PL_UTIL_ALLOC_H
#define PL_UTIL_ALLOC_H

#include <stddef.h>

void *pl_xmalloc(size_t n);
void *pl_xcalloc(size_t count, size_t size);
void *pl_xrealloc(void *p, size_t n);
/* Grows *items (of item_size) so that it holds at least need items. */
void pl_xgrow(void **items, size_t *cap, size_t need, size_t item_size);
char *pl_xstrdup(const char *s);
char *pl_xstrndup(const char *s, size_t n);
char *pl_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define PL_GROW(arr, cap, need) pl_xgrow((void **)&(arr), &(cap), (need), sizeof(*(arr)))

#endif
