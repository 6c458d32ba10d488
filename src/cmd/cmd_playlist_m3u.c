/* Playlists in and out as M3U8, the format other players read and write: playlist export
 * writes a playlist's tracks by their paths under the library folder (or their URIs), and
 * playlist import makes a playlist of a file's entries, each found by the server
 * (POST /v1/segue/tracks/match: by path, by tags, by search) or named directly by a track
 * URI, and reports the entries it could not find. The text itself is core/m3u.c's. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base62.h"
#include "buf.h"
#include "cmd.h"
#include "m3u.h"
#include "playlist_make.h"
#include "render.h"
#include "resolve.h"

#define EXPORT_MAX CONTEXT_TRACKS_MAX
#define MATCH_BATCH 250          /* entries per match request (the server takes 1000) */
#define MATCH_BATCH_BYTES (256 << 10) /* and about this much JSON, under its body limit */
#define MATCH_PATH_MAX 4096      /* what the server takes of a path, an artist, a title */
#define MATCH_TEXT_MAX 1024
#define IDS_BATCH 50             /* GET /v1/tracks?ids= */
#define ADD_BATCH 100            /* POST /v1/playlists/ID/tracks */

/* --- export ------------------------------------------------------------------------------ */

/* Artists as "A, B". */
static int put_artists(struct buf *b, json_t *artists)
{
	size_t i;
	json_t *a;

	json_array_foreach(artists, i, a) {
		const char *name = json_string_value(json_object_get(a, "name"));

		if (name && buf_printf(b, "%s%s", b->len ? ", " : "", name) < 0)
			return -1;
	}
	return 0;
}

/* Where the track is for another player: its path under the library folder (after base when
 * given), or its URI when the server does not know the path. */
static int put_location(struct buf *b, json_t *t, const char *base)
{
	const char *path = json_string_value(json_object_get(json_object_get(t, "segue"), "path"));

	if (!path)
		return buf_puts(b, render_uri(t));
	if (base && *base && buf_printf(b, "%s%s", base, base[strlen(base) - 1] == '/' ? "" : "/") < 0)
		return -1;
	return buf_puts(b, path);
}

static enum seg_err export_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	const char *file = cmd_flag(a, "output"), *base = cmd_flag(a, "base");
	struct buf text = BUF_INIT, artists = BUF_INIT, loc = BUF_INIT;
	char id[32], path[128];
	json_t *pl = NULL, *items = NULL, *item;
	enum seg_err e;
	long long n = 0;
	size_t i;

	if ((e = uri_id(a->argv[0], "playlist", id)))
		return e;
	snprintf(path, sizeof path, "/v1/playlists/%s", id);
	if ((e = api_get(seg_api(s), path, &pl)))
		goto out;
	snprintf(path, sizeof path, "/v1/playlists/%s/tracks?limit=100", id);
	if ((e = fetch_all(s, path, EXPORT_MAX, &items)))
		goto out;
	if (m3u_put_header(&text, json_string_value(json_object_get(pl, "name"))) < 0)
		goto nomem;
	json_array_foreach(items, i, item) {
		json_t *t = json_object_get(item, "track");

		if (!json_is_object(t))
			continue; /* an entry the catalog no longer has */
		buf_reset(&artists);
		buf_reset(&loc);
		if (put_artists(&artists, json_object_get(t, "artists")) < 0 ||
		    put_location(&loc, t, base) < 0 ||
		    m3u_put_entry(&text, json_integer_value(json_object_get(t, "duration_ms")),
		                  artists.p, json_string_value(json_object_get(t, "name")), loc.p) < 0)
			goto nomem;
		n++;
	}
	if (file && (e = m3u_write_file(file, text.p, text.len)))
		goto out;
	*out = json_pack("{s:O,s:O,s:I}", "playlist", json_object_get(pl, "uri"), "name",
	                 json_object_get(pl, "name"), "tracks", (json_int_t)n);
	if (!*out || json_object_set_new(*out, file ? "output" : "m3u8",
	                                 json_string(file ? file : text.p)) < 0) {
		json_decref(*out);
		*out = NULL;
		goto nomem;
	}
	goto out;
nomem:
	e = seg_fail(SEG_ENOMEM, "out of memory");
out:
	buf_free(&text);
	buf_free(&artists);
	buf_free(&loc);
	json_decref(items);
	json_decref(pl);
	return e;
}

static void print_export(json_t *o, FILE *f)
{
	const char *text = json_string_value(json_object_get(o, "m3u8"));

	if (text)
		fputs(text, f);
	else
		fprintf(f, "exported %lld tracks of %s to %s\n",
		        json_integer_value(json_object_get(o, "tracks")),
		        json_string_value(json_object_get(o, "name")) ?: "?",
		        json_string_value(json_object_get(o, "output")) ?: "?");
}

const struct cmd_entry cmd_playlist_export = {
	"playlist export", "[--output FILE] [--base DIR] PLAYLIST", "Writes a playlist as M3U8: "
	"each track's #EXTINF line, then its path under the server's library folder (after DIR "
	"with --base), or its URI when the server has no path for it. To standard output, or "
	"to FILE (replaced whole, never left half written).", "output=,base=", 1, 1, CMD_ANY, 0,
	export_exec, print_export, NULL
};

/* --- import ------------------------------------------------------------------------------ */

/* What became of one entry of the file. */
struct found {
	char id[BASE62_ID_LEN + 1]; /* "" while not found */
	bool direct;                /* named by a track URI, checked with GET /v1/tracks */
	char *path;                 /* what is sent as its path (NULL: none) */
};

static int hex(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* s with %XX sequences decoded, into a new string; a % that starts none is kept. */
static char *percent_decode(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	if (!out)
		return NULL;
	for (; *s; s++) {
		if (*s == '%' && hex(s[1]) >= 0 && hex(s[2]) >= 0 && (hex(s[1]) || hex(s[2]))) {
			*o++ = (char)(hex(s[1]) << 4 | hex(s[2]));
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	return out;
}

/* Reads a location: a track URI ("segue:track:ID", "spotify:track:ID") or a URL with
 * "/track/ID" in it (an open.spotify.com link) names its track, put into f->id; anything
 * else is a path to match, a URL's (file:// or not) decoded. */
static int read_location(const char *loc, struct found *f)
{
	const char *scheme_end = strstr(loc, "://"), *t, *p;
	char id[BASE62_ID_LEN + 1];

	static const char *const uris[] = { "segue:track:", "spotify:track:" };

	for (size_t i = 0; i < sizeof uris / sizeof uris[0]; i++) {
		size_t n = strlen(uris[i]);

		if (!strncmp(loc, uris[i], n) && base62_is_id(loc + n)) {
			snprintf(f->id, sizeof f->id, "%s", loc + n);
			f->direct = true;
			return 0;
		}
	}
	if (!scheme_end || strcspn(loc, "/") < (size_t)(scheme_end - loc)) {
		f->path = strdup(loc);
		return f->path ? 0 : -1;
	}
	/* The id ends the path or is followed by more of it, a query or a fragment. */
	if ((t = strstr(scheme_end, "/track/")) && strlen(t + 7) >= BASE62_ID_LEN &&
	    strchr("/?#", t[7 + BASE62_ID_LEN])) {
		snprintf(id, sizeof id, "%.*s", BASE62_ID_LEN, t + 7);
		if (base62_is_id(id)) {
			memcpy(f->id, id, sizeof id);
			f->direct = true;
			return 0;
		}
	}
	/* The path of the URL, after its host: file:///home/a/b.flac, file://host/a/b.flac. */
	p = scheme_end + 3;
	p += strcspn(p, "/");
	f->path = percent_decode(*p ? p : scheme_end + 3);
	if (f->path)
		f->path[strcspn(f->path, "?#")] = '\0';
	return f->path ? 0 : -1;
}

/* The entry as the report names it: "Artist - Title (location)". */
static json_t *describe(const struct m3u_entry *me)
{
	if (me->title)
		return json_sprintf("%s%s%s (%s)", me->artist ? me->artist : "", me->artist ? " - " : "",
		                    me->title, me->location);
	return json_string(me->location);
}

/* Checks the entries named by URI: the ones the catalog has keep their id. */
static enum seg_err check_direct(struct api *api, const struct m3u *m, struct found *f)
{
	size_t i = 0;

	while (i < m->n) {
		struct buf path = BUF_INIT;
		size_t idx[IDS_BATCH], k = 0;
		json_t *answer = NULL, *tracks;
		enum seg_err e;

		for (; i < m->n && k < IDS_BATCH; i++)
			if (f[i].direct && buf_printf(&path, "%s%s", k ? "," : "/v1/tracks?ids=", f[i].id) >= 0)
				idx[k++] = i;
		if (!k) {
			buf_free(&path);
			break;
		}
		if (!path.p) {
			buf_free(&path);
			return seg_fail(SEG_ENOMEM, "out of memory");
		}
		e = api_get(api, path.p, &answer);
		buf_free(&path);
		if (e)
			return e;
		tracks = json_object_get(answer, "tracks");
		for (size_t j = 0; j < k; j++)
			if (!json_is_object(json_array_get(tracks, j)))
				f[idx[j]].id[0] = '\0';
		json_decref(answer);
	}
	return SEG_OK;
}

/* The server's match request for entry i; its fields over the server's limits are left out
 * (an entry too long to match by path may still match by its tags). */
static json_t *match_entry(const struct m3u_entry *me, const struct found *f, size_t *bytes)
{
	json_t *o = json_object();

	*bytes = 64;
	if (f->path && strlen(f->path) <= MATCH_PATH_MAX) {
		json_object_set_new(o, "path", json_string(f->path));
		*bytes += strlen(f->path);
	}
	if (me->artist && strlen(me->artist) <= MATCH_TEXT_MAX) {
		json_object_set_new(o, "artist", json_string(me->artist));
		*bytes += strlen(me->artist);
	}
	if (me->title && strlen(me->title) <= MATCH_TEXT_MAX) {
		json_object_set_new(o, "title", json_string(me->title));
		*bytes += strlen(me->title);
	}
	if (me->duration_ms > 0)
		json_object_set_new(o, "duration_ms", json_integer(me->duration_ms));
	return o;
}

/* Asks the server for the tracks of the entries that are not named by URI, in batches. */
static enum seg_err match_all(struct api *api, const struct m3u *m, struct found *f)
{
	size_t i = 0;

	while (i < m->n) {
		json_t *entries = json_array(), *body, *answer = NULL, *matches;
		size_t idx[MATCH_BATCH], k = 0, bytes = 0;
		enum seg_err e;

		for (; i < m->n && k < MATCH_BATCH && bytes < MATCH_BATCH_BYTES; i++) {
			size_t b;

			if (f[i].direct)
				continue;
			json_array_append_new(entries, match_entry(&m->entries[i], &f[i], &b));
			bytes += b;
			idx[k++] = i;
		}
		if (!k) {
			json_decref(entries);
			break;
		}
		body = json_pack("{s:o}", "entries", entries);
		e = playlist_post_patiently(api, "/v1/segue/tracks/match", body, &answer);
		json_decref(body);
		if (e)
			return e;
		matches = json_object_get(answer, "matches");
		if (json_array_size(matches) != k) {
			json_decref(answer);
			return seg_fail(SEG_EPROTO, "the server matched %zu entries of %zu",
			                json_array_size(matches), k);
		}
		for (size_t j = 0; j < k; j++) {
			const char *id = json_string_value(json_object_get(
				json_object_get(json_array_get(matches, j), "track"), "id"));

			if (id && base62_is_id(id))
				snprintf(f[idx[j]].id, sizeof f[idx[j]].id, "%s", id);
		}
		json_decref(answer);
	}
	return SEG_OK;
}

/* The playlist's name when neither --name nor #PLAYLIST gives one: the file's, without its
 * folder and extension. */
static char *name_of_file(const char *file)
{
	const char *b = strrchr(file, '/');
	char *name = strdup(b ? b + 1 : file), *dot;

	if (name && (dot = strrchr(name, '.')) && dot > name &&
	    (!strcasecmp(dot, ".m3u") || !strcasecmp(dot, ".m3u8")))
		*dot = '\0';
	return name;
}

/* Adds the found tracks in the file's order. */
static enum seg_err add_found(struct api *api, const char *playlist_id, const struct m3u *m,
                              const struct found *f, long long *added)
{
	char path[128];

	snprintf(path, sizeof path, "/v1/playlists/%s/tracks", playlist_id);
	*added = 0;
	for (size_t i = 0; i < m->n; ) {
		json_t *uris = json_array(), *body, *answer = NULL;
		enum seg_err e;
		size_t k = 0;

		for (; i < m->n && k < ADD_BATCH; i++)
			if (f[i].id[0]) {
				json_array_append_new(uris, json_sprintf("segue:track:%s", f[i].id));
				k++;
			}
		if (!k) {
			json_decref(uris);
			break;
		}
		body = json_pack("{s:o}", "uris", uris);
		e = playlist_post_patiently(api, path, body, &answer);
		json_decref(body);
		json_decref(answer);
		if (e)
			return e;
		*added += (long long)k;
	}
	return SEG_OK;
}

static enum seg_err import_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	const char *file = a->argv[0];
	struct api *api = seg_api(s);
	struct m3u m;
	struct found *f = NULL;
	json_t *pl = NULL, *unmatched = NULL;
	char *name = NULL;
	long long found = 0, added = 0;
	enum seg_err e;

	if (cmd_has(a, "public") && cmd_has(a, "private"))
		return seg_fail(SEG_EUSAGE, "--public and --private cannot both be given");
	if (!api)
		return seg_fail(SEG_ENOMEM, "out of memory");
	if ((e = m3u_read(file, &m)))
		return e;
	if (!m.n) {
		e = seg_fail(SEG_ENOTFOUND, "%s holds no entries: no playlist was made", file);
		goto out;
	}
	if (!(f = calloc(m.n, sizeof *f)) || !(unmatched = json_array())) {
		e = seg_fail(SEG_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < m.n; i++)
		if (read_location(m.entries[i].location, &f[i]) < 0) {
			e = seg_fail(SEG_ENOMEM, "out of memory");
			goto out;
		}
	if ((e = check_direct(api, &m, f)) || (e = match_all(api, &m, f)))
		goto out;
	for (size_t i = 0; i < m.n; i++) {
		if (f[i].id[0])
			found++;
		else
			json_array_append_new(unmatched, json_pack("{s:i,s:o}", "line", m.entries[i].line,
			                                           "entry", describe(&m.entries[i])));
	}
	if (!found) {
		e = seg_fail(SEG_ENOTFOUND, "none of the %zu entries of %s is in the catalog: no "
		             "playlist was made", m.n, file);
		goto out;
	}
	if (cmd_flag(a, "name"))
		name = strdup(cmd_flag(a, "name"));
	else
		name = m.name ? strdup(m.name) : name_of_file(file);
	if (!name) {
		e = seg_fail(SEG_ENOMEM, "out of memory");
		goto out;
	}
	if ((e = playlist_make(api, name, NULL, !cmd_has(a, "private"), true, &pl)))
		goto out;
	if ((e = add_found(api, json_string_value(json_object_get(pl, "id")), &m, f, &added))) {
		/* The playlist stays, with what was added: say so rather than leave it unnamed. */
		e = seg_fail(e, "%s (the playlist %s, %s, holds the first %lld of %lld tracks found)",
		             seg_errmsg(), name, render_uri(pl), added, found);
		goto out;
	}
	json_object_del(pl, "tracks"); /* as it was made: empty */
	*out = json_pack("{s:O,s:I,s:I,s:O}", "playlist", pl, "imported", (json_int_t)added,
	                 "entries", (json_int_t)m.n, "unmatched", unmatched);
	if (!*out)
		e = seg_fail(SEG_ENOMEM, "out of memory");
out:
	for (size_t i = 0; f && i < m.n; i++)
		free(f[i].path);
	free(f);
	free(name);
	json_decref(pl);
	json_decref(unmatched);
	m3u_free(&m);
	return e;
}

static void print_import(json_t *o, FILE *f)
{
	json_t *pl = json_object_get(o, "playlist"), *u;
	/* The entries left out are warnings, beside the result: on standard error when the
	 * result goes to standard output. */
	FILE *w = f == stdout ? stderr : f;
	size_t i;

	fprintf(f, "imported %lld of %lld entries into %s (%s)\n",
	        json_integer_value(json_object_get(o, "imported")),
	        json_integer_value(json_object_get(o, "entries")),
	        json_string_value(json_object_get(pl, "name")) ?: "?", render_uri(pl));
	json_array_foreach(json_object_get(o, "unmatched"), i, u)
		fprintf(w, "not matched: line %lld: %s\n", json_integer_value(json_object_get(u, "line")),
		        json_string_value(json_object_get(u, "entry")) ?: "?");
}

const struct cmd_entry cmd_playlist_import = {
	"playlist import", "[--name NAME] [--public|--private] FILE", "Makes a playlist of an M3U "
	"or M3U8 file's entries, in order: each is found in the catalog by its path, its #EXTINF "
	"artist and title, or a search, or named by a track URI. The entries not found are "
	"listed; when none is found no playlist is made (exit status 4).",
	"name=,public,private", 1, 1, CMD_ANY, 0, import_exec, print_import, NULL
};
