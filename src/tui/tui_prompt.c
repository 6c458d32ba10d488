/* The bottom line's prompts (':' commands, '/' find, playlist names) and the search page's
 * query: editing a line, completing it, and acting on it when it is done. */
#include "config.h"
#include "tui_internal.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>

#include "cmd.h"

/* Splits a command line at blanks, with "double" and 'single' quotes and backslashes. */
static int split(char *line, char **argv, int max)
{
	int n = 0;
	char *r = line, *w = line;

	while (*r && n < max) {
		char quote = 0;

		while (*r == ' ' || *r == '\t')
			r++;
		if (!*r)
			break;
		argv[n++] = w;
		while (*r && (quote || (*r != ' ' && *r != '\t'))) {
			if (!quote && (*r == '"' || *r == '\'')) {
				quote = *r++;
			} else if (quote && *r == quote) {
				quote = 0;
				r++;
			} else if (*r == '\\' && r[1] && quote != '\'') {
				r++;
				*w++ = *r++;
			} else {
				*w++ = *r++;
			}
		}
		if (*r)
			r++;
		*w++ = '\0';
	}
	return n;
}

/* Tab in the ':' line: completes a command's name from the command table. */
static void complete(struct tui *t)
{
	const char *match = NULL;
	char cands[256] = "";
	size_t len = strlen(t->line);
	int hits = 0;

	for (size_t i = 0; cmd_table[i]; i++) {
		const char *n = cmd_table[i]->name;

		if (cmd_table[i]->where == CMD_FACE || strncmp(n, t->line, len))
			continue;
		hits++;
		if (!match)
			match = n;
		if (strlen(cands) + strlen(n) + 3 < sizeof cands)
			strcat(strcat(cands, cands[0] ? "  " : ""), n);
	}
	if (hits == 1)
		snprintf(t->line, sizeof t->line, "%s ", match);
	else if (hits > 1)
		tui_say(t, false, "%s", cands);
	t->dirty = true;
}

/* Completes line in place when exactly one of the user's playlists begins with it. */
static void complete_playlist(struct tui *t, char *line, size_t size)
{
	json_t *p;
	size_t i, len = strlen(line);
	const char *match = NULL;
	int hits = 0;

	json_array_foreach(json_object_get(t->playlists, "items"), i, p) {
		const char *n = json_string_value(json_object_get(p, "name")) ?: "";

		if (!strncasecmp(n, line, len)) {
			hits++;
			match = n;
		}
	}
	if (hits == 1)
		snprintf(line, size, "%s", match);
	t->dirty = true;
}

/* Adds the track uri to the user's playlist called name. */
static void add_to_playlist(struct tui *t, const char *name, const char *uri)
{
	json_t *p, *hit = NULL;
	size_t i;

	json_array_foreach(json_object_get(t->playlists, "items"), i, p)
		if (!strcasecmp(json_string_value(json_object_get(p, "name")) ?: "", name))
			hit = p;
	if (!hit) {
		tui_say(t, true, "no playlist in your list is called \"%s\" (Tab completes; :playlist create NAME makes one)", name);
		return;
	}
	RUN(t, TAG_ACTION, "playlist", "add", json_string_value(json_object_get(hit, "uri")), uri);
	tui_say(t, false, "added to %s", json_string_value(json_object_get(hit, "name")));
}

void tui_ask_playlists(struct tui *t)
{
	const char *argv[] = { "playlist", "ls" };

	if (tui_submit(t, TAG_PLAYLISTS, 2, argv))
		t->playlists_asked++;
}

void tui_playlists_came(struct tui *t, json_t *list)
{
	if (list) {
		json_decref(t->playlists);
		t->playlists = list;
	}
	if (t->playlists_asked > 0)
		t->playlists_asked--;
	if (t->playlists_asked)
		return;
	/* What was typed ahead, in its order: a Tab before an Enter completed what it added. */
	if (t->tab_due && t->add_due)
		complete_playlist(t, t->add_name, sizeof t->add_name);
	else if (t->tab_due && t->prompt == PR_PLAYLIST)
		complete_playlist(t, t->line, sizeof t->line);
	t->tab_due = false;
	if (t->add_due) {
		t->add_due = false;
		add_to_playlist(t, t->add_name, t->add_uri);
	}
	t->dirty = true;
}

static void prompt_done(struct tui *t)
{
	char *argv[64];
	int n;

	switch (t->prompt) {
	case PR_COMMAND:
		if ((n = split(t->line, argv, 64)) > 0)
			tui_submit(t, TAG_COMMAND, n, (const char *const *)argv);
		break;
	case PR_FIND:
		snprintf(t->find, sizeof t->find, "%s", t->line);
		tui_find(t, 1, true);
		break;
	case PR_CREATE:
		if (t->line[0])
			RUN(t, TAG_RELOAD, "playlist", "create", "--", t->line);
		break;
	case PR_RENAME:
		if (t->line[0])
			RUN(t, TAG_RELOAD, "playlist", "rename", t->pending_uri, t->line);
		break;
	case PR_PLAYLIST:
		if (!t->playlists_asked) {
			add_to_playlist(t, t->line, t->pending_uri);
		} else {
			/* The list is on its way: the prompt closes now, the add follows it. */
			snprintf(t->add_name, sizeof t->add_name, "%s", t->line);
			snprintf(t->add_uri, sizeof t->add_uri, "%s", t->pending_uri);
			t->add_due = true;
		}
		break;
	default:
		break;
	}
	t->prompt = PR_NONE;
	t->line[0] = '\0';
	t->dirty = true;
}

/* Editing a UTF-8 line: append a character, or remove the last one. */
static void line_put(char *line, size_t size, wint_t wc)
{
	char mb[MB_LEN_MAX + 1];
	mbstate_t st = { 0 };
	size_t n = wcrtomb(mb, (wchar_t)wc, &st), len = strlen(line);

	if (n != (size_t)-1 && len + n + 1 < size) {
		memcpy(line + len, mb, n);
		line[len + n] = '\0';
	}
}

static void line_del(char *line)
{
	size_t len = strlen(line);

	while (len > 0 && ((unsigned char)line[len - 1] & 0xc0) == 0x80)
		len--;
	if (len > 0)
		len--;
	line[len] = '\0';
}

void tui_on_prompt_key(struct tui *t, wint_t c, bool is_key)
{
	if ((!is_key && (c == '\n' || c == '\r')) || (is_key && c == KEY_ENTER)) {
		prompt_done(t);
	} else if ((!is_key && c == 27) || (!is_key && c == 3)) {
		t->prompt = PR_NONE;
		t->line[0] = '\0';
	} else if ((is_key && c == KEY_BACKSPACE) || (!is_key && (c == 127 || c == 8))) {
		if (!t->line[0])
			t->prompt = PR_NONE;
		line_del(t->line);
	} else if (!is_key && c == '\t') {
		if (t->prompt == PR_COMMAND)
			complete(t);
		else if (t->prompt == PR_PLAYLIST && t->playlists_asked)
			t->tab_due = true;
		else if (t->prompt == PR_PLAYLIST)
			complete_playlist(t, t->line, sizeof t->line);
	} else if (!is_key && c >= 0x20) {
		line_put(t->line, sizeof t->line, c);
		if (t->prompt == PR_FIND) {
			snprintf(t->find, sizeof t->find, "%s", t->line);
			tui_find(t, 1, true);
		}
	}
	t->dirty = true;
}

void tui_on_query_key(struct tui *t, wint_t c, bool is_key)
{
	struct page *p = t->page;

	if ((!is_key && (c == '\n' || c == '\r' || c == '\t')) || (is_key && (c == KEY_DOWN || c == KEY_ENTER))) {
		t->focus = F_LIST;
		if (t->search_due) {
			t->search_due = 0;
			tui_load(t, p);
		}
	} else if (!is_key && c == 27) {
		t->focus = F_SIDEBAR;
	} else if ((is_key && c == KEY_BACKSPACE) || (!is_key && (c == 127 || c == 8))) {
		line_del(p->query);
		t->search_due = tui_now_ms() + SEARCH_DEBOUNCE_MS;
	} else if (!is_key && c == 21) { /* C-u: clear */
		p->query[0] = '\0';
		t->search_due = tui_now_ms() + SEARCH_DEBOUNCE_MS;
	} else if (!is_key && c >= 0x20) {
		line_put(p->query, sizeof p->query, c);
		t->search_due = tui_now_ms() + SEARCH_DEBOUNCE_MS;
	}
	t->dirty = true;
}
