/* libssl (OpenSSL), loaded on first use: TLS for rediss:// validation.
 * See dl/dl.h and dl/dl_crypto.h; pl_dl_ssl() loads libcrypto first. */
#ifndef PL_DL_SSL_H
#define PL_DL_SSL_H

/* Before dl_crypto.h: ssl.h's own declarations must see the real names. */
#include <openssl/ssl.h>

#include "dl/dl.h"
#include "dl/dl_crypto.h"

#define PL_SSL_FUNCS(X) \
	X(SSL_CTX_free) \
	X(SSL_CTX_new) \
	X(SSL_CTX_set_default_verify_paths) \
	X(SSL_CTX_set_verify) \
	X(SSL_connect) \
	X(SSL_ctrl) \
	X(SSL_free) \
	X(SSL_new) \
	X(SSL_read) \
	X(SSL_set1_host) \
	X(SSL_set_fd) \
	X(SSL_shutdown) \
	X(SSL_write) \
	X(TLS_client_method)

struct pl_ssl_api {
	PL_SSL_FUNCS(PL_DL_FIELD)
};
extern struct pl_ssl_api pl_ssl_api;

/* Loads libcrypto (pl_dl_crypto), then libssl (once); 0, or PL_ENOTFOUND
 * with the message set. */
int pl_dl_ssl(void);

/* SSL_set_tlsext_host_name is a macro over SSL_ctrl. */
#define SSL_CTX_free (pl_ssl_api.p_SSL_CTX_free)
#define SSL_CTX_new (pl_ssl_api.p_SSL_CTX_new)
#define SSL_CTX_set_default_verify_paths (pl_ssl_api.p_SSL_CTX_set_default_verify_paths)
#define SSL_CTX_set_verify (pl_ssl_api.p_SSL_CTX_set_verify)
#define SSL_connect (pl_ssl_api.p_SSL_connect)
#define SSL_ctrl (pl_ssl_api.p_SSL_ctrl)
#define SSL_free (pl_ssl_api.p_SSL_free)
#define SSL_new (pl_ssl_api.p_SSL_new)
#define SSL_read (pl_ssl_api.p_SSL_read)
#define SSL_set1_host (pl_ssl_api.p_SSL_set1_host)
#define SSL_set_fd (pl_ssl_api.p_SSL_set_fd)
#define SSL_shutdown (pl_ssl_api.p_SSL_shutdown)
#define SSL_write (pl_ssl_api.p_SSL_write)
#define TLS_client_method (pl_ssl_api.p_TLS_client_method)

#endif
