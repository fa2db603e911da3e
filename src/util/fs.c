/* Small questions about the file system (see fs.h). */
#include <stdlib.h>
#include <sys/stat.h>

#include "util/alloc.h"
#include "util/fs.h"

int pl_fs_has(const char *dir, const char *name, mode_t type)
{
	char *path = pl_xasprintf("%s/%s", dir, name);
	struct stat st;
	int ok = stat(path, &st) == 0 && (st.st_mode & S_IFMT) == type;
	free(path);
	return ok;
}
