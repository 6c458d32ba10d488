#include "config.h"
#include "catalog/media.h"

#include <stdio.h>

#include "audio/audio.h"
#include "base62.h"

int media_path(const char *media_dir, const char *id, int quality, char *out, size_t len)
{
	int n;

	if (!base62_is_id(id) || quality >= Q_COUNT)
		return -1;
	if (quality < 0)
		n = snprintf(out, len, "%s/%.2s/%s", media_dir, id, id);
	else
		n = snprintf(out, len, "%s/%.2s/%s/%s.ogg", media_dir, id, id, quality_info[quality].name);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}
