/* libmariadb, loaded on first use: MySQL and MariaDB (validation of their URIs). See dl/dl.h. */
#ifndef PL_DL_MARIADB_H
#define PL_DL_MARIADB_H

#include <mysql.h>

#include "dl/dl.h"

#define PL_MARIADB_FUNCS(X) \
	X(mysql_close) \
	X(mysql_errno) \
	X(mysql_get_server_info) \
	X(mysql_init) \
	X(mysql_optionsv) \
	X(mysql_real_connect) \
	X(mysql_server_init)

struct pl_mariadb_api {
	PL_MARIADB_FUNCS(PL_DL_FIELD)
};
extern struct pl_mariadb_api pl_mariadb_api;

/* Loads libmariadb (once); 0, or PL_ENOTFOUND with the message set. */
int pl_dl_mariadb(void);

#define mysql_close (pl_mariadb_api.p_mysql_close)
#define mysql_errno (pl_mariadb_api.p_mysql_errno)
#define mysql_get_server_info (pl_mariadb_api.p_mysql_get_server_info)
#define mysql_init (pl_mariadb_api.p_mysql_init)
#define mysql_optionsv (pl_mariadb_api.p_mysql_optionsv)
#define mysql_real_connect (pl_mariadb_api.p_mysql_real_connect)
#define mysql_server_init (pl_mariadb_api.p_mysql_server_init)

#endif
