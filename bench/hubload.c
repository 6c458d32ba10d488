/* The fake Connect devices of bench/hubscale.sh, in C: one process holds up to ~19,000
 * WebSocket sessions on one epoll loop (bench/hubload.py's asyncio worker holds a few thousand
 * per core), so that 2 cores can carry the server and the load at once and the figures are the
 * server's. It speaks the worker protocol of bench/hubload.py (hubload.py run --worker-cmd runs
 * it instead of its own worker): the spec file is hubload.py's JSON (port, concurrency, seed,
 * devices: [{user, token, id, active, and port where it is not the spec's: several
 * instances}], and "sources": how many 127.0.0.x source addresses to spread the connections
 * over, since one source address has ~28,000 ephemeral ports to one destination); events go out as JSON lines on stdout (progress, ready, marked, report);
 * commands come as lines on stdin (halt, mark, report, quit).
 *
 * A device: TCP connect, the upgrade request with its bearer token, a 101 (status and
 * subprotocol checked), hello (asking for device deltas, as segue does), the welcome (its
 * heartbeat_ms read), then {"type":"ping"} every 0.9-1.0 heartbeat (the first at a random
 * point of the first), each pong timed. Frames are parsed as they come and skipped by their
 * first bytes (device lists, player states); client frames are masked (RFC 6455 5.3). An
 * active device (device 0 of the first users) reports a playing state after the welcome and
 * answers commands as a player does: the state, then the result. Failed connects are retried
 * (5 attempts, 0.5 s more each time).
 *
 *   usage: hubload SPEC_FILE        (built by bench/hubscale.sh: cc -O2 ... -ljansson) */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HEAD_MAX 96      /* the first bytes of a message kept to tell its type */
#define IN_MAX 4096      /* handshake answer */
#define ATTEMPTS 5

enum st { S_IDLE, S_CONNECTING, S_UPGRADING, S_HELLO, S_OPEN, S_CLOSED, S_FAILED };

struct dev {
	const char *user, *token, *id;
	bool active, playing;
	enum st st;
	int fd, attempts;
	int port;                 /* the instance it connects to */
	double t0, t_hs;          /* connect start; handshake done (wall s) */
	double retry_at;          /* monotonic s */
	double ping_at;           /* monotonic s of the ping in flight; 0: none */
	double next_ping;         /* monotonic s */
	double hb;                /* heartbeat, s */
	long long pos, pos_ts;    /* playing position, ms; wall ms it was taken at */
	/* frame parsing */
	unsigned char hdr[14];
	int hdr_len, op;
	bool fin;
	uint64_t left;            /* payload bytes of the current frame still to come */
	unsigned char head[HEAD_MAX];
	int head_len;
	char *msg;                /* an active device: the whole data message */
	size_t msg_len, msg_cap;
	char *in;                 /* handshake answer so far (freed once upgraded) */
	int in_len;
	char *out;                /* bytes send() did not take */
	size_t out_len;
	int close_code;
	char close_reason[64];
	long msgs, commands;
	long long bytes;
};

static struct dev *devs;
static int ndev, port, concurrency, nsources = 1, inflight, connected, closed_n, attempts_n;
static int epfd;
static double t_first, t_last;
static bool halted, ready_sent;
static uint64_t rng;
static double *rtts, *hs_ms, *wel_ms;
static size_t nrtt, caprtt, nhs, caphs, nwel, capwel;
static struct { char why[128]; int n; } fails[32];
static int nfails;

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double uniform(double a, double b)
{
	return a + (b - a) * (double)(rnd() >> 11) / (double)(1ull << 53);
}

static void fail_count(const char *why)
{
	for (int i = 0; i < nfails; i++)
		if (!strcmp(fails[i].why, why)) {
			fails[i].n++;
			return;
		}
	if (nfails < 32) {
		snprintf(fails[nfails].why, sizeof fails[nfails].why, "%s", why);
		fails[nfails++].n = 1;
	}
}

static void push(double **a, size_t *n, size_t *cap, double x)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 4096;
		*a = realloc(*a, *cap * sizeof **a);
		if (!*a) {
			fprintf(stderr, "hubload: out of memory\n");
			exit(1);
		}
	}
	(*a)[(*n)++] = x;
}

/* ---- output ---- */

static void send_raw(struct dev *d, const void *p, size_t n)
{
	ssize_t w = 0;

	if (d->fd < 0)
		return;
	if (!d->out_len) {
		w = send(d->fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno != EAGAIN)
			return; /* the read side sees the end */
		if (w < 0)
			w = 0;
	}
	if ((size_t)w < n) {
		char *o = realloc(d->out, d->out_len + n - (size_t)w);

		if (!o)
			return;
		memcpy(o + d->out_len, (const char *)p + w, n - (size_t)w);
		d->out = o;
		d->out_len += n - (size_t)w;
		struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = d };
		epoll_ctl(epfd, EPOLL_CTL_MOD, d->fd, &ev);
	}
}

/* One masked frame. */
static void send_frame(struct dev *d, int op, const void *payload, size_t n)
{
	unsigned char stackbuf[512], *f = stackbuf;
	size_t h = 2;
	uint32_t key = (uint32_t)rnd();

	if (n + 14 > sizeof stackbuf && !(f = malloc(n + 14)))
		return;
	f[0] = 0x80 | (unsigned char)op;
	if (n < 126) {
		f[1] = 0x80 | (unsigned char)n;
	} else if (n < 65536) {
		f[1] = 0x80 | 126;
		f[2] = (unsigned char)(n >> 8);
		f[3] = (unsigned char)n;
		h = 4;
	} else {
		f[1] = 0x80 | 127;
		for (int i = 0; i < 8; i++)
			f[2 + i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
		h = 10;
	}
	memcpy(f + h, &key, 4);
	for (size_t i = 0; i < n; i++)
		f[h + 4 + i] = ((const unsigned char *)payload)[i] ^ ((unsigned char *)&key)[i & 3];
	send_raw(d, f, h + 4 + n);
	if (f != stackbuf)
		free(f);
}

static void send_text(struct dev *d, const char *s)
{
	send_frame(d, 1, s, strlen(s));
}

static long long now_ms(void)
{
	return (long long)(wall() * 1000);
}

static long long position(struct dev *d)
{
	return d->pos + (d->playing ? now_ms() - d->pos_ts : 0);
}

static void send_state(struct dev *d, bool with_queue)
{
	char buf[1536], queue[320] = "";
	int n = (int)(d - devs);

	if (with_queue)
		snprintf(queue, sizeof queue, ",\"queue\":{\"context_uri\":null,\"tracks\":[\"benchtrack%012d\"],"
		         "\"order\":[0],\"pos\":0,\"user\":[],\"current_is_user\":false,\"shuffle\":false,"
		         "\"repeat\":\"off\"}", n);
	snprintf(buf, sizeof buf,
	         "{\"type\":\"state\",\"state\":{\"device\":{\"id\":\"%s\",\"name\":\"%s\",\"type\":\"speaker\","
	         "\"is_active\":true,\"is_private_session\":false,\"is_restricted\":false,\"volume_percent\":50,"
	         "\"supports_volume\":true},\"repeat_state\":\"off\",\"shuffle_state\":false,\"context\":null,"
	         "\"timestamp\":%lld,\"progress_ms\":%lld,\"is_playing\":%s,\"item\":{\"id\":\"benchtrack%012d\","
	         "\"uri\":\"segue:track:benchtrack%012d\",\"type\":\"track\",\"name\":\"Bench track\","
	         "\"duration_ms\":240000,\"artists\":[{\"id\":\"benchartist0000000000\",\"name\":\"Bench\"}],"
	         "\"album\":{\"id\":\"benchalbum0000000000000\",\"name\":\"Bench album\"}},"
	         "\"currently_playing_type\":\"track\"}%s}",
	         d->id, d->id, now_ms(), position(d), d->playing ? "true" : "false", n, n, queue);
	send_text(d, buf);
}

/* ---- connections ---- */

static void dev_close(struct dev *d)
{
	if (d->fd >= 0) {
		epoll_ctl(epfd, EPOLL_CTL_DEL, d->fd, NULL);
		close(d->fd);
		d->fd = -1;
	}
	free(d->in);
	free(d->out);
	free(d->msg);
	d->in = d->out = d->msg = NULL;
	d->in_len = 0;
	d->out_len = d->msg_len = d->msg_cap = 0;
}

static void give_up(struct dev *d, const char *why)
{
	bool was_open = d->st == S_OPEN;

	dev_close(d);
	if (was_open) {
		d->st = S_CLOSED;
		closed_n++;
		if (!d->close_code)
			d->close_code = 1006;
		return;
	}
	inflight--;
	fail_count(why);
	if (halted || ++d->attempts >= ATTEMPTS) {
		d->st = S_FAILED;
		return;
	}
	d->st = S_IDLE;
	d->retry_at = mono() + 0.5 * d->attempts;
}

static void start_connect(struct dev *d)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)d->port) };
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN, .data.ptr = d };
	int one = 1;

	attempts_n++;
	inflight++;
	d->t0 = wall();
	if (!t_first)
		t_first = d->t0;
	d->st = S_CONNECTING;
	d->hdr_len = d->head_len = 0;
	d->left = 0;
	d->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->fd < 0) {
		give_up(d, "socket() failed");
		return;
	}
	setsockopt(d->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (nsources > 1) {
		struct sockaddr_in src = { .sin_family = AF_INET };

		/* 127.0.0.2 and up: loopback answers the whole 127/8 */
		src.sin_addr.s_addr = htonl(0x7f000002u + (uint32_t)((d - devs) % nsources));
		/* the port is picked at connect, for the whole 4-tuple: not one per bind */
		setsockopt(d->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
		if (bind(d->fd, (struct sockaddr *)&src, sizeof src) < 0) {
			give_up(d, "bind() of a source address failed");
			return;
		}
	}
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(d->fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS) {
		char why[96];

		snprintf(why, sizeof why, "connect: %s", strerror(errno));
		give_up(d, why);
		return;
	}
	epoll_ctl(epfd, EPOLL_CTL_ADD, d->fd, &ev);
}

static void on_connected(struct dev *d)
{
	char req[1024];
	int err = 0;
	socklen_t len = sizeof err;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = d };

	if (getsockopt(d->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
		char why[96];

		snprintf(why, sizeof why, "connect: %s", strerror(err ? err : errno));
		give_up(d, why);
		return;
	}
	epoll_ctl(epfd, EPOLL_CTL_MOD, d->fd, &ev);
	/* The key need not be secret (the server only hashes it back): a fixed one is fine. */
	snprintf(req, sizeof req,
	         "GET /v1/connect HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
	         "Connection: Upgrade\r\nSec-WebSocket-Key: c2VndWUtaHViLWxvYWQtMQ==\r\n"
	         "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: segue-connect.v1\r\n"
	         "Authorization: Bearer %s\r\n\r\n", d->port, d->token);
	d->st = S_UPGRADING;
	send_raw(d, req, strlen(req));
}

static void on_welcome(struct dev *d)
{
	const char *hb = memmem(d->head, (size_t)d->head_len, "\"heartbeat_ms\":", 15);
	double t = wall();

	d->hb = hb ? atof(hb + 15) / 1000.0 : 5.0;
	if (d->hb <= 0)
		d->hb = 5.0;
	d->st = S_OPEN;
	inflight--;
	connected++;
	t_last = t;
	push(&hs_ms, &nhs, &caphs, (d->t_hs - d->t0) * 1000);
	push(&wel_ms, &nwel, &capwel, (t - d->t0) * 1000);
	if (d->active) {
		d->playing = true;
		d->pos = 1000;
		d->pos_ts = now_ms();
		send_state(d, true);
	}
	d->next_ping = mono() + uniform(0, d->hb);
}

static void on_command(struct dev *d)
{
	json_t *m = json_loadb(d->msg, d->msg_len, 0, NULL);
	const char *c = json_string_value(json_object_get(m, "command"));
	const char *id = json_string_value(json_object_get(m, "id"));
	const char *type = json_string_value(json_object_get(m, "type"));
	char res[256];

	if (!type || strcmp(type, "command") || !c || !id)
		goto out;
	d->commands++;
	if (!strcmp(c, "stop")) {
		d->pos = position(d);
		d->pos_ts = now_ms();
		d->playing = false;
		goto out;
	}
	if (!strcmp(c, "pause") || !strcmp(c, "resume")) {
		d->pos = position(d);
		d->pos_ts = now_ms();
		d->playing = c[0] == 'r';
	} else if (!strcmp(c, "transfer_in")) {
		d->pos = json_integer_value(json_object_get(m, "position_ms"));
		d->pos_ts = now_ms();
		d->playing = json_is_true(json_object_get(m, "play"));
	} else if (!strcmp(c, "transfer_out")) {
		d->pos = position(d);
		d->pos_ts = now_ms();
		d->playing = false;
	}
	send_state(d, false);
	snprintf(res, sizeof res, "{\"type\":\"result\",\"id\":\"%.64s\",\"ok\":true}", id);
	send_text(d, res);
out:
	json_decref(m);
}

/* A whole message (or its first HEAD_MAX bytes) is in. */
static void on_message(struct dev *d)
{
	const char *h = (const char *)d->head;
	size_t n = (size_t)d->head_len;

	d->msgs++;
	if (n >= 14 && !memcmp(h, "{\"type\":\"pong\"", 14)) {
		if (d->ping_at) {
			push(&rtts, &nrtt, &caprtt, (mono() - d->ping_at) * 1000);
			d->ping_at = 0;
		}
	} else if (n >= 17 && !memcmp(h, "{\"type\":\"welcome\"", 17)) {
		if (d->st == S_HELLO)
			on_welcome(d);
	} else if (d->active && !(n >= 17 && !memcmp(h, "{\"type\":\"devices\"", 17)) &&
	           !(n >= 16 && !memcmp(h, "{\"type\":\"player\"", 16))) {
		on_command(d); /* the hub puts "type" last in a command: read it whole */
	}
	d->msg_len = 0;
}

/* Payload bytes of the current frame. Every message's first bytes go to head (its type); an
 * active device keeps whole data messages too (the commands it must answer). */
static void on_frame_bytes(struct dev *d, const unsigned char *p, size_t n)
{
	size_t k = n < (size_t)(HEAD_MAX - d->head_len) ? n : (size_t)(HEAD_MAX - d->head_len);

	memcpy(d->head + d->head_len, p, k);
	d->head_len += (int)k;
	if (d->op >= 8 || !d->active)
		return;
	if (d->msg_len + n > d->msg_cap) {
		size_t cap = (d->msg_len + n) * 2;
		char *m = realloc(d->msg, cap);

		if (!m)
			return;
		d->msg = m;
		d->msg_cap = cap;
	}
	memcpy(d->msg + d->msg_len, p, n);
	d->msg_len += n;
}

static void frame_done(struct dev *d)
{
	if (d->op == 8) {
		d->close_code = d->head_len >= 2 ? (d->head[0] << 8 | d->head[1]) : 1005;
		snprintf(d->close_reason, sizeof d->close_reason, "%.*s",
		         d->head_len > 2 ? d->head_len - 2 : 0, (const char *)d->head + 2);
		send_frame(d, 8, d->head, d->head_len >= 2 ? 2 : 0);
		give_up(d, "closed by the server");
		return;
	}
	if (d->op == 9) {
		send_frame(d, 10, d->head, (size_t)d->head_len);
		d->head_len = 0;
		return;
	}
	if (d->op == 10)
		return;
	if (d->fin) {
		on_message(d);
		d->head_len = 0;
	}
}

/* WebSocket bytes from the server (unmasked frames). */
static void ws_bytes(struct dev *d, const unsigned char *p, size_t n)
{
	while (n && d->fd >= 0) {
		if (d->hdr_len < 2 || (d->hdr_len < 4 && (d->hdr[1] & 0x7f) == 126) ||
		    (d->hdr_len < 10 && (d->hdr[1] & 0x7f) == 127)) {
			d->hdr[d->hdr_len++] = *p++;
			n--;
			int need = d->hdr_len < 2 ? 2 : (d->hdr[1] & 0x7f) == 126 ? 4 : (d->hdr[1] & 0x7f) == 127 ? 10 : 2;

			if (d->hdr_len < need)
				continue;
			uint64_t len = d->hdr[1] & 0x7f;

			if (len == 126)
				len = (uint64_t)d->hdr[2] << 8 | d->hdr[3];
			else if (len == 127) {
				len = 0;
				for (int i = 2; i < 10; i++)
					len = len << 8 | d->hdr[i];
			}
			int op = d->hdr[0] & 0x0f;

			d->fin = d->hdr[0] & 0x80;
			if (op != 0)
				d->op = op;
			if (op == 1 || op == 2 || op >= 8)
				d->head_len = 0;
			if (op == 1 || op == 2)
				d->msg_len = 0;
			d->left = len;
			if (len == 0) {
				d->hdr_len = 0;
				frame_done(d);
			}
			continue;
		}
		size_t k = n < d->left ? n : (size_t)d->left;

		on_frame_bytes(d, p, k);
		p += k;
		n -= k;
		d->left -= k;
		if (d->left == 0) {
			d->hdr_len = 0;
			frame_done(d);
		}
	}
}

static void on_readable(struct dev *d)
{
	static unsigned char buf[1 << 16];
	ssize_t r = recv(d->fd, buf, sizeof buf, 0);

	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
		give_up(d, d->st == S_UPGRADING ? "the server closed during the handshake" :
		           d->st == S_HELLO ? "the server closed before the welcome" : "closed");
		return;
	}
	if (r < 0)
		return;
	d->bytes += r;
	if (d->st == S_UPGRADING) {
		size_t k = (size_t)r;

		if (!d->in && !(d->in = malloc(IN_MAX + 1)))
			return;
		if (d->in_len + k > IN_MAX)
			k = IN_MAX - (size_t)d->in_len;
		memcpy(d->in + d->in_len, buf, k);
		d->in_len += (int)k;
		d->in[d->in_len] = '\0';
		char *end = strstr(d->in, "\r\n\r\n");

		if (!end) {
			if (d->in_len >= IN_MAX)
				give_up(d, "no end of the handshake answer");
			return;
		}
		if (strncmp(d->in, "HTTP/1.1 101", 12)) {
			char why[64];

			snprintf(why, sizeof why, "HTTP %.3s", d->in + 9);
			give_up(d, why);
			return;
		}
		if (!strcasestr(d->in, "sec-websocket-protocol: segue-connect.v1")) {
			give_up(d, "a 101 without our subprotocol");
			return;
		}
		size_t used = (size_t)(end + 4 - d->in);
		size_t rest_in = (size_t)r - (used - ((size_t)d->in_len - k));

		free(d->in);
		d->in = NULL;
		d->in_len = 0;
		d->t_hs = wall();
		d->st = S_HELLO;
		char hello[384];

		snprintf(hello, sizeof hello, "{\"type\":\"hello\",\"device\":{\"id\":\"%s\",\"name\":\"%s\","
		         "\"type\":\"speaker\",\"volume_percent\":50},"
		         "\"capabilities\":[\"device_deltas\",\"player_without_queue\"]}", d->id, d->id);
		send_text(d, hello);
		if (rest_in)
			ws_bytes(d, buf + (size_t)r - rest_in, rest_in);
		return;
	}
	ws_bytes(d, buf, (size_t)r);
}

static void on_writable(struct dev *d)
{
	if (d->st == S_CONNECTING) {
		on_connected(d);
		return;
	}
	if (d->out_len) {
		ssize_t w = send(d->fd, d->out, d->out_len, MSG_NOSIGNAL);

		if (w > 0) {
			memmove(d->out, d->out + w, d->out_len - (size_t)w);
			d->out_len -= (size_t)w;
		}
	}
	if (!d->out_len) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = d };

		epoll_ctl(epfd, EPOLL_CTL_MOD, d->fd, &ev);
	}
}

/* ---- the worker protocol ---- */

static void print_list(const char *name, const double *xs, size_t n)
{
	printf(",\"%s\":[", name);
	for (size_t i = 0; i < n; i++)
		printf("%s%.3f", i ? "," : "", xs[i]);
	printf("]");
}

static void print_fails(void)
{
	printf(",\"failures\":{");
	for (int i = 0; i < nfails; i++) {
		json_t *s = json_string(fails[i].why);
		char *q = json_dumps(s, JSON_ENCODE_ANY);

		printf("%s%s:%d", i ? "," : "", q ? q : "\"?\"", fails[i].n);
		free(q);
		json_decref(s);
	}
	printf("}");
}

static long msgs_total(void)
{
	long n = 0;

	for (int i = 0; i < ndev; i++)
		n += devs[i].msgs;
	return n;
}

static long long bytes_total(void)
{
	long long n = 0;

	for (int i = 0; i < ndev; i++)
		n += devs[i].bytes;
	return n;
}

static void report(void)
{
	long cmds = 0;
	int open = 0;
	json_t *reasons = json_object();

	for (int i = 0; i < ndev; i++) {
		struct dev *d = &devs[i];

		cmds += d->commands;
		open += d->st == S_OPEN;
		if (d->st == S_CLOSED) {
			char k[96];

			snprintf(k, sizeof k, "%d %s", d->close_code, d->close_reason);
			json_object_set_new(reasons, k, json_integer(json_integer_value(json_object_get(reasons, k)) + 1));
		}
	}
	char *r = json_dumps(reasons, JSON_COMPACT);

	printf("{\"ev\":\"report\",\"closed\":%d,\"close_reasons\":%s,\"msgs\":%ld,\"bytes\":%lld,"
	       "\"commands\":%ld,\"open\":%d", closed_n, r ? r : "{}", msgs_total(), bytes_total(), cmds, open);
	print_list("rtts", rtts, nrtt);
	printf("}\n");
	fflush(stdout);
	free(r);
	json_decref(reasons);
}

static void send_ready(void)
{
	printf("{\"ev\":\"ready\",\"halted\":%s,\"connected\":%d,\"wanted\":%d,\"attempts\":%d,"
	       "\"t_first\":%.6f,\"t_last\":%.6f,\"msgs\":%ld,\"bytes\":%lld", halted ? "true" : "false",
	       connected, ndev, attempts_n, t_first, t_last, msgs_total(), bytes_total());
	print_fails();
	print_list("handshake_ms", hs_ms, nhs);
	print_list("welcome_ms", wel_ms, nwel);
	printf("}\n");
	fflush(stdout);
	ready_sent = true;
}

/* Returns false on quit or EOF. */
static bool on_stdin(void)
{
	static char line[256];
	static size_t len;
	ssize_t r = read(0, line + len, sizeof line - 1 - len);

	if (r <= 0)
		return false;
	len += (size_t)r;
	for (;;) {
		char *nl = memchr(line, '\n', len);

		if (!nl)
			break;
		*nl = '\0';
		if (!strcmp(line, "quit")) {
			/* the sessions end now; the process when run closes the pipe */
			for (int i = 0; i < ndev; i++)
				dev_close(&devs[i]);
			halted = true;
		}
		if (!strcmp(line, "halt")) {
			halted = true;
			for (int i = 0; i < ndev; i++)
				if (devs[i].st != S_OPEN && devs[i].st != S_CLOSED && devs[i].st != S_FAILED) {
					if (devs[i].st != S_IDLE)
						inflight--;
					dev_close(&devs[i]);
					devs[i].st = S_FAILED;
				}
		} else if (!strcmp(line, "mark")) {
			nrtt = 0;
			printf("{\"ev\":\"marked\"}\n");
			fflush(stdout);
		} else if (!strcmp(line, "report")) {
			report();
		}
		len -= (size_t)(nl + 1 - line);
		memmove(line, nl + 1, len);
	}
	if (len >= sizeof line - 1)
		len = 0;
	return true;
}

static int load_spec(const char *path)
{
	json_error_t e;
	json_t *spec = json_load_file(path, 0, &e), *list;

	if (!spec) {
		fprintf(stderr, "hubload: %s: %s\n", path, e.text);
		return -1;
	}
	port = (int)json_integer_value(json_object_get(spec, "port"));
	concurrency = (int)json_integer_value(json_object_get(spec, "concurrency"));
	rng = (uint64_t)json_integer_value(json_object_get(spec, "seed")) * 0x9E3779B97F4A7C15ull + 1;
	if (json_object_get(spec, "sources"))
		nsources = (int)json_integer_value(json_object_get(spec, "sources"));
	list = json_object_get(spec, "devices");
	ndev = (int)json_array_size(list);
	if (port <= 0 || concurrency <= 0 || nsources < 1 || nsources > 250 || !ndev) {
		fprintf(stderr, "hubload: %s: needs port, concurrency, devices (and sources 1-250)\n", path);
		return -1;
	}
	devs = calloc((size_t)ndev, sizeof *devs);
	if (!devs)
		return -1;
	for (int i = 0; i < ndev; i++) {
		json_t *o = json_array_get(list, (size_t)i);

		/* the strings stay owned by spec, which lives as long as the process */
		devs[i].user = json_string_value(json_object_get(o, "user"));
		devs[i].token = json_string_value(json_object_get(o, "token"));
		devs[i].id = json_string_value(json_object_get(o, "id"));
		devs[i].active = json_is_true(json_object_get(o, "active"));
		devs[i].fd = -1;
		/* several instances: each user's devices go to the one hubload.py picked */
		devs[i].port = json_object_get(o, "port") ? (int)json_integer_value(json_object_get(o, "port")) : port;
		if (devs[i].port <= 0 || devs[i].port > 65535) {
			fprintf(stderr, "hubload: %s: device %d has no valid port\n", path, i);
			return -1;
		}
		if (!devs[i].user || !devs[i].token || !devs[i].id) {
			fprintf(stderr, "hubload: %s: device %d lacks user, token or id\n", path, i);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct rlimit rl;
	struct epoll_event evs[512];
	double last_progress, last_scan = 0, last_retry = 0;
	int next = 0; /* the next device never tried */

	if (argc != 2) {
		fprintf(stderr, "usage: hubload SPEC_FILE\n");
		return 2;
	}
	if (load_spec(argv[1]) < 0)
		return 1;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)ndev + 64) {
		printf("{\"ev\":\"fatal\",\"error\":\"RLIMIT_NOFILE %lu is too low for %d connections\"}\n",
		       (unsigned long)rl.rlim_cur, ndev);
		return 1;
	}
	epfd = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event sev = { .events = EPOLLIN, .data.ptr = NULL };

	fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
	epoll_ctl(epfd, EPOLL_CTL_ADD, 0, &sev);
	last_progress = mono();
	for (;;) {
		double now = mono();

		/* new connections and retries, up to the concurrency */
		if (!halted) {
			if (now - last_retry >= 0.1) {
				last_retry = now;
				for (int i = 0; i < next && inflight < concurrency; i++)
					if (devs[i].st == S_IDLE && devs[i].attempts && devs[i].retry_at <= now)
						start_connect(&devs[i]);
			}
			while (next < ndev && inflight < concurrency)
				start_connect(&devs[next++]);
		}
		/* heartbeats: a scan every 10 ms at most (a ping is due within that of its time) */
		for (int i = 0; now - last_scan >= 0.01 && i < ndev; i++) {
			struct dev *d = &devs[i];

			if (d->st == S_OPEN && d->next_ping <= now) {
				if (!d->ping_at)
					d->ping_at = now;
				send_text(d, "{\"type\":\"ping\"}");
				d->next_ping = now + d->hb * uniform(0.9, 1.0);
			}
		}
		if (now - last_scan >= 0.01)
			last_scan = now;
		if (!ready_sent && inflight == 0 && next == ndev) {
			bool waiting = false;

			for (int i = 0; i < ndev && !waiting; i++)
				waiting = devs[i].st == S_IDLE;
			if (!waiting)
				send_ready();
		}
		if (!ready_sent && halted && inflight <= 0)
			send_ready();
		if (now - last_progress >= 2) {
			last_progress = now;
			printf("{\"ev\":\"progress\",\"connected\":%d", connected);
			print_fails();
			printf("}\n");
			fflush(stdout);
		}
		int n = epoll_wait(epfd, evs, 512, 10);

		for (int i = 0; i < n; i++) {
			struct dev *d = evs[i].data.ptr;

			if (!d) {
				if (!on_stdin())
					goto out;
				continue;
			}
			if (d->fd < 0)
				continue;
			if (evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP) && (d->st == S_CONNECTING || d->out_len))
				on_writable(d);
			if (d->fd >= 0 && evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP) && d->st != S_CONNECTING)
				on_readable(d);
		}
	}
out:
	for (int i = 0; i < ndev; i++)
		dev_close(&devs[i]);
	return 0;
}
