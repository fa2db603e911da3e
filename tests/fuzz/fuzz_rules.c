/* libFuzzer target for the rule loader: YAML text to a ruleset. Small inputs
 * are also compiled (Hyperscan + PCRE2), where a bad pattern must come back
 * as an error, not a crash; large ones only loaded, so the fuzzer does not
 * spend its time in regex compilers. */
#include <stdint.h>
#include <stdlib.h>

#include "pkgleaks/error.h"
#include "pkgleaks/rules.h"

#define COMPILE_BELOW 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl_ruleset *rs = pl_ruleset_new();
	int rc = pl_ruleset_add_yaml(rs, (const char *)data, size, "fuzz");
	if (rc == 0 && size < COMPILE_BELOW && pl_ruleset_count(rs) <= 4)
		rc = pl_ruleset_compile(rs);
	if (rc > 0)
		abort(); /* 0 or a negative code, nothing else */
	pl_ruleset_free(rs);
	pl_error_clear();
	return 0;
}
