/* stream and download: a track's audio for Subsonic clients. The licence is the Web API's
 * (catalog/playback.h, as api/playback.c: markets, very_high for premium only, withdrawn tracks),
 * so a Subsonic client can hear nothing the Web API would not give.
 *
 *   stream   format raw (or none): the stored Ogg Vorbis as it is, the best quality at or
 *            under maxBitRate that the licence allows, with Range; format mp3 or opus: a
 *            transcode at maxBitRate (clamped to what the encoder makes; a default when 0
 *            or absent) from the best allowed rendition, starting at timeOffset seconds,
 *            streamed as it is encoded (transcode/). estimateContentLength=true announces
 *            bitrate x duration as Content-Length and keeps to it exactly: the encode is cut
 *            at that length, or padded with zero bytes up to it (Navidrome announces the same
 *            estimate but cuts the connection short when the encode is shorter, which a
 *            player reports as a network error). timeOffset does not apply to raw: the
 *            stored file is sent whole, its Range being the way into it.
 *   download the best allowed stored file, with Range and a Content-Disposition naming it.
 *
 * Neither counts a play. The specification describes scrobble as "typically used when playing
 * media that is cached on the client", which suggests the original server counted a stream
 * as a play; Navidrome counts scrobbles only, and so does Segue: a stream is fetched ahead,
 * again after a seek, or abandoned, and clients that speak OpenSubsonic scrobble what they
 * play (subsonic's scrobble records the play event, once).
 */
#include "config.h"
#include "subsonic/endpoints.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audio/audio.h"
#include "catalog/media.h"
#include "catalog/playback.h"
#include "http/fdcache.h"
#include "http/feed.h"
#include "http/file.h"
#include "log.h"
#include "server.h"
#include "store/catalog.h"
#include "transcode/transcode.h"

/* Bytes of encoded audio buffered per transcode: a few seconds at the usual bitrates, so a
 * reader that pauses holds the encoder, not the server's memory. */
#define TC_BUFFER (64 * 1024)

/* The catalog as this request sees it (no links: Subsonic's answers carry none). */
static struct catalog_view view(const struct req *r)
{
	return (struct catalog_view){ &r->srv->store, "", r->srv->cfg.markets, NULL };
}

/* The licence check's refusals as the specification's errors. Returns false after
 * answering. */
static bool licensed(struct sub_call *c, const char *id, int q, struct track_playback *t)
{
	struct catalog_view v = view(c->r);

	switch (playback_check(&v, &c->r->user, id, q, t)) {
	case PLAYBACK_OK:
		return true;
	case PLAYBACK_DB_ERROR:
		sub_error(c, SUB_ERR_GENERIC, "database error");
		break;
	case PLAYBACK_NO_TRACK:
		sub_error(c, SUB_ERR_NOT_FOUND, "song not found: %s", id);
		break;
	case PLAYBACK_WITHDRAWN:
		sub_error(c, SUB_ERR_NOT_FOUND, "this song is unavailable: its source file is no longer "
		          "in the library");
		break;
	case PLAYBACK_MARKET:
		sub_error(c, SUB_ERR_FORBIDDEN, "this song is not available in your market (%s)",
		          c->r->user.country);
		break;
	case PLAYBACK_TIER:
		sub_error(c, SUB_ERR_FORBIDDEN, "very_high quality (320 kbit/s) needs a premium account");
		break;
	}
	return false;
}

/* The stored quality for a limit of max_kbps (0: none): the best at or under it that the
 * licence allows, and the lowest when even that is over it. */
static int stored_quality(const struct req *r, long max_kbps)
{
	int best = playback_best_quality(&r->user);

	if (max_kbps <= 0)
		return best;
	for (int q = best; q > Q_LOW; q--)
		if (quality_info[q].kbps <= max_kbps)
			return q;
	return Q_LOW;
}

/* A file name for Content-Disposition: the title, in the characters a quoted string takes
 * everywhere. */
static void file_name(struct sub_call *c, const char *id, char *out, size_t len)
{
	struct catalog_view v = view(c->r);
	json_t *t = catalog_track(&v, id, NULL);
	const char *title = t ? json_string_value(json_object_get(t, "name")) : NULL;
	size_t n = 0;

	for (const char *p = title ? title : id; *p && n + 1 < len && n < 96; p++)
		out[n++] = (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\' && *p != '/') ? *p : '_';
	out[n] = '\0';
	json_decref(t);
}

/* Sends the stored rendition q of id as it is (Range, ETag). */
static void send_stored(struct sub_call *c, const char *id, int q, bool attachment)
{
	struct req *r = c->r;
	char path[1300], etag[96], name[100];
	struct stat st;
	int fd;

	if (media_path(r->srv->media_dir, id, q, path, sizeof path) < 0) {
		sub_error(c, SUB_ERR_NOT_FOUND, "song not found: %s", id);
		return;
	}
	if ((fd = fdcache_open(path, &st)) < 0) {
		int err = errno;

		if (err == ENOENT) {
			sub_error(c, SUB_ERR_NOT_FOUND, "song not found: %s", id);
		} else {
			log_err("subsonic: %s: %s", path, strerror(err));
			sub_error(c, SUB_ERR_GENERIC, "the audio file cannot be read");
		}
		return;
	}
	if (attachment)
		file_name(c, id, name, sizeof name);
	c->answered = true; /* the file's answer (or a Range's 416) */
	media_etag(id, q, &st, etag, sizeof etag); /* (an id and a quality name fit) */
	http_send_file(r, fd, &st, etag, "audio/ogg");
	if (attachment)
		reply_header(r, "content-disposition:", "attachment; filename=\"%s.ogg\"", name);
	if (r->streaming)
		r->srv->metrics.streams_started++;
}

/* A transcode that failed before its first byte is answered as the specification's error,
 * in the format the call asked for (its JSONP callback is not kept: JSON then). */
static void transcode_failed(struct req *r, const char *why, void *arg)
{
	struct sub_call c = { .r = r, .fmt = (enum sub_format)(intptr_t)arg };

	if (c.fmt == SUB_JSONP)
		c.fmt = SUB_JSON;
	sub_error(&c, SUB_ERR_GENERIC, "the transcode failed: %s", why);
}

static void transcode(struct sub_call *c, const char *id, enum tc_format fmt, long kbps,
                      long offset, bool estimate)
{
	struct req *r = c->r;
	struct server *srv = r->srv;
	const struct tc_format_info *fi = &tc_formats[fmt];
	struct track_playback t;
	struct http_feed *f;
	struct tc_spec spec;
	double left;
	int q = playback_best_quality(&r->user);

	if (!licensed(c, id, q, &t))
		return;
	left = (double)t.duration_ms / 1000.0 - (double)offset;
	if (left <= 0) {
		sub_error(c, SUB_ERR_GENERIC, "timeOffset %ld is past the end of the song (%.1f s)",
		          offset, (double)t.duration_ms / 1000.0);
		return;
	}
	memset(&spec, 0, sizeof spec);
	if (media_path(srv->media_dir, id, q, spec.path, sizeof spec.path) < 0) {
		sub_error(c, SUB_ERR_NOT_FOUND, "song not found: %s", id);
		return;
	}
	spec.format = fmt;
	spec.kbps = (int)(kbps <= 0 ? fi->def_kbps : kbps < fi->min_kbps ? fi->min_kbps
	                  : kbps > fi->max_kbps ? fi->max_kbps : kbps);
	spec.offset = (double)offset;
	spec.exact = estimate;
	if (transcoder_reserve(&srv->transcodes) < 0) {
		/* At once, not a stream that stalls: a 503 with the specification's error inside,
		 * as the rate limit answers 429. */
		sub_error_status(c, 503, SUB_ERR_GENERIC, "the server is transcoding as many songs as "
		                 "it may at once; try again shortly, or ask for format=raw");
		reply_header(r, "retry-after:", "%d", 2);
		return;
	}
	reply_empty(r, 200);
	r->ctype = fi->ctype;
	reply_header(r, "x-content-duration:", "%.3f", left);
	reply_header(r, "accept-ranges:", "none");
	f = http_feed_start(r, estimate ? (long long)((double)spec.kbps * 1000 / 8 * left) : -1,
	                    TC_BUFFER, transcode_failed, (void *)(intptr_t)c->fmt);
	c->answered = true;
	if (!f) {
		transcoder_release(&srv->transcodes);
		return;
	}
	if (r->method == M_HEAD) {
		/* the headers alone: nothing to encode */
		http_feed_end(f, NULL);
		transcoder_release(&srv->transcodes);
		return;
	}
	srv->metrics.streams_started++;
	transcoder_run(&srv->transcodes, &spec, f);
}

void sub_stream(struct sub_call *c)
{
	const char *id = sub_need(c, "id"), *format;
	long max_kbps, offset;
	bool estimate;
	int fmt = -1, q;
	struct track_playback t;

	if (!id || !sub_int(c, "maxBitRate", 0, 0, 100000, &max_kbps) ||
	    !sub_int(c, "timeOffset", 0, 0, 24 * 3600, &offset) ||
	    !sub_bool(c, "estimateContentLength", false, &estimate))
		return;
	format = sub_arg(c, "format");
	if (format && *format && strcmp(format, "raw") && strcmp(format, "ogg") &&
	    (fmt = tc_format_from_name(format)) < 0) {
		sub_error(c, SUB_ERR_GENERIC, "format \"%.20s\" is not served: raw, mp3 or opus", format);
		return;
	}
	if (fmt >= 0) {
		transcode(c, id, (enum tc_format)fmt, max_kbps, offset, estimate);
		return;
	}
	q = stored_quality(c->r, max_kbps);
	if (licensed(c, id, q, &t))
		send_stored(c, id, q, false);
}

void sub_download(struct sub_call *c)
{
	const char *id = sub_need(c, "id");
	struct track_playback t;
	int q;

	if (!id)
		return;
	q = playback_best_quality(&c->r->user);
	if (licensed(c, id, q, &t))
		send_stored(c, id, q, true);
}
