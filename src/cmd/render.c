/* People-facing rendering of results. */
#include "config.h"
#include "render.h"

#include <string.h>

#include "text.h"

void render_duration(char *out, size_t len, long long ms)
{
	long long s = ms < 0 ? 0 : ms / 1000;

	if (s >= 3600)
		snprintf(out, len, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(out, len, "%lld:%02lld", s / 60, s % 60);
}

void render_artists(char *out, size_t len, json_t *artists)
{
	size_t i, used = 0;
	json_t *a;

	out[0] = '\0';
	json_array_foreach(artists, i, a) {
		const char *name = json_string_value(json_object_get(a, "name"));
		int n;

		if (!name)
			continue;
		n = snprintf(out + used, len - used, "%s%s", used ? ", " : "", name);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
}

void render_column(FILE *f, const char *s, int width)
{
	/* Room for a column of wide characters that carry a few marks each. */
	char buf[1024];

	text_fit_utf8(s, width, true, buf, sizeof buf);
	fputs(buf, f);
}

void render_pad(FILE *f, const char *s, int width)
{
	int w = text_width(s);

	render_column(f, s, w > width ? w : width);
}

void render_tracks(FILE *f, json_t *items, size_t first)
{
	size_t i;
	json_t *it;

	json_array_foreach(items, i, it) {
		json_t *t = json_object_get(it, "track") ? json_object_get(it, "track") : it;
		char dur[16], artists[256];

		render_duration(dur, sizeof dur, json_integer_value(json_object_get(t, "duration_ms")));
		render_artists(artists, sizeof artists, json_object_get(t, "artists"));
		fprintf(f, "%3zu  ", first + i);
		render_column(f, json_string_value(json_object_get(t, "name")), 32);
		fputs("  ", f);
		render_column(f, artists, 22);
		fputs("  ", f);
		render_column(f, json_string_value(json_object_get(json_object_get(t, "album"), "name")), 22);
		fprintf(f, "  %6s  %s\n", dur, render_uri(t));
	}
}

void render_named(FILE *f, json_t *items, const char *kind)
{
	size_t i;
	json_t *o;

	json_array_foreach(items, i, o) {
		char detail[256] = "";

		if (!strcmp(kind, "playlist"))
			snprintf(detail, sizeof detail, "%lld tracks",
			         json_integer_value(json_object_get(json_object_get(o, "tracks"), "total")));
		else if (!strcmp(kind, "album"))
			render_artists(detail, sizeof detail, json_object_get(o, "artists"));
		else if (!strcmp(kind, "artist"))
			snprintf(detail, sizeof detail, "%lld followers",
			         json_integer_value(json_object_get(json_object_get(o, "followers"), "total")));
		fprintf(f, "%3zu  ", i + 1);
		render_column(f, json_string_value(json_object_get(o, "name")), 36);
		fputs("  ", f);
		render_column(f, detail, 24);
		fprintf(f, "  %s\n", render_uri(o));
	}
}

const char *render_uri(json_t *obj)
{
	const char *uri = json_string_value(json_object_get(obj, "uri"));

	return uri ? uri : json_string_value(json_object_get(obj, "id")) ?: "";
}

void render_state(json_t *st, FILE *f)
{
	json_t *item = json_object_get(st, "item"), *ext = json_object_get(st, "segue");
	char pos[16], dur[16], artists[256];
	const char *msg = json_string_value(json_object_get(ext, "message"));

	if (!json_is_object(item)) {
		fputs("nothing is playing\n", f);
		if (msg)
			fprintf(f, "  %s\n", msg);
		return;
	}
	render_duration(pos, sizeof pos, json_integer_value(json_object_get(st, "progress_ms")));
	render_duration(dur, sizeof dur, json_integer_value(json_object_get(item, "duration_ms")));
	render_artists(artists, sizeof artists, json_object_get(item, "artists"));
	fprintf(f, "%s  %s - %s\n",
	        json_is_true(json_object_get(ext, "waiting_for_server")) ? "waiting" :
	        json_is_true(json_object_get(st, "is_playing")) ? "playing" : "paused ",
	        json_string_value(json_object_get(item, "name")), artists);
	fprintf(f, "         %s / %s   %s\n", pos, dur,
	        json_string_value(json_object_get(json_object_get(item, "album"), "name")) ?: "");
	fprintf(f, "         shuffle %s  repeat %s  volume %lld%%",
	        json_is_true(json_object_get(st, "shuffle_state")) ? "on" : "off",
	        json_string_value(json_object_get(st, "repeat_state")) ?: "off",
	        json_integer_value(json_object_get(json_object_get(st, "device"), "volume_percent")));
	/* Quality is known only for a stream played here. */
	if (json_string_value(json_object_get(ext, "quality")))
		fprintf(f, "  quality %s", json_string_value(json_object_get(ext, "quality")));
	fputc('\n', f);
	if (json_string_value(json_object_get(json_object_get(st, "device"), "name")))
		fprintf(f, "         on %s\n", json_string_value(json_object_get(json_object_get(st, "device"), "name")));
	if (json_is_object(json_object_get(st, "context")))
		fprintf(f, "         from %s\n",
		        json_string_value(json_object_get(json_object_get(st, "context"), "uri")));
	if (msg)
		fprintf(f, "         (%s)\n", msg);
}
