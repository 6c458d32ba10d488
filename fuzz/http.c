/* The HTTP server as segue-server runs it: libwebsockets 4.1.6's request parser, our HTTP
 * callback (server/http/http.c: begin, the body, the answer), the route table and its
 * handlers, and a WebSocket upgrade into Connect (server/connect/ws.c and the hub), over the
 * fixture's store (fuzz/fixture.c).
 *
 * The input is what a client writes on a connection: it is written into one end of a
 * socketpair whose other end lws adopts on a vhost with the server's two protocols, and the
 * loop is serviced until the server has nothing more to say; then the client goes away and
 * the loop runs until lws has freed the connection. "@TOKEN@", "@OTHER@", "@USER@",
 * "@PLAYLIST@" and "@APIKEY@" in the input stand for the fixture's tokens and ids, so that seeds can reach
 * past authentication.
 *
 * Checks: every answer starts with a status line; none is a 5xx; the connection is freed
 * within a bounded number of turns once the client has gone. */
#include "config.h"

#include <errno.h>
#include <libwebsockets.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "connect/hub.h"
#include "connect/ws.h"
#include "fixture.h"
#include "fuzz.h"

static struct lws_vhost *vhost;
static struct lws *live; /* the connection under test, until lws frees it */

static int http_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	if (getenv("FUZZ_TRACE"))
		fprintf(stderr, "cb %d len %zu\n", (int)reason, len);
	if (reason == LWS_CALLBACK_WSI_DESTROY && wsi == live)
		live = NULL;
	return http_callback(wsi, (int)reason, user, in, len);
}

static int ws_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	return ws_callback(wsi, (int)reason, user, in, len);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct fixture *fx = fixture_get();
	static struct lws_protocols protocols[3];
	struct lws_context_creation_info info;

	(void)argc;
	(void)argv;
	/* As cli/serve.c registers them. */
	protocols[0] = (struct lws_protocols){ "http", http_cb, sizeof(struct http_session), 0, 0, NULL, HTTP_MAX_SEND };
	protocols[1] = (struct lws_protocols){ WS_PROTOCOL, ws_cb, sizeof(struct hub_conn), WS_RX_BUFFER, 0,
	                                       fx->srv->hub, WS_TX_PACKET };
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN_SERVER;
	info.protocols = protocols;
	info.vhost_name = "segue";
	info.keepalive_timeout = 30;
	info.timeout_secs = 30;
	vhost = lws_create_vhost(fx->srv->lws, &info);
	fuzz_check(vhost != NULL, "lws_create_vhost");
	/* No job worker runs: a sign-in (argon2id on a worker) stays pending until its
	 * client goes, which is a path of its own (req_defer's gone). */
	return 0;
}

/* The input with the placeholders replaced. */
static size_t expand(struct fixture *fx, const uint8_t *data, size_t size, char *out, size_t cap)
{
	static const char *const keys[] = { "@TOKEN@", "@OTHER@", "@USER@", "@PLAYLIST@", "@APIKEY@" };
	const char *vals[] = { fx->auth + 7, fx->other_auth + 7, fx->user_id, fx->playlist_id, fx->apikey };
	const size_t nkeys = sizeof keys / sizeof keys[0];
	size_t o = 0;

	for (size_t i = 0; i < size && o < cap;) {
		size_t k;

		for (k = 0; k < nkeys; k++) {
			size_t kl = strlen(keys[k]), vl = strlen(vals[k]);

			if (size - i >= kl && !memcmp(data + i, keys[k], kl) && cap - o >= vl) {
				memcpy(out + o, vals[k], vl);
				o += vl;
				i += kl;
				break;
			}
		}
		if (k == nkeys)
			out[o++] = (char)data[i++];
	}
	return o;
}

/* Reads what the server wrote; checks each status line that starts an answer at the start
 * of what it read (answers after the first are not delimited here). */
static size_t take_output(int fd, char *seen, size_t *nseen, size_t cap)
{
	size_t got = 0;

	for (;;) {
		char buf[65536];
		ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);

		if (n <= 0)
			return got;
		if (*nseen < cap) {
			size_t k = (size_t)n < cap - *nseen ? (size_t)n : cap - *nseen;

			memcpy(seen + *nseen, buf, k);
			*nseen += k;
		}
		got += (size_t)n;
	}
}

static void check_answer(const char *out, size_t n)
{
	int status;

	if (n == 0)
		return;
	if (n >= 4 && !memcmp(out, "\x88", 1))
		return; /* a WebSocket close frame */
	fuzz_check(n >= 12 && (!memcmp(out, "HTTP/1.1 ", 9) || !memcmp(out, "HTTP/1.0 ", 9)), "the answer starts \"%.*s\"", (int)(n < 40 ? n : 40), out);
	status = atoi(out + 9);
	fuzz_check(status >= 100 && status <= 599, "status %d", status);
	fuzz_check(status < 500, "a server error: %.*s", (int)(n < 600 ? n : 600), out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fixture *fx = fixture_get();
	static char in[1 << 17], out[8192];
	size_t len = expand(fx, data, size, in, sizeof in), nout = 0, off = 0;
	int sv[2], idle = 0, turns;

	fuzz_check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
	live = lws_adopt_socket_vhost(vhost, sv[0]);
	fuzz_check(live != NULL, "lws_adopt_socket_vhost");
	/* The client writes all it has (as much as the socket takes at a time) and reads
	 * answers; the server is done when a few turns pass with nothing new. */
	for (turns = 0; turns < 2000 && idle < 4 && live; turns++) {
		bool moved = false;

		if (off < len) {
			ssize_t n = send(sv[1], in + off, len - off, MSG_DONTWAIT | MSG_NOSIGNAL);

			if (n > 0) {
				off += (size_t)n;
				moved = true;
			}
		}
		if (getenv("FUZZ_TRACE"))
			fprintf(stderr, "service\n");
		lws_service(fx->srv->lws, -1);
		if (take_output(sv[1], out, &nout, sizeof out))
			moved = true;
		idle = moved ? 0 : idle + 1;
	}
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "fuzz: answered %zu bytes: %.*s\n", nout, (int)(nout < 400 ? nout : 400), out);
	check_answer(out, nout);
	/* The client goes: lws must notice and free the connection. */
	close(sv[1]);
	for (turns = 0; turns < 1000 && live; turns++)
		lws_service(fx->srv->lws, -1);
	fuzz_check(live == NULL, "the connection outlived its client");
	return 0;
}
