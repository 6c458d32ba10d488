/* A play's accounting: each track that starts is recorded in the outbox (outbox.h), its
 * progress saved as it pauses and seeks, and the play closed with how it ended. */
#include "config.h"
#include "player_internal.h"

#include "clock.h"
#include "log.h"

void player_play_run(struct player *p, bool running)
{
	long long now = clock_mono_ms();

	if (p->run_since && !running) {
		p->played_ms += now - p->run_since;
		p->run_since = 0;
	} else if (!p->run_since && running && p->play_id[0]) {
		p->run_since = now;
	}
}

void player_play_begin(struct player *p, const char *id)
{
	struct store *st = seg_store(p->s);
	const char *ctx = p->q.context[0] && !p->q.cur_is_user ? p->q.context : NULL;

	p->play_id[0] = '\0';
	p->played_ms = 0;
	p->run_since = 0;
	p->fade_tried = false;
	if (!st || outbox_begin(st, id, ctx, clock_wall_ms(), p->play_id)) {
		log_warn("outbox: cannot record a play: %s", seg_errmsg());
		p->play_id[0] = '\0';
		return;
	}
	player_play_run(p, !p->paused);
}

void player_play_save(struct player *p)
{
	struct store *st = seg_store(p->s);
	long long ms = p->played_ms + (p->run_since ? clock_mono_ms() - p->run_since : 0);

	if (p->play_id[0] && st)
		outbox_progress(st, p->play_id, ms);
}

void player_play_finish(struct player *p, const char *reason)
{
	struct store *st = seg_store(p->s);

	if (!p->play_id[0])
		return;
	player_play_run(p, false);
	if (radio_seed(p->q.context))
		radio_note(&p->radio, queue_current(&p->q), p->played_ms, reason);
	if (st && outbox_finish(st, p->play_id, p->played_ms, reason))
		log_warn("outbox: cannot close a play: %s", seg_errmsg());
	p->play_id[0] = '\0';
}
