/* The validator kinds (one backend per file) and the example keys that are
 * never sent anywhere. */
#include <string.h>

#include "validate/validate_int.h"

static const struct pl_validator_ops *const registry[] = {
	&pl_vops_http,  &pl_vops_aws,   &pl_vops_azure_storage, &pl_vops_gcp,
	&pl_vops_pypi,  &pl_vops_postgres, &pl_vops_mysql,      &pl_vops_redis,
	&pl_vops_mongodb, &pl_vops_amqp,
};

const struct pl_validator_ops *pl_validator_ops_find(const char *kind)
{
	for (size_t i = 0; kind && i < sizeof(registry) / sizeof(registry[0]); i++)
		if (strcmp(registry[i]->kind, kind) == 0)
			return registry[i];
	return NULL;
}

/* Keys published in vendors' documentation and local emulators: whoever
 * ships one leaked nothing, and whoever "validates" one only bothers the
 * vendor. Matched as substrings (composite secrets hold two parts). */
static const char *const examples[] = {
	"AKIAIOSFODNN7EXAMPLE",
	"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	"AKIAI44QH8DHBEXAMPLE",
	"je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
	/* Azurite and the Cosmos DB emulator */
	"Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
	"C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==",
	/* Stripe's documentation keys */
	"sk_test_4eC39HqLyjWDarjtT1zdp7dc",
	"sk_test_BQokikJOvBiI2HlWgH4olfQ2",
	"sk_test_26PHem9AhJZvU623DfE1x4sd",
	/* GitHub's documentation token */
	"ghp_16C7e42F292c6912E7710c838347Ae178B4a",
	/* Slack's documentation webhook */
	"T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
	/* Twilio's documentation account */
	"ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
};

static int contains(const char *hay, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	return k && k <= n && memmem(hay, n, needle, k) != NULL;
}

static int in_examples(const struct pl_rule *rule, const char *s, size_t len)
{
	if (len < 8)
		return 0;
	for (size_t i = 0; rule->examples && rule->examples[i]; i++)
		if (memmem(rule->examples[i], strlen(rule->examples[i]), s, len))
			return 1;
	for (size_t i = 0; rule->example_secrets && rule->example_secrets[i]; i++)
		if (strlen(rule->example_secrets[i]) == len && memcmp(rule->example_secrets[i], s, len) == 0)
			return 1;
	return 0;
}

int pl_validate_is_example(const struct pl_rule *rule, const char *secret, size_t len)
{
	for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++)
		if (contains(secret, len, examples[i]))
			return 1;
	/* The rule's own documentation: its examples are made up, and a value
	 * copied from them is a copy of documentation. A composite secret
	 * "<id>:<secret>" is an example when either side is. */
	if (in_examples(rule, secret, len))
		return 1;
	const char *colon = rule->parts ? memchr(secret, ':', len) : NULL;
	return colon && (in_examples(rule, secret, (size_t)(colon - secret)) ||
			 in_examples(rule, colon + 1, len - (size_t)(colon - secret) - 1));
}
