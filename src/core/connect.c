/* The Connect transport thread. Everything lws is touched on this thread only; the owner
 * reaches it through the two queues under the mutex and lws_cancel_service (the one lws call
 * that is safe from another thread), and is woken through an eventfd. */
#include "config.h"
#include "connect.h"

#include <errno.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"

#define CONNECT_PROTOCOL "segue-connect.v1"
#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 10000
#define RX_MAX (4u << 20) /* the largest message we accept from the hub */

struct msg {
	struct msg *next;
	size_t len;
	char data[]; /* for outgoing ones: LWS_PRE bytes of room first */
};

struct mq {
	struct msg *head, *tail;
};

enum link { LINK_DOWN, LINK_CONNECTING, LINK_AWAIT_HELLO, LINK_READY };

struct connect {
	/* fixed after connect_new */
	char host[256], path[512];
	int port;
	bool tls;
	int efd;
	pthread_t thread;
	bool started;

	/* shared, under lock */
	pthread_mutex_t lock;
	struct mq in, out;
	char *hello;
	char token[512];
	bool stop, token_new, ready;
	enum link link;

	/* the thread's own */
	struct lws_context *ctx;
	struct lws *wsi;
	lws_sorted_usec_list_t sul_connect, sul_ping;
	long backoff_ms;
	long heartbeat_ms;
	bool unauthorized;
	char *rx;
	size_t rx_len, rx_cap;
};

static void mq_push(struct mq *q, struct msg *m)
{
	m->next = NULL;
	if (q->tail)
		q->tail->next = m;
	else
		q->head = m;
	q->tail = m;
}

static struct msg *mq_pop(struct mq *q)
{
	struct msg *m = q->head;

	if (m && !(q->head = m->next))
		q->tail = NULL;
	return m;
}

static void mq_clear(struct mq *q)
{
	struct msg *m;

	while ((m = mq_pop(q)))
		free(m);
}

static struct msg *msg_new(const char *text, size_t len, size_t pre)
{
	struct msg *m = malloc(sizeof *m + pre + len + 1);

	if (!m)
		return NULL;
	m->len = len;
	memcpy(m->data + pre, text, len);
	m->data[pre + len] = '\0';
	return m;
}

/* Hands a message to the owner (thread side). */
static void deliver(struct connect *c, const char *text, size_t len)
{
	struct msg *m = msg_new(text, len, 0);
	uint64_t one = 1;

	if (!m)
		return;
	pthread_mutex_lock(&c->lock);
	mq_push(&c->in, m);
	pthread_mutex_unlock(&c->lock);
	(void)!write(c->efd, &one, sizeof one);
}

static void deliver_event(struct connect *c, const char *type)
{
	char text[64];
	int n = snprintf(text, sizeof text, "{\"type\":\"%s\"}", type);

	deliver(c, text, (size_t)n);
}

static void set_link(struct connect *c, enum link l)
{
	pthread_mutex_lock(&c->lock);
	c->link = l;
	c->ready = l == LINK_READY;
	if (l == LINK_DOWN || l == LINK_AWAIT_HELLO) {
		/* What was queued for the old connection means nothing to the new one. */
		mq_clear(&c->out);
		free(c->hello);
		c->hello = NULL;
	}
	pthread_mutex_unlock(&c->lock);
}

static void try_connect(lws_sorted_usec_list_t *sul);

static void schedule_connect(struct connect *c)
{
	/* Full jitter between half and all of the backoff, so a restarted hub is not met by
	 * every device at the same instant. */
	long ms = c->backoff_ms / 2 + (long)(random() % (c->backoff_ms / 2 + 1));

	lws_sul_schedule(c->ctx, 0, &c->sul_connect, try_connect, (lws_usec_t)ms * LWS_US_PER_MS);
	c->backoff_ms = c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : c->backoff_ms * 2;
}

static void try_connect(lws_sorted_usec_list_t *sul)
{
	struct connect *c = lws_container_of(sul, struct connect, sul_connect);
	struct lws_client_connect_info ci;

	pthread_mutex_lock(&c->lock);
	bool have_token = c->token[0] != '\0' && !(c->unauthorized && !c->token_new);
	c->token_new = false;
	pthread_mutex_unlock(&c->lock);
	if (!have_token || c->wsi)
		return; /* waiting for a fresh token from the owner */
	c->unauthorized = false;
	memset(&ci, 0, sizeof ci);
	ci.context = c->ctx;
	ci.address = c->host;
	ci.port = c->port;
	ci.path = c->path;
	ci.host = c->host;
	ci.origin = c->host;
	ci.protocol = CONNECT_PROTOCOL;
	ci.ssl_connection = c->tls ? LCCSCF_USE_SSL : 0;
	ci.userdata = c;
	ci.pwsi = &c->wsi;
	set_link(c, LINK_CONNECTING);
	if (!lws_client_connect_via_info(&ci)) {
		c->wsi = NULL;
		set_link(c, LINK_DOWN);
		schedule_connect(c);
	}
}

static void send_ping(lws_sorted_usec_list_t *sul)
{
	struct connect *c = lws_container_of(sul, struct connect, sul_ping);
	static const char ping[] = "{\"type\":\"ping\"}";
	struct msg *m;

	if (!c->wsi)
		return;
	if ((m = msg_new(ping, sizeof ping - 1, LWS_PRE))) {
		pthread_mutex_lock(&c->lock);
		if (c->link == LINK_READY)
			mq_push(&c->out, m);
		else
			free(m);
		pthread_mutex_unlock(&c->lock);
		lws_callback_on_writable(c->wsi);
	}
	lws_sul_schedule(c->ctx, 0, &c->sul_ping, send_ping, (lws_usec_t)c->heartbeat_ms * LWS_US_PER_MS);
}

/* A hub that says nothing for three heartbeats is gone, even if TCP has not noticed. */
static void touch(struct connect *c)
{
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, (int)((c->heartbeat_ms * 3 + 999) / 1000));
}

static void on_message(struct connect *c, const char *text, size_t len)
{
	/* The welcome says how often the hub wants a heartbeat. */
	if (len > 20 && !strncmp(text, "{\"type\":\"welcome\"", 17)) {
		json_t *w = json_loadb(text, len, 0, NULL);
		json_int_t hb = json_integer_value(json_object_get(w, "heartbeat_ms"));

		if (hb >= 100 && hb <= 600000)
			c->heartbeat_ms = (long)hb;
		json_decref(w);
		c->backoff_ms = BACKOFF_MIN_MS;
		touch(c);
		lws_sul_schedule(c->ctx, 0, &c->sul_ping, send_ping, (lws_usec_t)c->heartbeat_ms * LWS_US_PER_MS);
	}
	/* A pong only keeps the session alive (touch above): the owner's loop need not wake. */
	if (len == 15 && !memcmp(text, "{\"type\":\"pong\"}", 15))
		return;
	deliver(c, text, len);
}

static int writeable(struct connect *c, struct lws *wsi)
{
	struct msg *m = NULL;
	char *hello = NULL;

	pthread_mutex_lock(&c->lock);
	if (c->link == LINK_AWAIT_HELLO) {
		hello = c->hello;
		c->hello = NULL;
		if (hello) {
			c->link = LINK_READY;
			c->ready = true;
		}
	} else if (c->link == LINK_READY) {
		m = mq_pop(&c->out);
	}
	bool more = c->link == LINK_READY && c->out.head;
	pthread_mutex_unlock(&c->lock);
	if (hello) {
		size_t n = strlen(hello);
		unsigned char *buf = malloc(LWS_PRE + n);
		int rc = -1;

		if (buf) {
			memcpy(buf + LWS_PRE, hello, n);
			rc = lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT);
			free(buf);
		}
		free(hello);
		if (rc < 0)
			return -1;
	} else if (m) {
		int rc = lws_write(wsi, (unsigned char *)m->data + LWS_PRE, m->len, LWS_WRITE_TEXT);

		free(m);
		if (rc < 0)
			return -1;
	}
	if (more)
		lws_callback_on_writable(wsi);
	return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
	struct connect *c = lws_context_user(lws_get_context(wsi));
	unsigned char **p, *end;
	char auth[600];

	(void)user;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		p = (unsigned char **)in;
		end = *p + len;
		pthread_mutex_lock(&c->lock);
		snprintf(auth, sizeof auth, "Bearer %s", c->token);
		pthread_mutex_unlock(&c->lock);
		if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, (unsigned char *)auth,
		                                 (int)strlen(auth), p, end))
			return -1;
		return 0;

	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		set_link(c, LINK_AWAIT_HELLO);
		c->rx_len = 0;
		c->heartbeat_ms = 5000;
		touch(c);
		deliver_event(c, "_connected");
		return 0;

	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (lws_http_client_http_response(wsi) == 401) {
			c->unauthorized = true;
			deliver_event(c, "_unauthorized");
		} else {
			log_debug("connect: cannot reach the hub: %s", in ? (const char *)in : "?");
		}
		c->wsi = NULL;
		set_link(c, LINK_DOWN);
		schedule_connect(c);
		return 0;

	case LWS_CALLBACK_CLIENT_RECEIVE:
		touch(c);
		if (c->rx_len + len > RX_MAX)
			return -1;
		if (c->rx_len + len > c->rx_cap) {
			size_t cap = c->rx_cap ? c->rx_cap : 8192;
			char *np;

			while (cap < c->rx_len + len)
				cap *= 2;
			if (!(np = realloc(c->rx, cap)))
				return -1;
			c->rx = np;
			c->rx_cap = cap;
		}
		memcpy(c->rx + c->rx_len, in, len);
		c->rx_len += len;
		if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
			on_message(c, c->rx, c->rx_len);
			c->rx_len = 0;
		}
		return 0;

	case LWS_CALLBACK_CLIENT_WRITEABLE:
		return writeable(c, wsi);

	case LWS_CALLBACK_CLIENT_CLOSED:
		c->wsi = NULL;
		lws_sul_cancel(&c->sul_ping);
		set_link(c, LINK_DOWN);
		deliver_event(c, "_disconnected");
		schedule_connect(c);
		return 0;

	case LWS_CALLBACK_WSI_DESTROY:
		/* A connection that died before it was established and reported no error (the hub
		 * went down mid-handshake): without this, c->wsi would stay set and no reconnect
		 * would ever be tried. */
		if (wsi == c->wsi) {
			c->wsi = NULL;
			lws_sul_cancel(&c->sul_ping);
			set_link(c, LINK_DOWN);
			deliver_event(c, "_disconnected");
			schedule_connect(c);
		}
		return 0;

	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		/* The owner queued something, set a token, or wants us to stop. */
		pthread_mutex_lock(&c->lock);
		bool retry = c->token_new && !c->wsi;
		bool write = c->wsi && ((c->link == LINK_AWAIT_HELLO && c->hello) ||
		                        (c->link == LINK_READY && c->out.head));
		pthread_mutex_unlock(&c->lock);
		if (write)
			lws_callback_on_writable(c->wsi);
		if (retry)
			lws_sul_schedule(c->ctx, 0, &c->sul_connect, try_connect, 1);
		return 0;

	default:
		return 0;
	}
}

static const struct lws_protocols protocols[] = {
	{ CONNECT_PROTOCOL, callback, 0, 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

static void *run(void *arg)
{
	struct connect *c = arg;

	lws_sul_schedule(c->ctx, 0, &c->sul_connect, try_connect, 1);
	for (;;) {
		pthread_mutex_lock(&c->lock);
		bool stop = c->stop;
		pthread_mutex_unlock(&c->lock);
		if (stop || lws_service(c->ctx, 0) < 0)
			break;
	}
	return NULL;
}

enum seg_err connect_new(const char *server, struct connect **out)
{
	struct connect *c = calloc(1, sizeof *c);
	char url[1024];
	const char *prot, *ads, *path;
	int port;

	*out = NULL;
	if (!c)
		return seg_fail(SEG_ENOMEM, "out of memory");
	c->efd = -1;
	snprintf(url, sizeof url, "%s", server);
	if (lws_parse_uri(url, &prot, &ads, &port, &path) || !*ads ||
	    (strcmp(prot, "http") && strcmp(prot, "https"))) {
		free(c);
		return seg_fail(SEG_EUSAGE, "cannot reach Connect through \"%s\": the server must be an "
		                "http:// or https:// URL", server);
	}
	c->tls = !strcmp(prot, "https");
	c->port = port;
	snprintf(c->host, sizeof c->host, "%s", ads);
	/* lws_parse_uri drops the path's leading slash; a server under a prefix keeps it. */
	snprintf(c->path, sizeof c->path, "/%s%sv1/connect", path,
	         *path && path[strlen(path) - 1] != '/' ? "/" : "");
	c->backoff_ms = BACKOFF_MIN_MS;
	c->heartbeat_ms = 5000;
	pthread_mutex_init(&c->lock, NULL);
	if ((c->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		connect_free(c);
		return seg_fail(SEG_EFAIL, "eventfd: %s", strerror(errno));
	}
	*out = c;
	return SEG_OK;
}

enum seg_err connect_start(struct connect *c)
{
	struct lws_context_creation_info info;

	lws_set_log_level(LLL_ERR, NULL);
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.user = c;
	info.options = c->tls ? LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT : 0;
	info.fd_limit_per_thread = 16;
	if (!(c->ctx = lws_create_context(&info)))
		return seg_fail(SEG_EFAIL, "cannot start the Connect session");
	if (pthread_create(&c->thread, NULL, run, c)) {
		lws_context_destroy(c->ctx);
		c->ctx = NULL;
		return seg_fail(SEG_EFAIL, "cannot start the Connect thread");
	}
	c->started = true;
	return SEG_OK;
}

void connect_free(struct connect *c)
{
	if (!c)
		return;
	if (c->started) {
		pthread_mutex_lock(&c->lock);
		c->stop = true;
		pthread_mutex_unlock(&c->lock);
		lws_cancel_service(c->ctx);
		pthread_join(c->thread, NULL);
	}
	if (c->ctx)
		lws_context_destroy(c->ctx);
	mq_clear(&c->in);
	mq_clear(&c->out);
	free(c->hello);
	free(c->rx);
	if (c->efd >= 0)
		close(c->efd);
	pthread_mutex_destroy(&c->lock);
	explicit_bzero(c->token, sizeof c->token);
	free(c);
}

void connect_set_token(struct connect *c, const char *token)
{
	pthread_mutex_lock(&c->lock);
	snprintf(c->token, sizeof c->token, "%s", token);
	c->token_new = true;
	pthread_mutex_unlock(&c->lock);
	if (c->ctx)
		lws_cancel_service(c->ctx);
}

int connect_fd(struct connect *c)
{
	return c->efd;
}

char *connect_next(struct connect *c)
{
	struct msg *m;
	uint64_t n;
	char *text;

	pthread_mutex_lock(&c->lock);
	m = mq_pop(&c->in);
	if (!c->in.head)
		(void)!read(c->efd, &n, sizeof n); /* drained: quiet until the next one */
	pthread_mutex_unlock(&c->lock);
	if (!m)
		return NULL;
	/* The text moves to the front of the block so the caller can free() it. */
	text = (char *)m;
	memmove(text, m->data, m->len + 1);
	return text;
}

void connect_hello(struct connect *c, const char *text)
{
	pthread_mutex_lock(&c->lock);
	if (c->link == LINK_AWAIT_HELLO) {
		free(c->hello);
		c->hello = strdup(text);
	}
	pthread_mutex_unlock(&c->lock);
	lws_cancel_service(c->ctx);
}

void connect_send(struct connect *c, const char *text)
{
	size_t n = strlen(text);
	struct msg *m = msg_new(text, n, LWS_PRE);

	if (!m)
		return;
	pthread_mutex_lock(&c->lock);
	if (c->link == LINK_READY || c->link == LINK_AWAIT_HELLO)
		mq_push(&c->out, m);
	else
		free(m);
	pthread_mutex_unlock(&c->lock);
	lws_cancel_service(c->ctx);
}

bool connect_ready(struct connect *c)
{
	pthread_mutex_lock(&c->lock);
	bool r = c->ready;
	pthread_mutex_unlock(&c->lock);
	return r;
}
