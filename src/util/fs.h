/* Small questions about the file system. */
#ifndef PL_UTIL_FS_H
#define PL_UTIL_FS_H

#include <sys/types.h>

/* Whether dir/name exists and is of type (S_IFREG, S_IFDIR; symbolic
 * links followed, as stat(2) does). */
int pl_fs_has(const char *dir, const char *name, mode_t type);

#endif
