/* What comes back: the worker's results (a page loaded, a command done) and the daemon's
 * events (the player's state, devices, downloads, changed playlists), and what each changes on
 * screen. */
#include "config.h"
#include "tui_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "offline.h"

/* The first line a command prints for people, for the status line. */
static void summary(const struct cmd_entry *c, json_t *out, char *buf, size_t len)
{
	char *text = NULL;
	size_t n = 0;
	FILE *f;

	snprintf(buf, len, "done");
	if (!c || !c->print || !out || !(f = open_memstream(&text, &n)))
		return;
	c->print(out, f);
	fclose(f);
	if (text && *text) {
		text[strcspn(text, "\n")] = '\0';
		snprintf(buf, len, "%s", text);
	}
	free(text);
}

/* A report of the downloads (borrowed): the status line shows it, and the marks are read
 * again when what is downloaded or queued changed. */
static void take_offline(struct tui *t, json_t *report)
{
	static const char *const counts[] = { "downloaded", "queued", "failed", "evicted" };
	bool changed = !t->offline;
	struct store *db;

	for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
		changed |= !json_equal(json_object_get(t->offline, counts[i]), json_object_get(report, counts[i]));
	json_decref(t->offline);
	t->offline = json_incref(report);
	if (changed && (db = seg_store(t->s))) {
		json_t *m = offline_marks(db);

		if (m) {
			json_decref(t->marks);
			t->marks = m;
		}
	}
	t->dirty = true;
}

void tui_on_result(struct tui *t, struct job_result *r)
{
	struct page *p;
	int used;

	if (r->tag >= TAG_PAGE) {
		for (p = t->page; p && p->tag != r->tag; p = p->back)
			;
		if (p && p->kind == P_LYRICS) {
			tui_lyrics_result(t, p, r);
		} else if (p) {
			p->tag = 0;
			if (r->err) {
				snprintf(p->error, sizeof p->error, "%s", r->message);
				p->loaded = true;
				tui_say(t, true, "%s", r->message);
			} else {
				page_take(p, r->out, seg_device_id(t->s));
				r->out = NULL;
			}
		}
	} else if (r->tag == TAG_PLAYLISTS) {
		if (r->err)
			tui_say(t, true, "%s", r->message);
		tui_playlists_came(t, r->err ? NULL : r->out);
		if (!r->err)
			r->out = NULL;
	} else if (r->err) {
		tui_say(t, true, "%s", r->message);
	} else if (r->tag == TAG_COMMAND) {
		char buf[300];
		const struct cmd_entry *c = cmd_find(r->argc, r->argv, &used);

		summary(c, r->out, buf, sizeof buf);
		tui_say(t, false, "%s", buf);
		if (t->page)
			tui_load(t, t->page);
	} else if (r->tag == TAG_RELOAD) {
		if (t->page)
			tui_load(t, t->page);
	} else if (r->tag == TAG_DEVICES) {
		json_decref(t->devices);
		t->devices = r->out;
		r->out = NULL;
		/* Another device plays: what it plays comes from the hub, through the daemon. */
		if (tui_shown_state(t) == t->hub)
			RUN(t, TAG_HUB, "status");
	} else if (r->tag == TAG_HUB) {
		json_decref(t->hub);
		t->hub = r->out;
		r->out = NULL;
		tui_anchor(&t->at_hub, t->hub);
	} else if (r->tag == TAG_OFFLINE) {
		take_offline(t, r->out);
	}
	t->dirty = true;
}

void tui_on_event(struct tui *t, json_t *ev)
{
	const char *name = json_string_value(json_object_get(ev, "event")) ?: "";
	json_t *data = json_object_get(ev, "data");

	if (!strcmp(name, "state")) {
		json_t *before = json_object_get(json_object_get(t->local, "segue"), "queue_length");
		json_t *after = json_object_get(json_object_get(data, "segue"), "queue_length");
		bool changed = !json_equal(before, after);

		json_decref(t->local);
		t->local = json_incref(data);
		tui_anchor(&t->at_local, t->local);
		if (changed && t->page && t->page->kind == P_QUEUE && !t->page->tag)
			tui_load(t, t->page);
	} else if (!strcmp(name, "player")) {
		json_decref(t->hub);
		t->hub = json_is_object(data) ? json_incref(data) : NULL;
		tui_anchor(&t->at_hub, t->hub);
	} else if (!strcmp(name, "devices")) {
		json_decref(t->devices);
		t->devices = json_incref(data);
		if (t->page && t->page->kind == P_DEVICES && !t->page->tag)
			tui_load(t, t->page);
	} else if (!strcmp(name, "downloads")) {
		take_offline(t, data);
	} else if (!strcmp(name, "error")) {
		tui_say(t, true, "%s", json_string_value(json_object_get(data, "message")) ?: "the player reported an error");
	} else if (!strcmp(name, "playlist")) {
		/* Someone changed the playlist on screen: show it as it is now. */
		if (t->page && t->page->kind == P_PLAYLIST && !t->page->tag &&
		    strstr(t->page->uri, json_string_value(json_object_get(data, "playlist_id")) ?: "\x01"))
			tui_load(t, t->page);
	}
	/* The queue page follows the player. */
	if (!strcmp(name, "track") && t->page && t->page->kind == P_QUEUE && !t->page->tag)
		tui_load(t, t->page);
	t->dirty = true;
}
