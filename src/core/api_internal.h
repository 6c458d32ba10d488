/* What the API's files (api.c, http.c, creds.c) share and no one else sees: the handle, the
 * session, one HTTP exchange, and the functions one part calls in another. The public API is
 * api.h. */
#ifndef SEGUE_API_INTERNAL_H
#define SEGUE_API_INTERNAL_H

#include <curl/curl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "api.h"

struct session {
	char *user;
	char *access;
	char *refresh;        /* NULL: no session */
	long long expires_at; /* unix seconds the access token dies at; 0: unknown */
};

struct api {
	char *server; /* without trailing slashes */
	char *creds_path;
	char *lock_path;
	long connect_timeout_ms;
	long timeout_ms;
	int retries;
	bool foreign; /* the credentials file holds a session for another server */
	struct session s;
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];
};

/* An answer being received. Token responses pass through it, so it is wiped before reuse. */
struct answer {
	char *p;
	size_t len, cap;
	bool too_big, nomem;
};

/* One HTTP exchange: what to send, and what came back. */
struct call {
	const char *method;
	const char *url;
	const char *body; /* NULL: none */
	size_t body_len;
	const char *ctype;  /* of body */
	const char *bearer; /* access token; NULL: no Authorization header */
	long status;        /* 0: no answer */
	long retry_after;   /* seconds; 0: not given */
	struct answer resp;
};

enum load { LOAD_OK, LOAD_NONE, LOAD_FOREIGN, LOAD_BAD, LOAD_NOMEM };

/* creds.c: wiping secrets, the credentials file and its lock. */
void api_wipe_free(char **s);
void api_session_clear(struct session *s);
void api_wipe_json_string(json_t *obj, const char *key);
size_t api_server_len(const char *url);
void api_sleep_ms(long ms);
enum seg_err api_lock_creds(const struct api *a, bool create_dir, int *fd);
void api_unlock_creds(int fd);
enum load api_load_session(const struct api *a, struct session *out);
enum seg_err api_save_session(struct api *a);
enum seg_err api_drop_file(struct api *a, enum load seen);

/* http.c: one exchange and its answer. */
void api_answer_free(struct answer *b);
char *api_concat(const char *x, const char *y);
enum seg_err api_exchange(struct api *a, struct call *c, bool idempotent);
enum seg_err api_post_form(struct api *a, const char *endpoint, const char *const *kv,
                           size_t n, struct call *c);
enum seg_err api_answer_error(const struct call *c, char *oauth_code, size_t size);

#endif
