/* src/util/tz.h: TZ is named when unset, and a user's TZ is kept. */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "util/tz.h"

int main(void)
{
	unsetenv("TZ");
	pl_tz_pin();
	CHECK(getenv("TZ") && strcmp(getenv("TZ"), ":/etc/localtime") == 0);
	setenv("TZ", "UTC", 1);
	pl_tz_pin();
	CHECK(strcmp(getenv("TZ"), "UTC") == 0);
	TEST_MAIN_END();
}
