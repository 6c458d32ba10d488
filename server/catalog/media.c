#include "config.h"
#include "catalog/media.h"

#include <stdio.h>

#include "audio/audio.h"
#include "base62.h"
#include "strput.h"

int media_path(const char *media_dir, const char *id, int quality, char *out, size_t len)
{
	struct strput s;

	if (!base62_is_id(id) || quality >= Q_COUNT || !len)
		return -1;
	/* Built by hand: this runs for every audio request (lib/strput.h). */
	strput_init(&s, out, len);
	strput_s(&s, media_dir);
	strput_lit(&s, "/");
	strput_n(&s, id, 2);
	strput_lit(&s, "/");
	strput_s(&s, id);
	if (quality >= 0) {
		strput_lit(&s, "/");
		strput_s(&s, quality_info[quality].name);
		strput_lit(&s, ".ogg");
	}
	return strput_ok(&s) ? 0 : -1;
}

int media_etag(const char *id, int quality, const struct stat *st, char *out, size_t len)
{
	struct strput s;

	if (quality < 0 || quality >= Q_COUNT || !len)
		return -1;
	strput_init(&s, out, len);
	strput_lit(&s, "\"");
	strput_s(&s, id);
	strput_lit(&s, "-");
	strput_s(&s, quality_info[quality].name);
	strput_lit(&s, "-");
	strput_hex(&s, (unsigned long long)st->st_size);
	strput_lit(&s, "-");
	strput_hex(&s, (unsigned long long)st->st_mtime);
	strput_lit(&s, "\"");
	return strput_ok(&s) ? 0 : -1;
}
