/* The libraries' own version strings (pkgleaks/version.h). */
#include "pkgleaks/version.h"

#include <archive.h>
#include <hs/hs.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>

#include "dl/dl_crypto.h"
#include "pkgleaks/error.h"
#include "util/alloc.h"

char *pl_version_libraries(void)
{
	char pcre2[64] = "unknown"; /* pcre2_config(3): 24 code units are enough */
	pcre2_config(PCRE2_CONFIG_VERSION, pcre2);
	char *openssl;
	if (pl_dl_crypto() == 0)
		openssl = pl_xasprintf("%s\nOpenSSL %s\n", OpenSSL_version(OPENSSL_VERSION),
				       OpenSSL_version(OPENSSL_CPU_INFO));
	else
		openssl = pl_xasprintf("OpenSSL: %s\n", pl_error_message());
	char *out = pl_xasprintf("Hyperscan %s\nPCRE2 %s\n%s\n%s", hs_version(), pcre2,
				 archive_version_details(), openssl);
	free(openssl);
	return out;
}
