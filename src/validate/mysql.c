/* MySQL and MariaDB URIs: a libmariadb login to the vetted address with no
 * database selected, closed at once; LOCAL INFILE is off (a rogue server
 * could otherwise ask for the client's files) and no option file is read. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dl/dl_mariadb.h"
#include "util/alloc.h"
#include "validate/validate_int.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void lib_init(void)
{
	(void)mysql_library_init(0, NULL, NULL);
}

static enum pl_vcheck check_mysql(struct pl_vctx *cx, const struct pl_vsecret *s,
				  struct pl_validation *out)
{
	if (pl_dl_mariadb() < 0)
		return pl_vlib_missing(out);
	pthread_once(&once, lib_init);
	struct pl_dburi u;
	struct pl_vaddr addr;
	if (pl_db_prepare(cx, s, &u, 3306, &addr, out) != 0)
		return PL_VCHECK_DONE;
	MYSQL *m = mysql_init(NULL);
	if (!m) {
		pl_vset(out, PL_VALIDATION_UNKNOWN, "out of memory");
		pl_dburi_release(&u);
		return PL_VCHECK_DONE;
	}
	unsigned int ct = (unsigned int)(cx->opt->connect_timeout + 0.999);
	unsigned int rw = (unsigned int)(cx->opt->timeout + 0.999);
	my_bool off = 0;
	unsigned int tcp = MYSQL_PROTOCOL_TCP;
	int rc = mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &ct) |
		 mysql_optionsv(m, MYSQL_OPT_READ_TIMEOUT, &rw) |
		 mysql_optionsv(m, MYSQL_OPT_WRITE_TIMEOUT, &rw) |
		 mysql_optionsv(m, MYSQL_OPT_LOCAL_INFILE, &off) |
		 mysql_optionsv(m, MYSQL_OPT_PROTOCOL, &tcp) |
		 mysql_optionsv(m, MYSQL_OPT_CONNECT_ATTR_RESET, NULL);
	if (rc != 0) {
		pl_vset(out, PL_VALIDATION_UNKNOWN, "cannot set client options");
	} else if (mysql_real_connect(m, addr.ip, u.user, u.password, NULL, u.port, NULL, 0)) {
		pl_vset(out, PL_VALIDATION_VALID, NULL);
		pl_vdetail(out, "user", u.user, strlen(u.user));
		const char *ver = mysql_get_server_info(m);
		if (ver)
			pl_vdetail(out, "server_version", ver, strlen(ver));
	} else {
		unsigned int err = mysql_errno(m);
		if (err == 1045 || err == 1698)
			pl_vset(out, PL_VALIDATION_INVALID, NULL);
		else if (err == 1044)
			pl_vset(out, PL_VALIDATION_VALID, "authenticated; database access denied");
		else if (err == 2013 || err == 2003 || err == 2002 || err == 2006)
			pl_vset(out, PL_VALIDATION_UNKNOWN, "connect: error %u", err);
		else if (err == 2026)
			pl_vset(out, PL_VALIDATION_UNKNOWN, "tls: error %u", err);
		else if (err == 1129 || err == 1130)
			pl_vset(out, PL_VALIDATION_UNKNOWN, "server refuses this client (error %u)", err);
		else
			pl_vset(out, PL_VALIDATION_UNKNOWN, "unexpected answer (error %u)", err);
	}
	mysql_close(m);
	pl_dburi_release(&u);
	return PL_VCHECK_DONE;
}

const struct pl_validator_ops pl_vops_mysql = {"mysql", check_mysql};
