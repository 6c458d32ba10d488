/* The LRC parser. See lyrics/lyrics.h for what it accepts. The text is first made valid
 * UTF-8 (charset.c) in a buffer that then holds the lines' text: each line is cleaned in
 * place, over the bytes it came from, which it never outgrows, so the lines can point into
 * the buffer while it is still being written. */
#include "config.h"
#include "lyrics/lyrics.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lyrics/charset.h"

struct entry {
	long long start; /* -1: a line without a stamp */
	const char *text;
	size_t seq;      /* order of appearance, so that sorting by time is stable */
};

struct parse {
	unsigned flags;
	struct entry *e;
	size_t n, cap;
	size_t timed;          /* entries with a stamp */
	size_t untimed_lost;   /* text lines beyond what is kept of lines without a stamp */
	bool last_blank;       /* the last line without a stamp was blank */
	bool too_many, nomem;
	long long offset;
	bool have_offset;
	char lang[LYRICS_LANG_MAX];
	int skipped, cut;
};

/* A stamp at p (which holds '[' or '<'), up to close: minutes (up to six digits), ':',
 * seconds (one or two digits, under 60), and a fraction of one to three digits after '.' or
 * ':' (tenths, hundredths or thousandths), or none. Returns the bytes it takes; 0 when p does
 * not start like a stamp ('[' digits ':'), so it may be a tag or text; -1 when it starts like
 * one and is not one (no close, out of range). */
static int stamp(const char *p, const char *end, char close, long long *ms)
{
	const char *q = p + 1, *d = q;
	long long min = 0, sec = 0, frac = 0;
	int fd = 0;

	while (q < end && isdigit((unsigned char)*q))
		q++;
	if (q == d || q >= end || *q != ':')
		return 0;
	if (q - d > 6)
		return -1;
	for (; d < q; d++)
		min = min * 10 + (*d - '0');
	d = ++q;
	while (q < end && isdigit((unsigned char)*q) && q - d < 3)
		sec = sec * 10 + (*q++ - '0');
	if (q == d || q - d > 2 || sec >= 60)
		return -1;
	if (q < end && (*q == '.' || *q == ':')) {
		d = ++q;
		while (q < end && isdigit((unsigned char)*q) && q - d < 4)
			frac = frac * 10 + (*q++ - '0');
		fd = (int)(q - d);
		if (fd < 1 || fd > 3)
			return -1;
		frac *= fd == 1 ? 100 : fd == 2 ? 10 : 1;
	}
	if (q >= end || *q != close)
		return -1;
	*ms = min * 60000 + sec * 1000 + frac;
	return *ms > LYRICS_MS_MAX ? -1 : (int)(q + 1 - p);
}

bool lyrics_language(const char *v, size_t len, char out[LYRICS_LANG_MAX])
{
	size_t i = 0;

	while (len && isspace((unsigned char)*v))
		v++, len--;
	while (len && isspace((unsigned char)v[len - 1]))
		len--;
	if (len < 2 || len >= LYRICS_LANG_MAX)
		return false;
	while (i < len && isalpha((unsigned char)v[i]))
		i++;
	if (i < 2 || i > 3)
		return false;
	if (i < len) {
		size_t sub = len - i - 1;

		if ((v[i] != '-' && v[i] != '_') || sub < 2)
			return false;
		for (size_t k = i + 1; k < len; k++)
			if (!isalnum((unsigned char)v[k]))
				return false;
	}
	for (i = 0; i < len; i++)
		out[i] = v[i] == '_' ? '-' : (char)tolower((unsigned char)v[i]);
	out[len] = '\0';
	return true;
}

/* "+500", "-250", " 40 ": milliseconds. */
static bool offset_value(const char *v, size_t len, long long *out)
{
	long long n = 0;
	int sign = 1;
	size_t i = 0, digits = 0;

	while (i < len && isspace((unsigned char)v[i]))
		i++;
	if (i < len && (v[i] == '+' || v[i] == '-'))
		sign = v[i++] == '-' ? -1 : 1;
	for (; i < len && isdigit((unsigned char)v[i]) && digits < 10; i++, digits++)
		n = n * 10 + (v[i] - '0');
	while (i < len && isspace((unsigned char)v[i]))
		i++;
	if (!digits || i < len || n > LYRICS_MS_MAX)
		return false;
	*out = sign * n;
	return true;
}

/* The tags LRC files carry besides stamps; a bracket with another name is text. */
static const char *const meta_names[] = {
	"ar", "al", "ti", "au", "by", "re", "ve", "tool", "length", "offset", "la", "lang",
	"language", "id", "#", "key", "encoding", "total", "sign", "lyricist", "composer",
};

/* A metadata tag at p ('['): 1 when it is one (used or ignored), 0 when it is not one
 * (text), -1 when it is one but broken (no closing bracket, an offset that is no number). */
static int meta(struct parse *ps, const char *p, const char *end)
{
	const char *name = p + 1, *colon = name, *close;
	size_t i;

	while (colon < end && colon - name <= 8 && *colon != ':')
		colon++;
	if (colon >= end || *colon != ':')
		return 0;
	for (i = 0; i < sizeof meta_names / sizeof meta_names[0]; i++)
		if (strlen(meta_names[i]) == (size_t)(colon - name) &&
		    !strncasecmp(meta_names[i], name, (size_t)(colon - name)))
			break;
	if (i == sizeof meta_names / sizeof meta_names[0])
		return 0;
	if (!(close = memchr(colon, ']', (size_t)(end - colon))))
		return -1;
	if (!strncasecmp(name, "offset:", 7)) {
		long long off;

		if (!offset_value(colon + 1, (size_t)(close - colon - 1), &off))
			return -1;
		if (!ps->have_offset) /* the first one counts */
			ps->offset = off;
		ps->have_offset = true;
	} else if (!strncasecmp(name, "la:", 3) || !strncasecmp(name, "lang:", 5) ||
	           !strncasecmp(name, "language:", 9)) {
		if (!ps->lang[0])
			lyrics_language(colon + 1, (size_t)(close - colon - 1), ps->lang);
	}
	return 1;
}

/* The text from p to end written from w on (w <= p, so in place): word stamps dropped when
 * lrc, control characters (C0, DEL, C1) and U+FEFF dropped, a tab as a space, runs of spaces
 * as one, trimmed, cut at a character's start to LYRICS_LINE_MAX bytes. NUL-terminated (w may
 * reach end: the buffer has a byte after every line). Returns its length. */
static size_t clean(struct parse *ps, char *w, const char *p, const char *end, bool lrc)
{
	char *start = w;
	long long ms;

	while (p < end) {
		unsigned char c = (unsigned char)*p;
		size_t n = charset_utf8_len((const unsigned char *)p, (size_t)(end - p));
		int r;

		if (!n) /* not after charset_to_utf8; skipped rather than trusted */
			n = 1;
		else if (c == '\t' || c == ' ') {
			if (w > start && w[-1] != ' ')
				*w++ = ' ';
		} else if (c < 0x20 || c == 0x7F || (c == 0xC2 && (unsigned char)p[1] < 0xA0) ||
		           (n == 3 && !memcmp(p, "\xEF\xBB\xBF", 3))) {
			/* dropped */
		} else if (lrc && c == '<' && (r = stamp(p, end, '>', &ms)) > 0) {
			n = (size_t)r;
		} else {
			memmove(w, p, n);
			w += n;
		}
		p += n;
	}
	if (w - start > LYRICS_LINE_MAX) {
		w = start + LYRICS_LINE_MAX;
		while (w > start && ((unsigned char)*w & 0xC0) == 0x80)
			w--;
		ps->cut++;
	}
	while (w > start && w[-1] == ' ')
		w--;
	*w = '\0';
	return (size_t)(w - start);
}

static bool push(struct parse *ps, long long start)
{
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 64;
		struct entry *e = realloc(ps->e, cap * sizeof *e);

		if (!e) {
			ps->nomem = true;
			return false;
		}
		ps->e = e;
		ps->cap = cap;
	}
	ps->e[ps->n] = (struct entry){ start, NULL, ps->n };
	ps->n++;
	return true;
}

/* One line, len bytes at line; its text is written over it. */
static void parse_line(struct parse *ps, char *line, size_t len)
{
	const char *p = line, *end = line + len;
	size_t first = ps->n;
	long long ms;
	int r;

	if (!(ps->flags & LYRICS_PLAIN)) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		while (p < end && *p == '[') {
			if ((r = stamp(p, end, ']', &ms)) < 0) {
				ps->skipped++;
				ps->n = first;
				return;
			}
			if (r == 0) {
				if (ps->n > first || !(r = meta(ps, p, end)))
					break; /* text that starts with a bracket */
				if (r < 0)
					ps->skipped++;
				return;
			}
			if (ps->timed + (ps->n - first) >= LYRICS_LINES_MAX)
				ps->too_many = true;
			if (ps->too_many || !push(ps, ms)) {
				ps->n = first; /* the parse ends here, refused */
				return;
			}
			p += r;
			while (p < end && (*p == ' ' || *p == '\t'))
				p++;
		}
	}
	if (ps->n > first) {
		ps->timed += ps->n - first;
		clean(ps, line, p, end, !(ps->flags & LYRICS_PLAIN));
		for (size_t i = first; i < ps->n; i++)
			ps->e[i].text = line;
		return;
	}
	/* Without a stamp: the lyrics if the file has none at all, else skipped at the end. A run
	 * of blank lines is kept as one, so that keeping up to twice the limit is sure to keep
	 * more lines with text than the limit allows: the rest need not be kept to refuse. */
	bool blank = !clean(ps, line, p, end, !(ps->flags & LYRICS_PLAIN));

	if (blank && ps->last_blank)
		return;
	ps->last_blank = blank;
	if (ps->n - ps->timed >= 2 * (size_t)LYRICS_LINES_MAX + 2)
		ps->untimed_lost += !blank;
	else if (push(ps, -1))
		ps->e[ps->n - 1].text = line;
}

static int by_time(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Keeps the timed entries (the others were not LRC), moved by the offset and in time order:
 * a positive offset shows the lines earlier, as LRC has it. */
static void finish_synced(struct parse *ps)
{
	size_t k = 0;

	ps->skipped += (int)ps->untimed_lost;
	for (size_t i = 0; i < ps->n; i++) {
		struct entry e = ps->e[i];

		if (e.start < 0) {
			ps->skipped += e.text[0] != '\0';
			continue;
		}
		e.start -= ps->offset;
		e.start = e.start < 0 ? 0 : e.start > LYRICS_MS_MAX ? LYRICS_MS_MAX : e.start;
		ps->e[k++] = e;
	}
	ps->n = k;
	qsort(ps->e, ps->n, sizeof *ps->e, by_time);
}

/* Plain lyrics: blank lines fold into one between stanzas, none before or after. */
static void finish_plain(struct parse *ps)
{
	size_t k = 0;

	for (size_t i = 0; i < ps->n; i++) {
		bool blank = !ps->e[i].text[0];

		if (blank && (k == 0 || !ps->e[k - 1].text[0]))
			continue;
		ps->e[k++] = ps->e[i];
	}
	while (k && !ps->e[k - 1].text[0])
		k--;
	ps->n = k;
}

int lyrics_parse(const char *text, size_t len, struct lyrics *out, unsigned flags, char *err,
                 size_t errlen)
{
	struct parse ps = { .flags = flags };
	char *buf = NULL, *p, *end;
	size_t blen;

	memset(out, 0, sizeof *out);
	if (len > LYRICS_INPUT_MAX) {
		snprintf(err, errlen, "too large: %zu bytes, at most %d", len, LYRICS_INPUT_MAX);
		return -1;
	}
	if (charset_to_utf8((const unsigned char *)text, len, &buf, &blen, err, errlen) < 0)
		return -1;
	for (p = buf, end = buf + blen; p < end && !ps.too_many && !ps.nomem; ) {
		char *e = p, *next;

		while (e < end && *e != '\n' && *e != '\r')
			e++;
		next = e + (e < end) + (e + 1 < end && e[0] == '\r' && e[1] == '\n');
		parse_line(&ps, p, (size_t)(e - p));
		p = next;
	}
	if (ps.nomem) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (!ps.too_many && ps.timed)
		finish_synced(&ps);
	else if (!ps.too_many)
		finish_plain(&ps);
	if (ps.too_many || (!ps.timed && ps.untimed_lost) || ps.n > LYRICS_LINES_MAX) {
		snprintf(err, errlen, "more than %d lines", LYRICS_LINES_MAX);
		goto fail;
	}
	out->synced = ps.timed > 0;
	memcpy(out->language, ps.lang, sizeof out->language);
	out->skipped = ps.skipped;
	out->cut = ps.cut;
	if (ps.n) {
		if (!(out->lines = malloc(ps.n * sizeof *out->lines))) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		for (size_t i = 0; i < ps.n; i++)
			out->lines[i] = (struct lyrics_line){ ps.e[i].start, ps.e[i].text };
		out->n = ps.n;
		out->text = buf;
		buf = NULL;
	}
	free(buf);
	free(ps.e);
	return 0;
fail:
	free(buf);
	free(ps.e);
	memset(out, 0, sizeof *out);
	return -1;
}

void lyrics_free(struct lyrics *l)
{
	free(l->lines);
	free(l->text);
	memset(l, 0, sizeof *l);
}
