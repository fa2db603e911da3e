/* libhiredis, loaded on first use: Redis (validation of Redis URIs). See dl/dl.h. */
#ifndef PL_DL_HIREDIS_H
#define PL_DL_HIREDIS_H

#include <hiredis/hiredis.h>

#include "dl/dl.h"

#define PL_HIREDIS_FUNCS(X) \
	X(freeReplyObject) \
	X(redisFormatCommandArgv) \
	X(redisFreeCommand) \
	X(redisReaderCreate) \
	X(redisReaderFeed) \
	X(redisReaderFree) \
	X(redisReaderGetReply)

struct pl_hiredis_api {
	PL_HIREDIS_FUNCS(PL_DL_FIELD)
};
extern struct pl_hiredis_api pl_hiredis_api;

/* Loads libhiredis (once); 0, or PL_ENOTFOUND with the message set. */
int pl_dl_hiredis(void);

#define freeReplyObject (pl_hiredis_api.p_freeReplyObject)
#define redisFormatCommandArgv (pl_hiredis_api.p_redisFormatCommandArgv)
#define redisFreeCommand (pl_hiredis_api.p_redisFreeCommand)
#define redisReaderCreate (pl_hiredis_api.p_redisReaderCreate)
#define redisReaderFeed (pl_hiredis_api.p_redisReaderFeed)
#define redisReaderFree (pl_hiredis_api.p_redisReaderFree)
#define redisReaderGetReply (pl_hiredis_api.p_redisReaderGetReply)

#endif
