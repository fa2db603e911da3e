/* PostgreSQL URIs: a libpq login to the vetted address (hostaddr), closed as
 * soon as it succeeds: no query is sent. Ambient credentials are kept out
 * (no password file, no service file, no Kerberos/GSS, no client
 * certificate). A missing database still proves the password: the server
 * authenticates before it looks for the database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dl/dl_pq.h"
#include "util/alloc.h"
#include "validate/validate_int.h"

static enum pl_vcheck check_postgres(struct pl_vctx *cx, const struct pl_vsecret *s,
				     struct pl_validation *out)
{
	if (pl_dl_pq() < 0)
		return pl_vlib_missing(out);
	struct pl_dburi u;
	struct pl_vaddr addr;
	if (pl_db_prepare(cx, s, &u, 5432, &addr, out) != 0)
		return PL_VCHECK_DONE;
	char port[8], timeout[16];
	snprintf(port, sizeof(port), "%u", u.port);
	snprintf(timeout, sizeof(timeout), "%d", (int)(cx->opt->connect_timeout + 0.999) > 2
							? (int)(cx->opt->connect_timeout + 0.999)
							: 2);
	char *ssl = pl_dburi_param(&u, "sslmode");
	/* verify-* would need the user's CA files; require/prefer keep TLS when
	 * the server has it. "disable" in the URI is honoured. */
	const char *sslmode = ssl && (strcmp(ssl, "disable") == 0 || strcmp(ssl, "require") == 0)
				      ? ssl
				      : "prefer";
	const char *keys[] = {"host",        "hostaddr",   "port",        "user",
			      "password",    "dbname",     "connect_timeout", "sslmode",
			      "gssencmode",  "krbsrvname", "passfile",    "sslcert",
			      "sslkey",      "application_name", "target_session_attrs", NULL};
	const char *vals[] = {u.host,     addr.ip,     port,      u.user[0] ? u.user : "postgres",
			      u.password, u.path[0] ? u.path : "postgres", timeout, sslmode,
			      "disable",  "none",      "/dev/null", "/nonexistent/pkgleaks",
			      "/nonexistent/pkgleaks", "pkgleaks-validate", "any", NULL};
	PGconn *c = PQconnectdbParams(keys, vals, 0);
	if (!c) {
		pl_vset(out, PL_VALIDATION_UNKNOWN, "out of memory");
	} else if (PQstatus(c) == CONNECTION_OK) {
		pl_vset(out, PL_VALIDATION_VALID, NULL);
		pl_vdetail(out, "user", vals[3], strlen(vals[3]));
		const char *ver = PQparameterStatus(c, "server_version");
		if (ver)
			pl_vdetail(out, "server_version", ver, strlen(ver));
	} else {
		const char *m = PQerrorMessage(c);
		if (strstr(m, "password authentication failed") || strstr(m, "28P01"))
			pl_vset(out, PL_VALIDATION_INVALID, NULL);
		else if (strstr(m, "does not exist") && strstr(m, "database"))
			pl_vset(out, PL_VALIDATION_VALID, "authenticated; the database does not exist");
		else if (strstr(m, "timeout expired"))
			pl_vset(out, PL_VALIDATION_UNKNOWN, "timeout");
		else if (strstr(m, "pg_hba.conf"))
			pl_vset(out, PL_VALIDATION_UNKNOWN, "server refuses this client (pg_hba.conf)");
		else if (strstr(m, "SSL") || strstr(m, "certificate"))
			pl_vset(out, PL_VALIDATION_UNKNOWN, "tls: login failed");
		else if (strstr(m, "Connection refused") || strstr(m, "could not connect"))
			pl_vset(out, PL_VALIDATION_UNKNOWN, "connect: refused");
		else
			pl_vset(out, PL_VALIDATION_UNKNOWN, "unexpected answer");
	}
	PQfinish(c);
	free(ssl);
	pl_dburi_release(&u);
	return PL_VCHECK_DONE;
}

const struct pl_validator_ops pl_vops_postgres = {"postgres", check_postgres};
