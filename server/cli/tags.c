/* segue-server tags: what Segue reads from each file, as ingest would see it (after names
 * from the path fill the gaps). It is how a user finds why an album split in two: a second
 * album artist, a stray disc number, a different album title. */
#include "config.h"
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "catalog/tags.h"

#define LABEL_WIDTH 21

static int count_lines(const char *text)
{
	int n = 0;

	for (const char *p = text; *p != '\0'; p++)
		n += *p == '\n';
	return n;
}

/* ---- Text ---------------------------------------------------------------------------- */

static void line(const char *label, const char *value)
{
	printf("%-*s %s\n", LABEL_WIDTH, label, value[0] != '\0' ? value : "-");
}

static void line_list(const char *label, const struct tag_list *l)
{
	printf("%-*s ", LABEL_WIDTH, label);
	if (l->n == 0)
		fputs("-", stdout);
	for (int i = 0; i < l->n; i++)
		printf("%s%s", i > 0 ? "; " : "", l->v[i]);
	putchar('\n');
}

static void line_pair(const char *label, int n, int total)
{
	char v[32] = "";

	if (n > 0 && total > 0)
		snprintf(v, sizeof v, "%d/%d", n, total);
	else if (n > 0)
		snprintf(v, sizeof v, "%d", n);
	else if (total > 0)
		snprintf(v, sizeof v, "?/%d", total);
	line(label, v);
}

/* A file name may hold bytes a terminal would act on. */
static void print_path(const char *path)
{
	printf("%-*s ", LABEL_WIDTH, "file:");
	for (const unsigned char *p = (const unsigned char *)path; *p != '\0'; p++)
		putchar(*p < 0x20 || *p == 0x7f ? '?' : *p);
	putchar('\n');
}

static void print_text(const char *path, const struct tags *t)
{
	char v[256];

	print_path(path);
	line("title:", t->title);
	line("artist:", t->artist);
	line_list("artists:", &t->artists);
	line("album:", t->album);
	line_list("album artists:", &t->album_artists);
	line_pair("track:", t->track_number, t->track_total);
	line_pair("disc:", t->disc_number, t->disc_total);
	line("disc subtitle:", t->disc_subtitle);
	line("date:", t->date);
	line("original date:", t->original_date);
	line_list("genres:", &t->genres);
	line("compilation:", t->compilation ? "yes" : "no");
	line("release type:", t->release_type);
	line("mb track id:", t->mb_track_id);
	line("mb recording id:", t->mb_recording_id);
	line("mb album id:", t->mb_album_id);
	line_list("mb artist ids:", &t->mb_artist_ids);
	line_list("mb album artist ids:", &t->mb_album_artist_ids);
	line("isrc:", t->isrc);
	line("label:", t->label);
	line("markets:", t->markets);
	line("explicit:", t->explicit_ ? "yes" : "no");
	v[0] = '\0';
	if (t->lyrics != NULL)
		snprintf(v, sizeof v, "%s, %d lines%s%s%s", t->lyrics_synced ? "synced" : "plain",
			 count_lines(t->lyrics), t->lyrics_lang[0] ? " (" : "", t->lyrics_lang,
			 t->lyrics_lang[0] ? ")" : "");
	line("lyrics:", v);
	if (t->picture != NULL)
		snprintf(v, sizeof v, "%s, %zu bytes", t->picture_mime, t->picture_len);
	else
		snprintf(v, sizeof v, "%s", t->picture_note);
	line("picture:", v);
}

/* ---- JSON ---------------------------------------------------------------------------- */

/* Tag text is valid UTF-8 already; a path need not be, and JSON must. */
static json_t *path_string(const char *path)
{
	json_t *s = json_string(path);
	char *copy;

	if (s != NULL)
		return s;
	copy = strdup(path);
	if (copy == NULL)
		return NULL;
	for (char *p = copy; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	s = json_string(copy);
	free(copy);
	return s;
}

static json_t *list_json(const struct tag_list *l)
{
	json_t *a = json_array();

	for (int i = 0; a != NULL && i < l->n; i++)
		json_array_append_new(a, json_string(l->v[i]));
	return a;
}

static json_t *tags_json(const char *path, const struct tags *t)
{
	json_t *o = json_object(), *lyrics = json_null(), *picture = json_null();

	if (o == NULL)
		return NULL;
	if (t->lyrics != NULL)
		lyrics = json_pack("{s:b, s:s?, s:i, s:s}", "synced", t->lyrics_synced,
				   "lang", t->lyrics_lang[0] ? t->lyrics_lang : NULL,
				   "lines", count_lines(t->lyrics), "text", t->lyrics);
	if (t->picture != NULL)
		picture = json_pack("{s:s, s:I}", "mime", t->picture_mime,
				    "bytes", (json_int_t)t->picture_len);
	json_object_set_new(o, "path", path_string(path));
	json_object_set_new(o, "title", json_string(t->title));
	json_object_set_new(o, "artist", json_string(t->artist));
	json_object_set_new(o, "artists", list_json(&t->artists));
	json_object_set_new(o, "album", json_string(t->album));
	json_object_set_new(o, "album_artists", list_json(&t->album_artists));
	json_object_set_new(o, "track_number", json_integer(t->track_number));
	json_object_set_new(o, "track_total", json_integer(t->track_total));
	json_object_set_new(o, "disc_number", json_integer(t->disc_number));
	json_object_set_new(o, "disc_total", json_integer(t->disc_total));
	json_object_set_new(o, "disc_subtitle", json_string(t->disc_subtitle));
	json_object_set_new(o, "date", json_string(t->date));
	json_object_set_new(o, "original_date", json_string(t->original_date));
	json_object_set_new(o, "genres", list_json(&t->genres));
	json_object_set_new(o, "compilation", json_boolean(t->compilation));
	json_object_set_new(o, "release_type", json_string(t->release_type));
	json_object_set_new(o, "mb_track_id", json_string(t->mb_track_id));
	json_object_set_new(o, "mb_recording_id", json_string(t->mb_recording_id));
	json_object_set_new(o, "mb_album_id", json_string(t->mb_album_id));
	json_object_set_new(o, "mb_artist_ids", list_json(&t->mb_artist_ids));
	json_object_set_new(o, "mb_album_artist_ids", list_json(&t->mb_album_artist_ids));
	json_object_set_new(o, "isrc", json_string(t->isrc));
	json_object_set_new(o, "label", json_string(t->label));
	json_object_set_new(o, "markets", json_string(t->markets));
	json_object_set_new(o, "explicit", json_boolean(t->explicit_));
	json_object_set_new(o, "lyrics", lyrics);
	json_object_set_new(o, "picture", picture);
	json_object_set_new(o, "picture_note", t->picture_note[0] ? json_string(t->picture_note)
								 : json_null());
	return o;
}

/* ---- The command --------------------------------------------------------------------- */

int cmd_tags(int argc, char **argv)
{
	json_t *all = NULL;
	int json = 0, first = 1, failed = 0, i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else {
			fprintf(stderr, "segue-server: tags: unknown option %s\n", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (i == argc) {
		fprintf(stderr, "usage: segue-server tags [--json] FILE...\n");
		return EXIT_USAGE;
	}
	if (json && (all = json_array()) == NULL) {
		fprintf(stderr, "segue-server: tags: out of memory\n");
		return EXIT_FAILURE_;
	}
	for (; i < argc; i++) {
		struct tags t;
		char err[512];

		if (tags_read(argv[i], &t, err, sizeof err) < 0) {
			fprintf(stderr, "segue-server: tags: %s: %s\n", argv[i], err);
			failed++;
			if (json)
				json_array_append_new(all, json_pack("{s:o, s:s}", "path",
								     path_string(argv[i]), "error", err));
			continue;
		}
		if (json) {
			json_array_append_new(all, tags_json(argv[i], &t));
		} else {
			if (!first)
				putchar('\n');
			print_text(argv[i], &t);
		}
		first = 0;
		tags_free(&t);
	}
	if (json) {
		if (json_dumpf(all, stdout, JSON_INDENT(2)) < 0 || putchar('\n') == EOF) {
			fprintf(stderr, "segue-server: tags: cannot write the output\n");
			json_decref(all);
			return EXIT_FAILURE_;
		}
		json_decref(all);
	}
	if (fflush(stdout) == EOF) {
		fprintf(stderr, "segue-server: tags: cannot write the output\n");
		return EXIT_FAILURE_;
	}
	return failed == 0 ? EXIT_OK : EXIT_PARTIAL;
}
