#include "pkgleaks/error.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char message[1024];

int pl_error_set(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	return code;
}

const char *pl_error_message(void)
{
	return message;
}

void pl_error_clear(void)
{
	message[0] = '\0';
}
