/* The local time zone, read once. */
#ifndef PL_UTIL_TZ_H
#define PL_UTIL_TZ_H

/* With TZ unset, glibc looks at /etc/localtime again (a stat) on every
 * localtime/mktime, and libarchive's zip reader converts each member's DOS
 * time: a wheel of 900 files made 900 system calls, 3% of its scan. With TZ
 * set to ":/etc/localtime" (the same zone, named explicitly) it reads the
 * file once. A TZ the user set is kept. Call before any other thread runs
 * (setenv). */
void pl_tz_pin(void);

#endif
