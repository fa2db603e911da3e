/* MongoDB URIs: a libmongoc connection to the vetted address of the first
 * host (direct connection), SCRAM authentication, one `ping` (it reads
 * nothing), close. mongodb+srv:// would need SRV and TXT lookups whose
 * answers this module does not vet yet: not checked. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dl/dl_mongoc.h"
#include "util/alloc.h"
#include "validate/validate_int.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void quiet(mongoc_log_level_t level, const char *domain, const char *message, void *ud)
{
	(void)level;
	(void)domain;
	(void)message;
	(void)ud;
}

static void lib_init(void)
{
	mongoc_init();
	mongoc_log_set_handler(quiet, NULL);
}

static int truthy(const char *v)
{
	return v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

static enum pl_vcheck check_mongodb(struct pl_vctx *cx, const struct pl_vsecret *s,
				    struct pl_validation *out)
{
	if (pl_dl_mongoc() < 0)
		return pl_vlib_missing(out);
	pthread_once(&once, lib_init);
	if (s->len > 14 && strncmp(s->secret, "mongodb+srv://", 14) == 0) {
		pl_vset(out, PL_VALIDATION_NOT_CHECKED,
			"mongodb+srv: SRV records are not vetted (not checked)");
		return PL_VCHECK_DONE;
	}
	struct pl_dburi u;
	struct pl_vaddr addr;
	if (pl_db_prepare(cx, s, &u, 27017, &addr, out) != 0)
		return PL_VCHECK_DONE;
	char *src = pl_dburi_param(&u, "authSource");
	char *mech = pl_dburi_param(&u, "authMechanism");
	char *tls = pl_dburi_param(&u, "tls"), *ssl = pl_dburi_param(&u, "ssl");
	char *host = addr.family == AF_INET6 ? pl_xasprintf("[%s]", addr.ip) : pl_xstrdup(addr.ip);
	mongoc_uri_t *uri = mongoc_uri_new_for_host_port(host, (uint16_t)u.port);
	mongoc_client_t *client = NULL;
	bson_t *ping = NULL;
	bson_t reply;
	bson_error_t err;
	int have_reply = 0;
	int ms = (int)(cx->opt->timeout * 1000), cms = (int)(cx->opt->connect_timeout * 1000);
	if (!uri || !mongoc_uri_set_username(uri, u.user) || !mongoc_uri_set_password(uri, u.password) ||
	    !mongoc_uri_set_auth_source(uri, src ? src : u.path[0] ? u.path : "admin") ||
	    (mech && !mongoc_uri_set_auth_mechanism(uri, mech)) ||
	    !mongoc_uri_set_option_as_bool(uri, MONGOC_URI_DIRECTCONNECTION, true) ||
	    !mongoc_uri_set_option_as_int32(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, ms) ||
	    !mongoc_uri_set_option_as_int32(uri, MONGOC_URI_CONNECTTIMEOUTMS, cms) ||
	    !mongoc_uri_set_option_as_int32(uri, MONGOC_URI_SOCKETTIMEOUTMS, ms) ||
	    !mongoc_uri_set_option_as_utf8(uri, MONGOC_URI_APPNAME, "pkgleaks-validate") ||
	    ((truthy(tls) || truthy(ssl)) &&
	     (!mongoc_uri_set_option_as_bool(uri, MONGOC_URI_TLS, true) ||
	      /* We connect to the vetted address, not the name. */
	      !mongoc_uri_set_option_as_bool(uri, MONGOC_URI_TLSALLOWINVALIDHOSTNAMES, true)))) {
		pl_vset(out, PL_VALIDATION_NOT_CHECKED, "URI options libmongoc does not accept");
		goto done;
	}
	client = mongoc_client_new_from_uri(uri);
	if (!client) {
		pl_vset(out, PL_VALIDATION_UNKNOWN, "cannot create a client");
		goto done;
	}
	(void)mongoc_client_set_error_api(client, MONGOC_ERROR_API_VERSION_2);
	ping = BCON_NEW("ping", BCON_INT32(1));
	have_reply = 1;
	if (mongoc_client_command_simple(client, "admin", ping, NULL, &reply, &err)) {
		pl_vset(out, PL_VALIDATION_VALID, NULL);
		pl_vdetail(out, "user", u.user, strlen(u.user));
	} else if ((err.domain == MONGOC_ERROR_CLIENT && err.code == MONGOC_ERROR_CLIENT_AUTHENTICATE) ||
		   err.code == 18) {
		pl_vset(out, PL_VALIDATION_INVALID, NULL);
	} else if (err.domain == MONGOC_ERROR_SERVER_SELECTION || err.domain == MONGOC_ERROR_STREAM) {
		pl_vset(out, PL_VALIDATION_UNKNOWN, "connect: server unreachable or timed out");
	} else {
		pl_vset(out, PL_VALIDATION_UNKNOWN, "unexpected answer (%u.%u)", err.domain, err.code);
	}
done:
	if (have_reply)
		bson_destroy(&reply);
	bson_destroy(ping);
	mongoc_client_destroy(client);
	mongoc_uri_destroy(uri);
	free(host);
	free(src);
	free(mech);
	free(tls);
	free(ssl);
	pl_dburi_release(&u);
	return PL_VCHECK_DONE;
}

const struct pl_validator_ops pl_vops_mongodb = {"mongodb", check_mongodb};
