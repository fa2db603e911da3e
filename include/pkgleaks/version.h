/* The versions of pkgleaks and of the libraries it runs on, for
 * `pkgleaks version --verbose` and bug reports. */
#ifndef PKGLEAKS_VERSION_H
#define PKGLEAKS_VERSION_H

/* One line per library, each as the library itself reports it: Hyperscan,
 * PCRE2, libarchive (with the compression libraries it was built with),
 * OpenSSL and OpenSSL's CPU line ("CPUINFO: OPENSSL_ia32cap=...", then
 * "env:<mask>" when OPENSSL_ia32cap was in effect: see src/dl/libs.c).
 * libcrypto is loaded to be asked (src/dl); when it cannot be, its line
 * says why. A new string; the caller frees it. */
char *pl_version_libraries(void);

#endif
