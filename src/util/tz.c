/* The local time zone, read once (tz.h). */
#include <stdlib.h>

#include "util/tz.h"

void pl_tz_pin(void)
{
	if (!getenv("TZ"))
		setenv("TZ", ":/etc/localtime", 1);
}
