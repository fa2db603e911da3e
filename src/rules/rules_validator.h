/* Loading a rule's `validator:` block (YAML) into struct pl_rule_validator.
 * Part of the rules module: it only parses and checks the block's shape;
 * src/validate/ runs it. */
#ifndef PL_RULES_VALIDATOR_H
#define PL_RULES_VALIDATOR_H

#include <yaml.h>

#include "pkgleaks/rules.h"

/* Parses the mapping node n into *out (replacing and freeing what was
 * there). On failure returns PL_EFORMAT with a message naming origin, the
 * line and rule_id. */
int pl_rule_validator_load(yaml_document_t *doc, yaml_node_t *n, const char *origin,
			   const char *rule_id, struct pl_rule_validator **out);

void pl_rule_validator_free(struct pl_rule_validator *v);

/* True when kind names a validator pkgleaks has ("http", "none", "aws-sigv4", ...). */
int pl_rule_validator_kind_known(const char *kind);

#endif
