/* The server's REST API over libcurl and jansson: requests with retries, the OAuth 2.0 token
 * dance and the credentials file. See api.h for the contract. */
#include "config.h"
#include "api.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_CONNECT_TIMEOUT_MS 3000
#define DEFAULT_TIMEOUT_MS 15000
#define DEFAULT_RETRIES 3
#define RESPONSE_MAX (16L * 1024 * 1024) /* larger answers are refused as garbage */
#define CREDS_MAX (64 * 1024)             /* a credentials file is a few hundred bytes */
#define EXPIRY_MARGIN 30                  /* seconds: renew the access token this early */
#define BACKOFF_BASE_MS 200
#define BACKOFF_CAP_MS 5000
#define RETRY_AFTER_CAP_S 10
#define LOCK_POLL_MS 20
#define USER_AGENT "segue/" PACKAGE_VERSION

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
struct buf {
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
	struct buf resp;
};

enum load { LOAD_OK, LOAD_NONE, LOAD_FOREIGN, LOAD_BAD, LOAD_NOMEM };

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static bool global_ok;

static void global_init(void)
{
	global_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK && sodium_init() >= 0;
}

static bool global_ready(void)
{
	return pthread_once(&global_once, global_init) == 0 && global_ok;
}

static void wipe_free(char **s)
{
	if (*s) {
		sodium_memzero(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

static void session_clear(struct session *s)
{
	wipe_free(&s->user);
	wipe_free(&s->access);
	wipe_free(&s->refresh);
	s->expires_at = 0;
}

static bool expiring(const struct session *s)
{
	return s->expires_at && s->expires_at - EXPIRY_MARGIN < (long long)time(NULL);
}

/* Jansson frees its strings without clearing them; tokens are overwritten in place first. */
static void wipe_json_string(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_string(v))
		sodium_memzero((char *)json_string_value(v), json_string_length(v));
}

static void buf_wipe(struct buf *b)
{
	if (b->p)
		sodium_memzero(b->p, b->len);
	b->len = 0;
	b->too_big = b->nomem = false;
}

static void buf_free(struct buf *b)
{
	buf_wipe(b);
	free(b->p);
	b->p = NULL;
	b->cap = 0;
}

static size_t server_len(const char *url)
{
	size_t n = strlen(url);

	while (n && url[n - 1] == '/')
		n--;
	return n;
}

static bool same_server(const char *x, const char *y)
{
	size_t n = server_len(x);

	return n == server_len(y) && !memcmp(x, y, n);
}

static char *concat(const char *x, const char *y)
{
	size_t nx = strlen(x), ny = strlen(y);
	char *s = malloc(nx + ny + 1);

	if (s) {
		memcpy(s, x, nx);
		memcpy(s + nx, y, ny + 1);
	}
	return s;
}

/* The directory part of path: "." when there is none. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* mkdir -p with mode 0700 for what it creates; existing directories are left as they are. */
static int mkdir_parents(const char *path)
{
	char *dir = dir_of(path);
	int rc = -1;

	if (!dir)
		return -1;
	for (char *p = dir + 1;; p++) {
		bool end = !*p;

		if (*p && *p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST && !is_dir(dir))
			goto out;
		if (end)
			break;
		*p = '/';
	}
	rc = 0;
out:
	free(dir);
	return rc;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Several processes (the command line, the daemon) and several threads share one credentials
 * file, and refresh tokens rotate: two refreshes with the same token make the server revoke the
 * whole session. So whoever refreshes or rewrites the session holds an exclusive flock on
 * PATH.lock, and re-reads the file under it. The wait is bounded by about one request, the
 * longest a holder keeps it; a lock file that cannot be made (read-only directory) is skipped,
 * since the session could not be saved there anyway. */
static enum seg_err lock_creds(const struct api *a, bool create_dir, int *fd)
{
	long waited = 0, limit = a->connect_timeout_ms + a->timeout_ms + 1000;
	int f;

	*fd = -1;
	if (create_dir)
		mkdir_parents(a->lock_path);
	if ((f = open(a->lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
		return SEG_OK;
	for (;;) {
		if (flock(f, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			close(f); /* no locks here (some network file systems): go without */
			return SEG_OK;
		}
		if (waited >= limit) {
			close(f);
			return seg_fail(SEG_EFAIL, "another segue process holds %s for too long",
			                a->lock_path);
		}
		sleep_ms(LOCK_POLL_MS);
		waited += LOCK_POLL_MS;
	}
	*fd = f;
	return SEG_OK;
}

static void unlock_creds(int fd)
{
	if (fd >= 0)
		close(fd);
}

static char *dup_member(json_t *obj, const char *key, bool *bad)
{
	const char *v = json_string_value(json_object_get(obj, key));

	if (!v || !*v) {
		*bad = true;
		return NULL;
	}
	return strdup(v);
}

/* Reads the credentials file into out. A file others may read, or that is not ours, is not
 * used: the tokens in it may have leaked. */
static enum load load_session(const struct api *a, struct session *out)
{
	enum load res = LOAD_BAD;
	const char *server;
	struct stat st;
	char *text = NULL;
	json_t *j = NULL;
	json_error_t e;
	size_t len = 0;
	bool bad = false;
	int fd;

	memset(out, 0, sizeof *out);
	fd = open(a->creds_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return LOAD_NONE;
		seg_fail(SEG_EIO, "cannot read %s: %s", a->creds_path, strerror(errno));
		return LOAD_BAD;
	}
	if (fstat(fd, &st) < 0) {
		seg_fail(SEG_EIO, "cannot read %s: %s", a->creds_path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077)) {
		seg_fail(SEG_EAUTH, "%s is not private to you (mode %03o): it is ignored; "
		         "log in again", a->creds_path, (unsigned)(st.st_mode & 0777));
		goto out;
	}
	if (st.st_size > CREDS_MAX) {
		seg_fail(SEG_EIO, "%s is too large to be a credentials file", a->creds_path);
		goto out;
	}
	if (!(text = malloc((size_t)st.st_size + 1))) {
		res = LOAD_NOMEM;
		goto out;
	}
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, text + len, (size_t)st.st_size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			seg_fail(SEG_EIO, "cannot read %s: %s", a->creds_path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (!(j = json_loadb(text, len, 0, &e)) || !json_is_object(j)) {
		seg_fail(SEG_EIO, "%s is not a credentials file", a->creds_path);
		goto out;
	}
	if (!(server = json_string_value(json_object_get(j, "server")))) {
		seg_fail(SEG_EIO, "%s is not a credentials file", a->creds_path);
		goto out;
	}
	if (!same_server(server, a->server)) {
		res = LOAD_FOREIGN;
		goto out;
	}
	out->user = dup_member(j, "user", &bad);
	out->refresh = dup_member(j, "refresh_token", &bad);
	if (bad) {
		seg_fail(SEG_EIO, "%s is not a credentials file", a->creds_path);
		goto out;
	}
	out->access = dup_member(j, "access_token", &bad);
	out->expires_at = json_integer_value(json_object_get(j, "expires_at"));
	if (bad) { /* no access token: it must be fetched first */
		out->access = strdup("");
		out->expires_at = 1;
	}
	res = out->user && out->refresh && out->access ? LOAD_OK : LOAD_NOMEM;
out:
	if (res != LOAD_OK)
		session_clear(out);
	if (j) {
		wipe_json_string(j, "access_token");
		wipe_json_string(j, "refresh_token");
		json_decref(j);
	}
	if (text) {
		sodium_memzero(text, len);
		free(text);
	}
	close(fd);
	return res;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Writes the session so that a crash leaves either the old file or the new one, never a
 * torn or world-readable one: a private temporary file beside it, fsync, rename, fsync of the
 * directory. */
static enum seg_err save_session(struct api *a)
{
	enum seg_err rc = SEG_ENOMEM;
	char *text = NULL, *tmp = NULL, *dir = NULL;
	size_t n = strlen(a->creds_path) + 32;
	json_t *j;
	int fd = -1, saved;

	j = json_pack("{s:s,s:s,s:s,s:s,s:I}", "server", a->server, "user", a->s.user,
	              "access_token", a->s.access, "refresh_token", a->s.refresh,
	              "expires_at", (json_int_t)a->s.expires_at);
	if (!j)
		goto out;
	text = json_dumps(j, JSON_INDENT(2));
	wipe_json_string(j, "access_token");
	wipe_json_string(j, "refresh_token");
	json_decref(j);
	if (!text || !(dir = dir_of(a->creds_path)))
		goto out;
	if (!(tmp = malloc(n)))
		goto out;
	snprintf(tmp, n, "%s.tmp-%08x", a->creds_path, (unsigned)randombytes_random());
	if (mkdir_parents(a->creds_path) < 0) {
		rc = seg_fail(SEG_EIO, "cannot create the directory %s: %s", dir, strerror(errno));
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || fchmod(fd, 0600) < 0 || write_all(fd, text, strlen(text)) < 0 ||
	    write_all(fd, "\n", 1) < 0 || fsync(fd) < 0)
		goto io_error;
	saved = fd;
	fd = -1;
	if (close(saved) < 0 || rename(tmp, a->creds_path) < 0)
		goto io_error;
	/* The rename is done and cannot be taken back: a failing directory fsync (some file
	 * systems refuse it) is not worth reporting. */
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(fd);
		close(fd);
		fd = -1;
	}
	a->foreign = false;
	rc = SEG_OK;
	goto out;
io_error:
	rc = seg_fail(SEG_EIO, "cannot save the session to %s: %s", a->creds_path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	if (rc == SEG_ENOMEM)
		seg_fail(SEG_ENOMEM, "out of memory");
	if (text) {
		sodium_memzero(text, strlen(text));
		free(text);
	}
	free(tmp);
	free(dir);
	return rc;
}

/* Removes the credentials file unless it holds another server's session. */
static enum seg_err drop_file(struct api *a, enum load seen)
{
	if (seen == LOAD_FOREIGN || a->foreign)
		return SEG_OK;
	if (unlink(a->creds_path) < 0 && errno != ENOENT)
		return seg_fail(SEG_EIO, "cannot remove %s: %s", a->creds_path, strerror(errno));
	return SEG_OK;
}

static size_t on_data(char *p, size_t size, size_t nmemb, void *ud)
{
	struct buf *b = ud;
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

	buf_wipe(&c->resp);
	c->status = 0;
	c->retry_after = 0;
	a->errbuf[0] = '\0';
	curl_easy_reset(a->curl);
	if (!add_header(&headers, "Accept: application/json") || !add_header(&headers, "Expect:"))
		goto out;
	if (has_body && !add_header(&headers, c->body && c->ctype ? c->ctype : "Content-Type:"))
		goto out;
	if (c->bearer) {
		if (!(auth = concat("Authorization: Bearer ", c->bearer)))
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
	wipe_free(&auth);
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

/* One line that says what to run. */
static enum seg_err not_logged_in(const struct api *a)
{
	if (a->foreign)
		return seg_fail(SEG_EAUTH, "not logged in at %s (the session kept here is another "
		                "server's): run segue login NAME", a->server);
	return seg_fail(SEG_EAUTH, "not logged in: run segue login NAME");
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
static enum seg_err exchange(struct api *a, struct call *c, bool idempotent)
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
		sleep_ms(wait);
	}
	return cc == CURLE_OK ? SEG_OK : transport_error(a, c, cc);
}

/* POSTs an application/x-www-form-urlencoded body made of n key/value pairs to endpoint
 * (/api/token, /api/revoke). Never retried: the server may have rotated a token already. */
static enum seg_err post_form(struct api *a, const char *endpoint, const char *const *kv,
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
	if (!(url = concat(a->server, endpoint)))
		goto out;
	c->method = "POST";
	c->url = url;
	c->body = body;
	c->body_len = len;
	c->ctype = "Content-Type: application/x-www-form-urlencoded";
	c->bearer = NULL;
	rc = exchange(a, c, false);
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
		return SEG_ENOTFOUND;
	default:
		return status >= 400 && status < 600 ? SEG_EFAIL : SEG_EPROTO;
	}
}

/* The error of a non-2xx answer: the Web API's {"error":{"message"}} or OAuth's
 * {"error":code,"error_description"}, else the bare status. *oauth_code gets OAuth's code. */
static enum seg_err answer_error(const struct call *c, char *oauth_code, size_t size)
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

/* Reads a token response into s (user left alone). issued: when the request was sent. */
static enum seg_err take_tokens(const struct call *c, time_t issued, struct session *s)
{
	enum seg_err rc = SEG_EPROTO;
	json_t *j = json_loadb(c->resp.p ? c->resp.p : "", c->resp.len, 0, NULL);
	const char *access = json_string_value(json_object_get(j, "access_token"));
	const char *refresh = json_string_value(json_object_get(j, "refresh_token"));
	const char *type = json_string_value(json_object_get(j, "token_type"));
	json_t *ttl = json_object_get(j, "expires_in");
	char *na = NULL, *nr = NULL;

	if (!access || !*access || !refresh || !*refresh || (type && strcasecmp(type, "Bearer"))) {
		seg_fail(SEG_EPROTO, "the server sent a token answer segue cannot read");
		goto out;
	}
	if (!(na = strdup(access)) || !(nr = strdup(refresh))) {
		rc = seg_fail(SEG_ENOMEM, "out of memory");
		goto out;
	}
	wipe_free(&s->access);
	wipe_free(&s->refresh);
	s->access = na;
	s->refresh = nr;
	na = nr = NULL;
	s->expires_at = json_is_integer(ttl) && json_integer_value(ttl) > 0
	                        ? (long long)issued + json_integer_value(ttl)
	                        : 0;
	rc = SEG_OK;
out:
	wipe_free(&na);
	wipe_free(&nr);
	wipe_json_string(j, "access_token");
	wipe_json_string(j, "refresh_token");
	json_decref(j);
	return rc;
}

/* Revokes a refresh token (and with it its whole family). Best effort: a failure is ignored,
 * and the message of an error being reported survives it. */
static void revoke_token(struct api *a, const char *token)
{
	const char *kv[] = { "token", token };
	struct call c = { 0 };
	char msg[1024];

	snprintf(msg, sizeof msg, "%s", seg_errmsg());
	post_form(a, "/api/revoke", kv, 1, &c);
	buf_free(&c.resp);
	seg_fail(SEG_OK, "%s", msg);
}

/* Renews the access token. Under the lock, the file comes first: when another process or
 * thread already rotated the tokens, its newer session is taken as is (using our old refresh
 * token would get the session revoked), and the network is only asked when that one is due
 * too. */
static enum seg_err refresh(struct api *a)
{
	const char *kv[] = { "grant_type", "refresh_token", "refresh_token", NULL };
	struct session disk = { 0 };
	struct call c = { 0 };
	char oauth[64];
	enum seg_err rc;
	enum load seen;
	time_t issued;
	int lock;

	if ((rc = lock_creds(a, false, &lock)) != SEG_OK)
		return rc;
	seen = load_session(a, &disk);
	if (seen == LOAD_NOMEM) {
		rc = seg_fail(SEG_ENOMEM, "out of memory");
		goto out;
	}
	if (seen == LOAD_OK && strcmp(disk.refresh, a->s.refresh) &&
	    disk.expires_at >= a->s.expires_at) {
		session_clear(&a->s);
		a->s = disk;
		memset(&disk, 0, sizeof disk);
		if (!expiring(&a->s))
			goto out;
	}
	kv[3] = a->s.refresh;
	issued = time(NULL);
	if ((rc = post_form(a, "/api/token", kv, 2, &c)) != SEG_OK)
		goto out;
	if (c.status == 200) {
		if ((rc = take_tokens(&c, issued, &a->s)) == SEG_OK && seen != LOAD_FOREIGN)
			rc = save_session(a);
		goto out;
	}
	rc = answer_error(&c, oauth, sizeof oauth);
	if (c.status == 401 || !strcmp(oauth, "invalid_grant")) {
		session_clear(&a->s);
		drop_file(a, seen);
		rc = seg_fail(SEG_EAUTH, "the session has expired: run segue login NAME");
	}
out:
	if (seen == LOAD_FOREIGN)
		a->foreign = true;
	session_clear(&disk);
	buf_free(&c.resp);
	unlock_creds(lock);
	return rc;
}

enum seg_err api_access_token(struct api *a, bool force, char *out, size_t len)
{
	enum seg_err rc;

	if (!a->s.refresh || a->foreign)
		return not_logged_in(a);
	if ((force || expiring(&a->s)) && (rc = refresh(a)) != SEG_OK)
		return rc;
	if (!a->s.access || strlen(a->s.access) >= len)
		return not_logged_in(a);
	snprintf(out, len, "%s", a->s.access);
	return SEG_OK;
}

struct api *api_new(const struct api_opts *o)
{
	struct api *a;
	size_t n;

	if (!o || !o->server || !o->creds_path || !global_ready())
		return NULL;
	if (!(a = calloc(1, sizeof *a)))
		return NULL;
	n = server_len(o->server);
	if (!(a->server = strndup(o->server, n)) || !(a->creds_path = strdup(o->creds_path)) ||
	    !(a->lock_path = concat(o->creds_path, ".lock")) || !(a->curl = curl_easy_init()))
		goto fail;
	a->connect_timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms
	                                                  : DEFAULT_CONNECT_TIMEOUT_MS;
	a->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
	a->retries = o->retries < 0 ? DEFAULT_RETRIES : o->retries;
	/* A missing, foreign or unsafe file leaves the client logged out; the reason stays in
	 * seg_errmsg() for whoever wants to tell. */
	switch (load_session(a, &a->s)) {
	case LOAD_NOMEM:
		goto fail;
	case LOAD_FOREIGN:
		a->foreign = true;
		break;
	default:
		break;
	}
	return a;
fail:
	api_free(a);
	return NULL;
}

void api_free(struct api *a)
{
	if (!a)
		return;
	if (a->curl)
		curl_easy_cleanup(a->curl);
	session_clear(&a->s);
	free(a->server);
	free(a->creds_path);
	free(a->lock_path);
	free(a);
}

const char *api_server(const struct api *a)
{
	return a->server;
}

const char *api_user(const struct api *a)
{
	return api_logged_in(a) ? a->s.user : NULL;
}

bool api_logged_in(const struct api *a)
{
	return a && a->s.refresh;
}

int api_set_retries(struct api *a, int retries)
{
	int old = a->retries;

	a->retries = retries < 0 ? DEFAULT_RETRIES : retries;
	return old;
}

/* The user id of the account an access token belongs to; NULL when the server will not say. */
static char *whoami(struct api *a, const char *access)
{
	struct call c = { .method = "GET", .bearer = access };
	char *url = concat(a->server, "/v1/me"), *id = NULL;
	json_t *me;

	if (!url)
		return NULL;
	c.url = url;
	if (exchange(a, &c, true) == SEG_OK && c.status == 200 &&
	    (me = json_loadb(c.resp.p ? c.resp.p : "", c.resp.len, 0, NULL))) {
		const char *s = json_string_value(json_object_get(me, "id"));

		if (s && *s)
			id = strdup(s);
		json_decref(me);
	}
	buf_free(&c.resp);
	free(url);
	return id;
}

enum seg_err api_login(struct api *a, const char *username, const char *password)
{
	const char *kv[] = { "grant_type", "password", "username", username, "password", password };
	struct session fresh = { 0 }, old;
	struct call c = { 0 };
	char oauth[64];
	enum seg_err rc;
	time_t issued = time(NULL);
	int lock = -1;

	if (!username || !*username || !password || !*password)
		return seg_fail(SEG_EUSAGE, "a user name and a password are needed to log in");
	if ((rc = post_form(a, "/api/token", kv, 3, &c)) != SEG_OK)
		goto out;
	if (c.status != 200) {
		rc = answer_error(&c, oauth, sizeof oauth);
		if (!strcmp(oauth, "invalid_grant"))
			rc = seg_fail(SEG_EAUTH, "wrong user name or password");
		goto out;
	}
	if ((rc = take_tokens(&c, issued, &fresh)) != SEG_OK)
		goto out;
	/* The user id is the user name on this server, so a /v1/me that fails costs nothing. */
	fresh.user = whoami(a, fresh.access);
	if (!fresh.user && !(fresh.user = strdup(username))) {
		rc = seg_fail(SEG_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = lock_creds(a, true, &lock)) != SEG_OK)
		goto out;
	old = a->s;
	a->s = fresh; /* save_session writes a->s */
	if ((rc = save_session(a)) != SEG_OK)
		a->s = old; /* an unsaved session is of no use: keep the old one, end the new */
	else
		fresh = old; /* the replaced session would otherwise stay valid for weeks */
	unlock_creds(lock);
	lock = -1;
	if (fresh.refresh)
		revoke_token(a, fresh.refresh);
	if (rc == SEG_OK)
		seg_clear_error();
out:
	unlock_creds(lock);
	session_clear(&fresh);
	buf_free(&c.resp);
	return rc;
}

enum seg_err api_logout(struct api *a)
{
	enum seg_err rc;
	int lock;

	if (api_logged_in(a))
		revoke_token(a, a->s.refresh);
	session_clear(&a->s);
	if ((rc = lock_creds(a, false, &lock)) != SEG_OK)
		return rc;
	rc = drop_file(a, LOAD_NONE);
	unlock_creds(lock);
	if (rc == SEG_OK)
		seg_clear_error();
	return rc;
}

static bool known_method(const char *m, bool *idempotent)
{
	*idempotent = !strcmp(m, "GET") || !strcmp(m, "PUT") || !strcmp(m, "DELETE");
	return *idempotent || !strcmp(m, "POST");
}

enum seg_err api_request(struct api *a, const char *method, const char *path, json_t *body,
                         json_t **out, long *status)
{
	struct call c = { .method = method, .ctype = "Content-Type: application/json" };
	char *url = NULL, *text = NULL;
	bool idempotent, refreshed = false;
	enum seg_err rc;

	if (out)
		*out = NULL;
	if (status)
		*status = 0;
	if (!a || !method || !known_method(method, &idempotent) || !path || path[0] != '/')
		return seg_fail(SEG_EUSAGE, "bad request: %s %s", method ? method : "(null)",
		                path ? path : "(null)");
	if (!api_logged_in(a))
		return not_logged_in(a);
	if (body) {
		if (!(text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY))) {
			rc = seg_fail(SEG_EUSAGE, "the request body cannot be written as JSON");
			goto out;
		}
		c.body = text;
		c.body_len = strlen(text);
	}
	if (!(url = concat(a->server, path))) {
		rc = seg_fail(SEG_ENOMEM, "out of memory");
		goto out;
	}
	c.url = url;
	if (expiring(&a->s) && (rc = refresh(a)) != SEG_OK)
		goto out;
	for (;;) {
		c.bearer = a->s.access;
		if ((rc = exchange(a, &c, idempotent)) != SEG_OK)
			break;
		if (c.status != 401 || refreshed)
			break;
		/* The server did not act on a 401, so even a POST may be sent again. */
		refreshed = true;
		if ((rc = refresh(a)) != SEG_OK)
			break;
	}
	if (status)
		*status = c.status;
	if (rc != SEG_OK)
		goto out;
	if (c.status < 200 || c.status > 299) {
		rc = answer_error(&c, NULL, 0);
		goto out;
	}
	if (c.status != 204 && c.resp.len) {
		json_t *j = json_loadb(c.resp.p, c.resp.len, JSON_DECODE_ANY, NULL);

		if (!j) {
			rc = seg_fail(SEG_EPROTO, "the server sent an answer that is not JSON");
			goto out;
		}
		if (out)
			*out = j;
		else
			json_decref(j);
	}
	rc = SEG_OK;
out:
	buf_free(&c.resp);
	free(text);
	free(url);
	return rc;
}

enum seg_err api_get(struct api *a, const char *path, json_t **out)
{
	return api_request(a, "GET", path, NULL, out, NULL);
}

char *api_escape(const char *s)
{
	char *esc, *copy;

	if (!s || strlen(s) > INT_MAX)
		return NULL;
#if LIBCURL_VERSION_NUM >= 0x075200
	esc = curl_easy_escape(NULL, s, (int)strlen(s));
#else
	CURL *h;

	if (!global_ready() || !(h = curl_easy_init()))
		return NULL;
	esc = curl_easy_escape(h, s, (int)strlen(s));
	curl_easy_cleanup(h);
#endif
	if (!esc)
		return NULL;
	copy = strdup(esc);
	curl_free(esc);
	return copy;
}

enum seg_err api_get_all(struct api *a, const char *path, const char *within, size_t max,
                         json_t **items)
{
	char *next = strdup(path);
	enum seg_err e = SEG_OK;

	*items = json_array();
	if (!next || !*items) {
		e = seg_fail(SEG_ENOMEM, "out of memory");
		goto out;
	}
	while (next && json_array_size(*items) < max) {
		json_t *answer = NULL, *page, *list;
		const char *n, *v1;

		if ((e = api_get(a, next, &answer)))
			goto out;
		page = within ? json_object_get(answer, within) : answer;
		list = json_object_get(page, "items");
		if (!json_is_array(list)) {
			json_decref(answer);
			e = seg_fail(SEG_EPROTO, "the server sent a page without items");
			goto out;
		}
		json_array_extend(*items, list);
		free(next);
		next = NULL;
		/* "next" is an absolute URL; requests take the path. */
		if ((n = json_string_value(json_object_get(page, "next"))) && (v1 = strstr(n, "/v1/")))
			next = strdup(v1);
		json_decref(answer);
	}
out:
	free(next);
	if (e) {
		json_decref(*items);
		*items = NULL;
	}
	return e;
}
