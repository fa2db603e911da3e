/* libpq, loaded on first use: PostgreSQL (the store, validation of PostgreSQL URIs). See dl/dl.h. */
#ifndef PL_DL_PQ_H
#define PL_DL_PQ_H

#include <libpq-fe.h>

#include "dl/dl.h"

#define PL_PQ_FUNCS(X) \
	X(PQclear) \
	X(PQcmdTuples) \
	X(PQconnectdbParams) \
	X(PQenterPipelineMode) \
	X(PQerrorMessage) \
	X(PQexec) \
	X(PQexecParams) \
	X(PQexitPipelineMode) \
	X(PQfinish) \
	X(PQgetisnull) \
	X(PQgetResult) \
	X(PQgetvalue) \
	X(PQnfields) \
	X(PQntuples) \
	X(PQparameterStatus) \
	X(PQpipelineSync) \
	X(PQreset) \
	X(PQresultErrorMessage) \
	X(PQresultStatus) \
	X(PQsendQueryParams) \
	X(PQsetNoticeProcessor) \
	X(PQstatus)

struct pl_pq_api {
	PL_PQ_FUNCS(PL_DL_FIELD)
};
extern struct pl_pq_api pl_pq_api;

/* Loads libpq (once); 0, or PL_ENOTFOUND with the message set. */
int pl_dl_pq(void);

#define PQclear (pl_pq_api.p_PQclear)
#define PQcmdTuples (pl_pq_api.p_PQcmdTuples)
#define PQconnectdbParams (pl_pq_api.p_PQconnectdbParams)
#define PQenterPipelineMode (pl_pq_api.p_PQenterPipelineMode)
#define PQerrorMessage (pl_pq_api.p_PQerrorMessage)
#define PQexec (pl_pq_api.p_PQexec)
#define PQexecParams (pl_pq_api.p_PQexecParams)
#define PQexitPipelineMode (pl_pq_api.p_PQexitPipelineMode)
#define PQfinish (pl_pq_api.p_PQfinish)
#define PQgetisnull (pl_pq_api.p_PQgetisnull)
#define PQgetResult (pl_pq_api.p_PQgetResult)
#define PQgetvalue (pl_pq_api.p_PQgetvalue)
#define PQnfields (pl_pq_api.p_PQnfields)
#define PQntuples (pl_pq_api.p_PQntuples)
#define PQparameterStatus (pl_pq_api.p_PQparameterStatus)
#define PQpipelineSync (pl_pq_api.p_PQpipelineSync)
#define PQreset (pl_pq_api.p_PQreset)
#define PQresultErrorMessage (pl_pq_api.p_PQresultErrorMessage)
#define PQresultStatus (pl_pq_api.p_PQresultStatus)
#define PQsendQueryParams (pl_pq_api.p_PQsendQueryParams)
#define PQsetNoticeProcessor (pl_pq_api.p_PQsetNoticeProcessor)
#define PQstatus (pl_pq_api.p_PQstatus)

#endif
