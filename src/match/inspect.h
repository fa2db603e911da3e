/* Offline inspection of a confirmed secret's structure: decoding what the
 * token itself says (PyPI macaroon caveats, JWT claims, the AWS account of a
 * key id, a private key's type and encryption) and rejecting values that are
 * not what they look like (a "JWT" whose parts are not JSON, a "private key"
 * OpenSSL cannot parse). A rule names its inspector with `inspect:` in YAML. */
#ifndef PL_MATCH_INSPECT_H
#define PL_MATCH_INSPECT_H

#include <stddef.h>

#include "pkgleaks/finding.h"

/* Runs the named inspector on secret[0, len). Appends key/value details
 * (owned by the finding) to f and returns 1 to keep the finding, 0 to drop it
 * as not a real secret of this kind. An unknown inspector name keeps the
 * finding and adds nothing. */
int pl_inspect(const char *inspector, const char *secret, size_t len, struct pl_finding *f);

/* True when `name` is a known inspector (the rule loader refuses others). */
int pl_inspect_known(const char *name);

/* Appends one detail (copies key and value). */
void pl_finding_add_detail(struct pl_finding *f, const char *key, const char *value);

#endif
