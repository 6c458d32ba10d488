/* Names from the path for what the tags leave out, and artist strings split into lists. */
#include "config.h"
#include "catalog/tags.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "catalog/tags_internal.h"

/* The n-th component from the end of path (0 = file name) into out; returns its length or
 * -1 when there is none. "." and ".." stop the walk: they name nothing useful. */
static int path_component(const char *path, int nth, const char **out)
{
	const char *end = path + strlen(path);

	while (end > path && end[-1] == '/')
		end--;
	for (int i = 0;; i++) {
		const char *start = end;

		while (start > path && start[-1] != '/')
			start--;
		if (start == end || (end - start == 1 && start[0] == '.') ||
		    (end - start == 2 && start[0] == '.' && start[1] == '.'))
			return -1;
		if (i == nth) {
			*out = start;
			return (int)(end - start);
		}
		end = start;
		while (end > path && end[-1] == '/')
			end--;
		if (end == path)
			return -1;
	}
}

/* The number of s[0..len) when it is all digits (at most three), else 0. */
static int digits_only(const char *s, int len)
{
	char tmp[4];

	if (len < 1 || len > 3)
		return 0;
	for (int k = 0; k < len; k++)
		if (!isdigit((unsigned char)s[k]))
			return 0;
	memcpy(tmp, s, (size_t)len);
	tmp[len] = '\0';
	return tags_parse_number(tmp, NULL);
}

/* "CD1", "Disc 2", "disk_3": a disc folder inside an album folder. Returns its number. */
static int disc_folder(const char *s, int len)
{
	static const char *const prefixes[] = { "cd", "disc", "disk" };

	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		int pl = (int)strlen(prefixes[i]), j;

		if (len <= pl || strncasecmp(s, prefixes[i], (size_t)pl) != 0)
			continue;
		j = pl;
		while (j < len && (s[j] == ' ' || s[j] == '_' || s[j] == '-'))
			j++;
		return digits_only(s + j, len - j);
	}
	return 0;
}

/* Splits a file name (extension already removed) into track number and title: "03 - Song",
 * "03. Song", "03_Song", "03 Song", "1-03 Song" (disc-track), or just "Song". At most three
 * digits count as a track number, so "1999 - Song" stays a title. */
static void split_name(const char *s, int len, int *disc, int *track, const char **title,
		       int *tlen)
{
	int i = 0, d = 0, n;

	*disc = *track = 0;
	*title = s;
	*tlen = len;
	while (i < len && isdigit((unsigned char)s[i]))
		i++;
	if (i == 0 || i > 3)
		return;
	n = digits_only(s, i);
	if (i == 1 && i + 1 < len && s[i] == '-' && isdigit((unsigned char)s[i + 1])) {
		int j = i + 1;

		while (j < len && isdigit((unsigned char)s[j]))
			j++;
		if (j - i - 1 <= 3 && j < len && s[j] == ' ') {
			d = n;
			n = digits_only(s + i + 1, j - i - 1);
			i = j;
		}
	}
	if (i < len && s[i] != ' ' && s[i] != '.' && s[i] != '-' && s[i] != '_')
		return;
	while (i < len && (s[i] == ' ' || s[i] == '.' || s[i] == '-' || s[i] == '_'))
		i++;
	if (i == len)
		return; /* "01.flac": the number is the only name there is */
	*disc = d;
	*track = n;
	*title = s + i;
	*tlen = len - i;
}

static void title_from_name(struct tags *t, const char *name, int nlen, int folder_disc)
{
	const char *title;
	int disc, track, tlen;

	for (int i = nlen - 1; i > 0; i--)
		if (name[i] == '.') {
			nlen = i;
			break;
		}
	split_name(name, nlen, &disc, &track, &title, &tlen);
	if (t->title[0] == '\0') {
		/* "My_Song" is "My Song"; a name that has spaces keeps its underscores. */
		int spaces = memchr(title, ' ', (size_t)tlen) != NULL;
		char tmp[TAG_MAX];

		tags_clean(tmp, sizeof tmp, title, (size_t)tlen);
		if (!spaces)
			for (char *p = tmp; *p != '\0'; p++)
				if (*p == '_')
					*p = ' ';
		tags_clean(t->title, sizeof t->title, tmp, strlen(tmp));
		if (t->title[0] == '\0')
			tags_clean(t->title, sizeof t->title, name, (size_t)nlen);
	}
	if (t->track_number == 0)
		t->track_number = track;
	if (t->disc_number == 0)
		t->disc_number = disc > 0 ? disc : folder_disc;
}

void tags_fallback_from_path(struct tags *t, const char *path)
{
	const char *name, *dir1 = NULL, *dir2 = NULL;
	int nlen, len1, len2, folder_disc;

	nlen = path_component(path, 0, &name);
	len1 = path_component(path, 1, &dir1);
	len2 = path_component(path, 2, &dir2);
	folder_disc = len1 > 0 ? disc_folder(dir1, len1) : 0;
	if (folder_disc > 0) {
		len1 = len2;
		dir1 = dir2;
		len2 = path_component(path, 3, &dir2);
	}
	if (nlen > 0)
		title_from_name(t, name, nlen, folder_disc);
	if (t->album[0] == '\0' && len1 > 0)
		tags_clean(t->album, sizeof t->album, dir1, (size_t)len1);
	if (t->album[0] == '\0')
		snprintf(t->album, sizeof t->album, "Unknown Album");

	if (t->artists.n == 0 && t->artist[0] != '\0')
		tags_list_add(&t->artists, t->artist, strlen(t->artist));
	if (t->artists.n == 0 && t->album_artists.n > 0)
		t->artists = t->album_artists;
	if (t->artists.n == 0 && len2 > 0)
		tags_list_add(&t->artists, dir2, (size_t)len2);
	if (t->artists.n == 0)
		tags_list_add(&t->artists, "Unknown Artist", strlen("Unknown Artist"));
	if (t->artist[0] == '\0')
		tags_join(t->artist, sizeof t->artist, &t->artists, "; ");
	if (t->disc_number <= 0)
		t->disc_number = 1;
}

/* Appends s[0..n), trimmed, to l unless it is empty or l is full. */
static void add_part(struct tag_list *l, const char *s, size_t n)
{
	while (n > 0 && *s == ' ') {
		s++;
		n--;
	}
	while (n > 0 && s[n - 1] == ' ')
		n--;
	if (n > 0 && l->n < TAG_VALUES_MAX) {
		memcpy(l->v[l->n], s, n);
		l->v[l->n][n] = '\0';
		l->n++;
	}
}

void tags_split_artists(struct tag_list *l, const char *const *separators, int nseparators)
{
	char src[TAG_MAX];
	const char *p, *start;

	if (l->n != 1)
		return;
	memcpy(src, l->v[0], sizeof src);
	l->n = 0;
	for (p = start = src; *p != '\0';) {
		size_t best = 0;

		/* The longest separator that matches here: "; " before ";". */
		for (int i = 0; i < nseparators; i++) {
			size_t len = strlen(separators[i]);

			if (len > best && strncasecmp(p, separators[i], len) == 0)
				best = len;
		}
		if (best == 0) {
			p++;
			continue;
		}
		add_part(l, start, (size_t)(p - start));
		p += best;
		start = p;
	}
	add_part(l, start, (size_t)(p - start));
	if (l->n == 0) {
		/* Nothing but separators: the value stays as it was. */
		memcpy(l->v[0], src, sizeof src);
		l->n = 1;
	}
}
