/* librabbitmq, loaded on first use: AMQP (validation of AMQP URIs). See dl/dl.h. */
#ifndef PL_DL_RABBITMQ_H
#define PL_DL_RABBITMQ_H

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <amqp_ssl_socket.h>

#include "dl/dl.h"

#define PL_RABBITMQ_FUNCS(X) \
	X(amqp_connection_close) \
	X(amqp_destroy_connection) \
	X(amqp_error_string2) \
	X(amqp_login) \
	X(amqp_new_connection) \
	X(amqp_set_handshake_timeout) \
	X(amqp_set_rpc_timeout) \
	X(amqp_socket_open_noblock) \
	X(amqp_ssl_socket_new) \
	X(amqp_ssl_socket_set_verify_hostname) \
	X(amqp_ssl_socket_set_verify_peer) \
	X(amqp_tcp_socket_new)

struct pl_rabbitmq_api {
	PL_RABBITMQ_FUNCS(PL_DL_FIELD)
};
extern struct pl_rabbitmq_api pl_rabbitmq_api;

/* Loads librabbitmq (once); 0, or PL_ENOTFOUND with the message set. */
int pl_dl_rabbitmq(void);

#define amqp_connection_close (pl_rabbitmq_api.p_amqp_connection_close)
#define amqp_destroy_connection (pl_rabbitmq_api.p_amqp_destroy_connection)
#define amqp_error_string2 (pl_rabbitmq_api.p_amqp_error_string2)
#define amqp_login (pl_rabbitmq_api.p_amqp_login)
#define amqp_new_connection (pl_rabbitmq_api.p_amqp_new_connection)
#define amqp_set_handshake_timeout (pl_rabbitmq_api.p_amqp_set_handshake_timeout)
#define amqp_set_rpc_timeout (pl_rabbitmq_api.p_amqp_set_rpc_timeout)
#define amqp_socket_open_noblock (pl_rabbitmq_api.p_amqp_socket_open_noblock)
#define amqp_ssl_socket_new (pl_rabbitmq_api.p_amqp_ssl_socket_new)
#define amqp_ssl_socket_set_verify_hostname (pl_rabbitmq_api.p_amqp_ssl_socket_set_verify_hostname)
#define amqp_ssl_socket_set_verify_peer (pl_rabbitmq_api.p_amqp_ssl_socket_set_verify_peer)
#define amqp_tcp_socket_new (pl_rabbitmq_api.p_amqp_tcp_socket_new)

#endif
