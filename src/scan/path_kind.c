/* Classifying where a file sits (stub; see scan_int.h). */
#include "scan/scan_int.h"

const char *pl_path_kind(const char *source, const char *path)
{
	(void)source;
	(void)path;
	return "other";
}
