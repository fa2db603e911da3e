/* libmongoc, loaded on first use: MongoDB (validation of MongoDB URIs). See dl/dl.h. */
#ifndef PL_DL_MONGOC_H
#define PL_DL_MONGOC_H

#include <mongoc/mongoc.h>

#include "dl/dl.h"

#define PL_MONGOC_FUNCS(X) \
	X(mongoc_client_command_simple) \
	X(mongoc_client_destroy) \
	X(mongoc_client_new_from_uri) \
	X(mongoc_client_set_error_api) \
	X(mongoc_init) \
	X(mongoc_log_set_handler) \
	X(mongoc_uri_destroy) \
	X(mongoc_uri_new_for_host_port) \
	X(mongoc_uri_set_auth_mechanism) \
	X(mongoc_uri_set_auth_source) \
	X(mongoc_uri_set_option_as_bool) \
	X(mongoc_uri_set_option_as_int32) \
	X(mongoc_uri_set_option_as_utf8) \
	X(mongoc_uri_set_password) \
	X(mongoc_uri_set_username) \
	X(bcon_new) \
	X(bson_bcon_magic) \
	X(bson_destroy)

struct pl_mongoc_api {
	PL_MONGOC_FUNCS(PL_DL_FIELD)
};
extern struct pl_mongoc_api pl_mongoc_api;

/* Loads libmongoc (once); 0, or PL_ENOTFOUND with the message set. */
int pl_dl_mongoc(void);

#define mongoc_client_command_simple (pl_mongoc_api.p_mongoc_client_command_simple)
#define mongoc_client_destroy (pl_mongoc_api.p_mongoc_client_destroy)
#define mongoc_client_new_from_uri (pl_mongoc_api.p_mongoc_client_new_from_uri)
#define mongoc_client_set_error_api (pl_mongoc_api.p_mongoc_client_set_error_api)
#define mongoc_init (pl_mongoc_api.p_mongoc_init)
#define mongoc_log_set_handler (pl_mongoc_api.p_mongoc_log_set_handler)
#define mongoc_uri_destroy (pl_mongoc_api.p_mongoc_uri_destroy)
#define mongoc_uri_new_for_host_port (pl_mongoc_api.p_mongoc_uri_new_for_host_port)
#define mongoc_uri_set_auth_mechanism (pl_mongoc_api.p_mongoc_uri_set_auth_mechanism)
#define mongoc_uri_set_auth_source (pl_mongoc_api.p_mongoc_uri_set_auth_source)
#define mongoc_uri_set_option_as_bool (pl_mongoc_api.p_mongoc_uri_set_option_as_bool)
#define mongoc_uri_set_option_as_int32 (pl_mongoc_api.p_mongoc_uri_set_option_as_int32)
#define mongoc_uri_set_option_as_utf8 (pl_mongoc_api.p_mongoc_uri_set_option_as_utf8)
#define mongoc_uri_set_password (pl_mongoc_api.p_mongoc_uri_set_password)
#define mongoc_uri_set_username (pl_mongoc_api.p_mongoc_uri_set_username)
#define bcon_new (pl_mongoc_api.p_bcon_new)
#define bson_bcon_magic (pl_mongoc_api.p_bson_bcon_magic)
#define bson_destroy (pl_mongoc_api.p_bson_destroy)

#endif
