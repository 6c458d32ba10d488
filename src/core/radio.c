#include "config.h"
#include "radio.h"

#include <string.h>

#define FEEDBACK_MAX 200
#define QUEUED_MAX 1000
#define SKIP_BEFORE_MS 30000

void radio_init(struct radio *r)
{
	r->played = json_array();
	r->skipped = json_array();
}

void radio_free(struct radio *r)
{
	json_decref(r->played);
	json_decref(r->skipped);
	r->played = r->skipped = NULL;
}

void radio_reset(struct radio *r)
{
	json_array_clear(r->played);
	json_array_clear(r->skipped);
}

const char *radio_seed(const char *context)
{
	size_t n = strlen(RADIO_PREFIX);

	return context && !strncmp(context, RADIO_PREFIX, n) && context[n] ? context + n : NULL;
}

static void push(json_t *a, const char *id)
{
	if (json_array_size(a) >= FEEDBACK_MAX)
		json_array_remove(a, 0);
	json_array_append_new(a, json_string(id));
}

void radio_note(struct radio *r, const char *id, long long played_ms, const char *reason)
{
	if (!id || !r->played)
		return;
	/* A skip early in a track says "not this"; one late in it is just moving on. */
	if (!strcmp(reason, "skipped") && played_ms < SKIP_BEFORE_MS)
		push(r->skipped, id);
	else if (!strcmp(reason, "track_done"))
		push(r->played, id);
}

enum seg_err radio_fetch(struct api *a, const char *seed, const struct radio *r, const struct queue *q,
                         json_t **tracks)
{
	json_t *body, *queued = json_array(), *out = NULL;
	size_t from = q->ntracks > QUEUED_MAX ? q->ntracks - QUEUED_MAX : 0;
	enum seg_err e;

	*tracks = NULL;
	for (size_t i = from; i < q->ntracks; i++)
		json_array_append_new(queued, json_string(q->tracks[i]));
	body = json_pack("{s:s,s:O,s:O,s:o,s:i}", "seed", seed, "played", r->played, "skipped", r->skipped,
	                 "queued", queued, "limit", RADIO_BATCH);
	if (!body)
		return seg_fail(SEG_ENOMEM, "out of memory");
	e = api_request(a, "POST", "/v1/segue/radio", body, &out, NULL);
	json_decref(body);
	if (e)
		return e;
	if (!json_is_array(json_object_get(out, "tracks"))) {
		json_decref(out);
		return seg_fail(SEG_EPROTO, "the server's radio answer has no tracks");
	}
	*tracks = json_incref(json_object_get(out, "tracks"));
	json_decref(out);
	return SEG_OK;
}
