/* Request signing for the validators that need it (aws.c, azure.c, gcp.c),
 * exposed for the unit tests. */
#ifndef PL_VALIDATE_SIGN_H
#define PL_VALIDATE_SIGN_H

#include <stddef.h>

/* The SigV4 Authorization header value for a request with no body whose
 * signed headers are host and x-amz-date (amz_date "YYYYMMDDTHHMMSSZ");
 * NULL on failure. The caller frees. */
char *pl_aws_sigv4(const char *key_id, const char *secret, const char *method, const char *host,
		   const char *path, const char *query, const char *region, const char *service,
		   const char *amz_date);

/* The Azure Storage SharedKey signature (base64) of `GET <path>?comp=list`
 * on the account's endpoint (path "/" normally)
 * with x-ms-date (RFC 1123) and x-ms-version; key is the base64 account key.
 * NULL when the key is not base64. The caller frees. */
char *pl_azure_sharedkey(const char *account, const char *path, const char *key_b64,
			 const char *ms_date, const char *ms_version);

/* An RS256 JWT over header and claims (JSON texts) with a PEM private key;
 * NULL when the key cannot be read or sign. The caller frees. */
char *pl_jwt_rs256(const char *header_json, const char *claims_json, const char *pem,
		   size_t pem_len);

#endif
