/* Functions that invite buffer overruns: using one is a compile error
 * (git's banned.h). Included in every library and CLI file by the build. */
#ifndef PL_UTIL_BANNED_H
#define PL_UTIL_BANNED_H

#define PL_BANNED(func) sorry_##func##_is_banned_use_a_bounded_alternative

#undef strcpy
#define strcpy(x, y) PL_BANNED(strcpy)
#undef strcat
#define strcat(x, y) PL_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) PL_BANNED(strncpy)
#undef sprintf
#define sprintf(...) PL_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) PL_BANNED(vsprintf)
#undef gets
#define gets(x) PL_BANNED(gets)
#undef strtok
#define strtok(x, y) PL_BANNED(strtok)

#endif
