/* The Connect hub's message handling (server/connect/session.c's dispatch and what it calls:
 * hello, state, command, result, transfer, watch), as server/connect/ws.c hands it whole
 * messages, with four sessions: three of one user, one of another. A fresh hub takes each
 * input, on the fixture's store (fuzz/fixture.c).
 *
 * Input: records of [op][length][payload]. op's low two bits choose the session; its next
 * two what happens: a message (0, 1), the session closing and a new one opening in its
 * place (2), or a REST caller sending the payload as a command to the user's active device
 * (3), as api/player.c does. The length byte's top bit takes one more length byte.
 *
 * The sessions have no connection (wsi NULL), so what the hub sends them is dropped and
 * ws_close does nothing: the fuzzer closes sessions itself, at any point, which covers every
 * order a real close can come in. AddressSanitizer and LeakSanitizer watch the hub's
 * pointers between sessions, pending commands, transfers and callers. */
#include "config.h"

#include <string.h>

#include "accounts/auth.h"
#include "connect/hub.h"
#include "connect/ws.h"
#include "fixture.h"
#include "fuzz.h"

#define NSESS 4

struct caller_state {
	bool asked, done;
	struct hub_reply *waiting; /* where the hub keeps it, until done */
};

static void caller_done(void *ud, bool ok, const char *reason, const char *message)
{
	struct caller_state *cs = ud;

	fuzz_check(!cs->done, "a REST caller answered twice");
	fuzz_check(ok || (reason && message), "a failure without a reason");
	cs->done = true;
	cs->waiting = NULL;
}

static void caller_wait(void *ud, struct hub_reply *rep)
{
	struct caller_state *cs = ud;

	fuzz_check(!cs->done, "told to wait after the answer");
	cs->waiting = rep;
}

static const struct hub_caller caller = { caller_done, caller_wait };

static struct hub_conn *session_open(struct hub *h, struct fixture *fx, int i)
{
	struct hub_conn *c = calloc(1, sizeof *c);
	const char *authz = i == NSESS - 1 ? fx->other_auth : fx->auth;

	fuzz_check(c != NULL, "out of memory");
	c->hub = h;
	snprintf(c->user_id, sizeof c->user_id, "%s", i == NSESS - 1 ? fx->other_id : fx->user_id);
	auth_hash_token(authz + strlen("Bearer "), c->token_hash);
	hub_conn_open(c);
	return c;
}

static void session_close(struct hub_conn *c)
{
	hub_conn_closed(c);
	ws_conn_release(c);
	free(c);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fixture_get();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fixture *fx = fixture_get();
	struct hub_config cfg = {
		.store = &fx->srv->store,
		.lws = fx->srv->lws,
		.heartbeat_ms = 5000,
		.timeout_ms = 5000,
		.max_message = 65536,
	};
	struct hub *h = hub_new(&cfg);
	struct hub_conn *sess[NSESS];
	struct caller_state callers[64];
	int ncallers = 0;

	fuzz_check(h != NULL, "hub_new");
	for (int i = 0; i < NSESS; i++)
		sess[i] = session_open(h, fx, i);
	while (size >= 2) {
		int op = data[0], i = op & 3;
		size_t len = data[1] & 0x7f, hdr = 2;

		if ((data[1] & 0x80) && size >= 3) {
			len = len << 8 | data[2];
			hdr = 3;
		}
		data += hdr;
		size -= hdr;
		if (len > size)
			len = size;
		switch (op >> 2 & 3) {
		case 0:
		case 1:
			hub_conn_message(sess[i], (const char *)data, len);
			break;
		case 2:
			session_close(sess[i]);
			sess[i] = session_open(h, fx, i);
			break;
		case 3: {
			json_t *cmd = json_loadb((const char *)data, len, 0, NULL);
			struct caller_state *cs;

			if (!cmd || ncallers == 64) {
				json_decref(cmd);
				break;
			}
			cs = &callers[ncallers++];
			*cs = (struct caller_state){ .asked = true };
			/* the device named by the op's top bit, or the active one */
			fuzz_check(hub_rest_command(h, sess[i]->user_id, (op & 0x80) ? "dev1" : NULL, cmd, &caller, cs) == 0,
			           "hub_rest_command failed");
			fuzz_check(cs->done || cs->waiting, "a REST caller neither answered nor told where it waits");
			break;
		}
		}
		data += len;
		size -= len;
	}
	/* The REST callers go first (their connections closed), then the sessions. */
	for (int k = 0; k < ncallers; k++)
		if (!callers[k].done && callers[k].waiting)
			hub_reply_orphan(callers[k].waiting);
	for (int i = 0; i < NSESS; i++)
		session_close(sess[i]);
	fuzz_check(hub_connections(h) == 0, "%ld sessions left", hub_connections(h));
	hub_free(h);
	return 0;
}
