/* libcurl, loaded on first use: HTTP (registries, validation). See dl/dl.h. */
#ifndef PL_DL_CURL_H
#define PL_DL_CURL_H

#include <curl/curl.h>

#include "dl/dl.h"

#define PL_CURL_FUNCS(X) \
	X(curl_easy_cleanup) \
	X(curl_easy_getinfo) \
	X(curl_easy_init) \
	X(curl_easy_perform) \
	X(curl_easy_reset) \
	X(curl_easy_setopt) \
	X(curl_easy_strerror) \
	X(curl_free) \
	X(curl_getdate) \
	X(curl_global_init) \
	X(curl_multi_add_handle) \
	X(curl_multi_cleanup) \
	X(curl_multi_info_read) \
	X(curl_multi_init) \
	X(curl_multi_perform) \
	X(curl_multi_poll) \
	X(curl_multi_remove_handle) \
	X(curl_multi_setopt) \
	X(curl_multi_wakeup) \
	X(curl_slist_append) \
	X(curl_slist_free_all) \
	X(curl_url) \
	X(curl_url_cleanup) \
	X(curl_url_get) \
	X(curl_url_set)

struct pl_curl_api {
	PL_CURL_FUNCS(PL_DL_FIELD)
};
extern struct pl_curl_api pl_curl_api;

/* Loads libcurl (once); 0, or PL_ENOTFOUND with the message set. */
int pl_dl_curl(void);

/* curl.h wraps these in type-checking macros that call the function by name. */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_multi_setopt
#define curl_easy_cleanup (pl_curl_api.p_curl_easy_cleanup)
#define curl_easy_getinfo (pl_curl_api.p_curl_easy_getinfo)
#define curl_easy_init (pl_curl_api.p_curl_easy_init)
#define curl_easy_perform (pl_curl_api.p_curl_easy_perform)
#define curl_easy_reset (pl_curl_api.p_curl_easy_reset)
#define curl_easy_setopt (pl_curl_api.p_curl_easy_setopt)
#define curl_easy_strerror (pl_curl_api.p_curl_easy_strerror)
#define curl_free (pl_curl_api.p_curl_free)
#define curl_getdate (pl_curl_api.p_curl_getdate)
#define curl_global_init (pl_curl_api.p_curl_global_init)
#define curl_multi_add_handle (pl_curl_api.p_curl_multi_add_handle)
#define curl_multi_cleanup (pl_curl_api.p_curl_multi_cleanup)
#define curl_multi_info_read (pl_curl_api.p_curl_multi_info_read)
#define curl_multi_init (pl_curl_api.p_curl_multi_init)
#define curl_multi_perform (pl_curl_api.p_curl_multi_perform)
#define curl_multi_poll (pl_curl_api.p_curl_multi_poll)
#define curl_multi_remove_handle (pl_curl_api.p_curl_multi_remove_handle)
#define curl_multi_setopt (pl_curl_api.p_curl_multi_setopt)
#define curl_multi_wakeup (pl_curl_api.p_curl_multi_wakeup)
#define curl_slist_append (pl_curl_api.p_curl_slist_append)
#define curl_slist_free_all (pl_curl_api.p_curl_slist_free_all)
#define curl_url (pl_curl_api.p_curl_url)
#define curl_url_cleanup (pl_curl_api.p_curl_url_cleanup)
#define curl_url_get (pl_curl_api.p_curl_url_get)
#define curl_url_set (pl_curl_api.p_curl_url_set)

#endif
