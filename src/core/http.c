/* One HTTP exchange with the server over libcurl: the request sent, retried with backoff while
 * that is safe, the answer gathered into a buffer that is wiped after use, and what went wrong
 * turned into a seg_err with a message. Part of the API (api_internal.h). */
#include "config.h"
#include "api_internal.h"

#include <limits.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RESPONSE_MAX (16L * 1024 * 1024) /* larger answers are refused as garbage */
#define BACKOFF_BASE_MS 200
#define BACKOFF_CAP_MS 5000
#define RETRY_AFTER_CAP_S 10
#define USER_AGENT "segue/" PACKAGE_VERSION

static void answer_wipe(struct answer *b)
{
	if (b->p)
		sodium_memzero(b->p, b->len);
	b->len = 0;
	b->too_big = b->nomem = false;
}

void api_answer_free(struct answer *b)
{
	answer_wipe(b);
	free(b->p);
	b->p = NULL;
	b->cap = 0;
}

char *api_concat(const char *x, const char *y)
{
	size_t nx = strlen(x), ny = strlen(y);
	char *s = malloc(nx + ny + 1);

	if (s) {
		memcpy(s, x, nx);
		memcpy(s + nx, y, ny + 1);
	}
	return s;
}

static size_t on_data(char *p, size_t size, size_t nmemb, void *ud)
{
	struct answer *b = ud;
	size_t len = size * nmemb;

	if (len > (size_t)RESPONSE_MAX - b->len) {
		b->too_big = true;
		return 0;
	}
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p2;

		while (cap < b->len + len + 1)
			cap *= 2;
		if (cap > (size_t)RESPONSE_MAX + 1)
			cap = (size_t)RESPONSE_MAX + 1;
		/* Not realloc: it could leave a copy of a token behind in the old block. */
		if (!(p2 = malloc(cap))) {
			b->nomem = true;
			return 0;
		}
		if (b->p) {
			memcpy(p2, b->p, b->len);
			sodium_memzero(b->p, b->len);
			free(b->p);
		}
		b->p = p2;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
	b->p[b->len] = '\0';
	return len;
}

static void slist_wipe_free(struct curl_slist *l)
{
	for (struct curl_slist *i = l; i; i = i->next)
		sodium_memzero(i->data, strlen(i->data));
	curl_slist_free_all(l);
}

static bool add_header(struct curl_slist **l, const char *h)
{
	struct curl_slist *n = curl_slist_append(*l, h);

	if (!n)
		return false;
	*l = n;
	return true;
}

#define SET(opt, val)                                                   \
	do {                                                            \
		if ((cc = curl_easy_setopt(a->curl, opt, val)) != CURLE_OK) \
			goto out;                                       \
	} while (0)

/* One attempt. The easy handle is reset, not replaced, so its connections stay open. */
static CURLcode perform(struct api *a, struct call *c)
{
	struct curl_slist *headers = NULL;
	char *auth = NULL;
	CURLcode cc = CURLE_OUT_OF_MEMORY;
	curl_off_t retry_after = 0;
	bool get = !strcmp(c->method, "GET"), post = !strcmp(c->method, "POST");
	bool has_body = c->body || post || !strcmp(c->method, "PUT");

	answer_wipe(&c->resp);
	c->status = 0;
	c->retry_after = 0;
	a->errbuf[0] = '\0';
	curl_easy_reset(a->curl);
	if (!add_header(&headers, "Accept: application/json") || !add_header(&headers, "Expect:"))
		goto out;
	if (has_body && !add_header(&headers, c->body && c->ctype ? c->ctype : "Content-Type:"))
		goto out;
	if (c->bearer) {
		if (!(auth = api_concat("Authorization: Bearer ", c->bearer)))
			goto out;
		if (!add_header(&headers, auth))
			goto out;
	}
	SET(CURLOPT_ERRORBUFFER, a->errbuf);
	SET(CURLOPT_URL, c->url);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_USERAGENT, USER_AGENT);
	SET(CURLOPT_CONNECTTIMEOUT_MS, a->connect_timeout_ms);
	SET(CURLOPT_TIMEOUT_MS, a->timeout_ms);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_ACCEPT_ENCODING, "");
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)RESPONSE_MAX);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	SET(CURLOPT_WRITEFUNCTION, on_data);
	SET(CURLOPT_WRITEDATA, &c->resp);
	SET(CURLOPT_HTTPHEADER, headers);
	if (get) {
		SET(CURLOPT_HTTPGET, 1L);
	} else {
		if (!post)
			SET(CURLOPT_CUSTOMREQUEST, c->method);
		if (has_body) {
			SET(CURLOPT_POSTFIELDS, c->body ? c->body : "");
			SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(c->body ? c->body_len : 0));
		}
	}
	cc = curl_easy_perform(a->curl);
	curl_easy_getinfo(a->curl, CURLINFO_RESPONSE_CODE, &c->status);
#if LIBCURL_VERSION_NUM >= 0x074200
	if (curl_easy_getinfo(a->curl, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK &&
	    retry_after > 0)
		c->retry_after = retry_after > LONG_MAX ? LONG_MAX : (long)retry_after;
#endif
out:
	/* The handle keeps pointers to these until the next reset: clear them now. */
	curl_easy_setopt(a->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(a->curl, CURLOPT_POSTFIELDS, NULL);
	slist_wipe_free(headers);
	api_wipe_free(&auth);
	if (c->resp.nomem)
		cc = CURLE_OUT_OF_MEMORY;
	return cc;
}

#undef SET

/* Failures that another attempt will not cure. */
static bool transient(CURLcode cc)
{
	switch (cc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_NOT_BUILT_IN:
	case CURLE_OUT_OF_MEMORY:
	case CURLE_WRITE_ERROR:
	case CURLE_FILESIZE_EXCEEDED:
	case CURLE_BAD_FUNCTION_ARGUMENT:
	case CURLE_UNKNOWN_OPTION:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
		return false;
	default:
		return true;
	}
}

/* Full jitter (uniform in [0, min(cap, base * 2^attempt)]): clients that failed together do
 * not come back together. */
static long backoff_ms(int attempt)
{
	long ceiling = BACKOFF_BASE_MS;

	for (int i = 0; i < attempt && ceiling < BACKOFF_CAP_MS; i++)
		ceiling *= 2;
	if (ceiling > BACKOFF_CAP_MS)
		ceiling = BACKOFF_CAP_MS;
	return (long)randombytes_uniform((uint32_t)ceiling + 1);
}

static enum seg_err transport_error(const struct api *a, const struct call *c, CURLcode cc)
{
	const char *why = a->errbuf[0] ? a->errbuf : curl_easy_strerror(cc);

	if (cc == CURLE_OUT_OF_MEMORY)
		return seg_fail(SEG_ENOMEM, "out of memory");
	if (c->resp.too_big || cc == CURLE_FILESIZE_EXCEEDED)
		return seg_fail(SEG_EPROTO, "the server sent an answer larger than %ld MiB",
		                RESPONSE_MAX >> 20);
	if (cc == CURLE_PARTIAL_FILE)
		return seg_fail(SEG_EPROTO, "the server sent an answer that is not JSON "
		                "(it was cut short: %s)", why);
	/* Nothing listens there: the likely fix is to start it or to name the right one. */
	if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST)
		return seg_fail(SEG_EUNREACHABLE, "no segue-server answers at %s: start one there "
		                "(segue-server serve), or name another with --server, SEGUE_SERVER or "
		                "segue.conf", a->server);
	return seg_fail(SEG_EUNREACHABLE, "cannot reach the server at %s: %s", a->server, why);
}

static long elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
}

/* Sends c, again while the failure is transient and the method idempotent. The retries share
 * the budget of one whole request (timeout_ms): none starts after it is spent, so a server
 * that hangs costs one timeout, not 1 + retries of them, while quick failures (refused
 * connections, 503, 429) still get every retry. Returns SEG_OK when an HTTP answer arrived,
 * whatever its status. */
enum seg_err api_exchange(struct api *a, struct call *c, bool idempotent)
{
	int retries = idempotent ? a->retries : 0;
	struct timespec start;
	CURLcode cc;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (int attempt = 0;; attempt++) {
		long wait;

		cc = perform(a, c);
		if (cc != CURLE_OK ? !transient(cc) : c->status != 429 && c->status < 500)
			break;
		if (cc == CURLE_OK && c->retry_after > 0)
			wait = (c->retry_after > RETRY_AFTER_CAP_S ? RETRY_AFTER_CAP_S
			                                           : c->retry_after) * 1000;
		else
			wait = backoff_ms(attempt);
		if (attempt >= retries || elapsed_ms(&start) + wait >= a->timeout_ms)
			break;
		api_sleep_ms(wait);
	}
	return cc == CURLE_OK ? SEG_OK : transport_error(a, c, cc);
}

/* POSTs an application/x-www-form-urlencoded body made of n key/value pairs to endpoint
 * (/api/token, /api/revoke). Never retried: the server may have rotated a token already. */
enum seg_err api_post_form(struct api *a, const char *endpoint, const char *const *kv,
                           size_t n, struct call *c)
{
	enum seg_err rc = SEG_ENOMEM;
	char *body = NULL, *url = NULL;
	size_t len = 0, cap = 0;

	for (size_t i = 0; i < 2 * n; i++) {
		char *esc = curl_easy_escape(a->curl, kv[i], 0);
		size_t elen;

		if (!esc)
			goto out;
		elen = strlen(esc);
		if (len + elen + 2 > cap) {
			size_t ncap = (len + elen + 2) * 2;
			char *nb = malloc(ncap);

			if (!nb) {
				sodium_memzero(esc, elen);
				curl_free(esc);
				goto out;
			}
			if (body) {
				memcpy(nb, body, len);
				sodium_memzero(body, len);
				free(body);
			}
			body = nb;
			cap = ncap;
		}
		if (i)
			body[len++] = i % 2 ? '=' : '&';
		memcpy(body + len, esc, elen);
		len += elen;
		body[len] = '\0';
		sodium_memzero(esc, elen);
		curl_free(esc);
	}
	if (!(url = api_concat(a->server, endpoint)))
		goto out;
	c->method = "POST";
	c->url = url;
	c->body = body;
	c->body_len = len;
	c->ctype = "Content-Type: application/x-www-form-urlencoded";
	c->bearer = NULL;
	rc = api_exchange(a, c, false);
out:
	if (rc == SEG_ENOMEM)
		seg_fail(SEG_ENOMEM, "out of memory");
	c->url = NULL;
	c->body = NULL;
	if (body) {
		sodium_memzero(body, len);
		free(body);
	}
	free(url);
	return rc;
}

static enum seg_err status_error(long status)
{
	switch (status) {
	case 400:
		return SEG_EUSAGE;
	case 401:
		return SEG_EAUTH;
	case 403:
		return SEG_EFORBIDDEN;
	case 404:
	case 410: /* a track withdrawn from the server's library: skipped like a missing one */
		return SEG_ENOTFOUND;
	default:
		return status >= 400 && status < 600 ? SEG_EFAIL : SEG_EPROTO;
	}
}

/* The error of a non-2xx answer: the Web API's {"error":{"message"}} or OAuth's
 * {"error":code,"error_description"}, else the bare status. *oauth_code gets OAuth's code. */
enum seg_err api_answer_error(const struct call *c, char *oauth_code, size_t size)
{
	json_t *j = c->resp.len ? json_loadb(c->resp.p, c->resp.len, 0, NULL) : NULL;
	json_t *err = json_object_get(j, "error");
	const char *msg = json_string_value(json_object_get(err, "message"));
	enum seg_err code = status_error(c->status);

	if (oauth_code)
		snprintf(oauth_code, size, "%s", json_is_string(err) ? json_string_value(err) : "");
	if (!msg)
		msg = json_string_value(json_object_get(j, "error_description"));
	if (msg && *msg)
		seg_fail(code, "%s", msg);
	else if (c->status >= 400)
		seg_fail(code, "HTTP %ld", c->status);
	else
		seg_fail(code, "the server gave an unexpected answer: HTTP %ld", c->status);
	json_decref(j);
	return code;
}
