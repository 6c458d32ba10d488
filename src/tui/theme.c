/* Colours. See theme.h. */
#include "config.h"
#include "theme.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	short fg, bg;     /* -1: the terminal's default */
	attr_t attrs;     /* with colours */
	attr_t mono;      /* without */
} defaults[TH_COUNT] = {
	[TH_NORMAL] = { "normal", -1, -1, A_NORMAL, A_NORMAL },
	[TH_SIDEBAR] = { "sidebar", -1, -1, A_NORMAL, A_NORMAL },
	[TH_SELECTED] = { "selected", COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE },
	[TH_ACTIVE] = { "active", -1, -1, A_BOLD, A_BOLD | A_UNDERLINE },
	[TH_HEADER] = { "header", COLOR_YELLOW, -1, A_BOLD, A_BOLD },
	[TH_TITLE] = { "title", COLOR_CYAN, -1, A_BOLD, A_BOLD },
	[TH_DIM] = { "dim", -1, -1, A_DIM, A_DIM },
	[TH_BAR] = { "bar", -1, -1, A_NORMAL, A_NORMAL },
	[TH_PROGRESS] = { "progress", COLOR_GREEN, -1, A_NORMAL, A_NORMAL },
	[TH_STATUS] = { "status", COLOR_GREEN, -1, A_NORMAL, A_NORMAL },
	[TH_ERROR] = { "error", COLOR_RED, -1, A_BOLD, A_BOLD },
	[TH_PLAYING] = { "playing", COLOR_GREEN, -1, A_BOLD, A_BOLD },
	[TH_BORDER] = { "border", -1, -1, A_DIM, A_NORMAL },
};

static attr_t attrs[TH_COUNT];

static const char *const names[] = { "black", "red", "green", "yellow", "blue", "magenta", "cyan", "white" };

/* "default", a colour's name, or a number below COLORS. */
static int colour(const char *s, short *out)
{
	char *end;
	long n;

	if (!strcasecmp(s, "default")) {
		*out = -1;
		return 0;
	}
	for (short i = 0; i < 8; i++)
		if (!strcasecmp(s, names[i])) {
			*out = i;
			return 0;
		}
	n = strtol(s, &end, 10);
	if (*s && !*end && n >= 0 && n < 256 && (n < COLORS || !has_colors())) {
		*out = (short)n;
		return 0;
	}
	return -1;
}

enum seg_err theme_init(json_t *colors)
{
	/* no-color.org: NO_COLOR set and not empty. */
	bool use = has_colors() && !(getenv("NO_COLOR") && *getenv("NO_COLOR"));
	short fg[TH_COUNT], bg[TH_COUNT];
	const char *key;
	json_t *v;

	for (int i = 0; i < TH_COUNT; i++) {
		fg[i] = defaults[i].fg;
		bg[i] = defaults[i].bg;
		attrs[i] = use ? defaults[i].attrs : defaults[i].mono;
	}
	if (use) {
		start_color();
		use_default_colors();
	}
	json_object_foreach(colors, key, v) {
		char spec[128], *comma;
		int i;

		for (i = 0; i < TH_COUNT && strcmp(defaults[i].name, key); i++)
			;
		if (i == TH_COUNT)
			return seg_fail(SEG_EUSAGE, "color.%s: no such element (segue(1) lists them)", key);
		snprintf(spec, sizeof spec, "%s", json_string_value(v) ?: "");
		if ((comma = strchr(spec, ',')))
			*comma++ = '\0';
		/* Checked even without colours, so a typo shows wherever the file is used. */
		if (colour(spec, &fg[i]) < 0 || (comma && colour(comma, &bg[i]) < 0))
			return seg_fail(SEG_EUSAGE, "color.%s: \"%s\" is not FG[,BG] (black, red, green, yellow, "
			                "blue, magenta, cyan, white, default or a number)", key, json_string_value(v));
		/* A colour given for "selected" replaces its reverse video. */
	}
	if (!use)
		return SEG_OK;
	for (int i = 0; i < TH_COUNT; i++)
		if (fg[i] != -1 || bg[i] != -1) {
			init_pair((short)(i + 1), fg[i], bg[i]);
			attrs[i] |= COLOR_PAIR(i + 1);
		}
	return SEG_OK;
}

attr_t theme_attr(enum theme_el e)
{
	return attrs[e];
}
