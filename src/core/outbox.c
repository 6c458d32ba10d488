/* The play-event outbox over the client's database. */
#include "config.h"
#include "outbox.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "store_outbox.h"

enum seg_err outbox_begin(struct store *s, const char *track_id, const char *context_uri,
                          long long started_at_ms, char *id)
{
	unsigned char raw[OUTBOX_ID_LEN / 2];

	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(id, OUTBOX_ID_LEN + 1, raw, sizeof raw);
	return store_outbox_add(s, id, track_id, context_uri, started_at_ms) < 0 ? SEG_EIO : SEG_OK;
}

enum seg_err outbox_progress(struct store *s, const char *id, long long ms_played)
{
	return store_outbox_progress(s, id, ms_played) < 0 ? SEG_EIO : SEG_OK;
}

enum seg_err outbox_finish(struct store *s, const char *id, long long ms_played,
                           const char *reason)
{
	return store_outbox_finish(s, id, ms_played, reason) < 0 ? SEG_EIO : SEG_OK;
}

int outbox_recover(struct store *s)
{
	return store_outbox_close_open(s);
}

int outbox_pending(struct store *s)
{
	return store_outbox_closed(s);
}

enum seg_err outbox_deliver(struct store *s, struct api *a, int *sent)
{
	enum seg_err e = SEG_OK;

	if (sent)
		*sent = 0;
	for (;;) {
		long long last = 0;
		json_t *events = NULL, *body, *reply = NULL;
		size_t n;
		long status = 0;

		if (store_outbox_batch(s, OUTBOX_BATCH, &events, &last) < 0)
			return seg_fail(SEG_EIO, "cannot read the outbox");
		if ((n = json_array_size(events)) == 0) {
			json_decref(events);
			return SEG_OK;
		}
		body = json_pack("{s:o}", "events", events);
		e = api_request(a, "POST", "/v1/segue/events", body, &reply, &status);
		json_decref(body);
		json_decref(reply);
		if (e == SEG_EUSAGE && status == 400) {
			log_warn("the server refused %zu play events as malformed (%s); dropping them",
			         n, seg_errmsg());
		} else if (e) {
			return e;
		}
		/* Only now, after the server has them, do they leave the disk. */
		if (store_outbox_drop_through(s, last) < 0)
			return SEG_EIO;
		if (sent && status == 200)
			*sent += (int)n;
	}
}
