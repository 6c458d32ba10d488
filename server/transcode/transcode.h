/* On-the-fly transcodes of stored Ogg Vorbis renditions to MP3 (LAME) or Ogg Opus (libopus),
 * both through libavcodec, for clients that cannot play Vorbis (OpenSubsonic's stream).
 *
 * A transcode runs on a thread of its own and streams into an http_feed (http/feed.h) as it
 * encodes: the feed's bounded buffer makes the encoder wait for a slow reader, and a reader
 * that goes makes the next write fail, which stops the encode at once. At most max run at
 * once: a request past that is refused before anything starts (transcoder_reserve), so a
 * client hears "busy" at once rather than waiting on a stalled stream.
 *
 * The stored file is opened the way ingest opens masters (audio/probe.h: audio containers
 * only, bounded probing), and decoding is bounded in length and in frames without audio: a
 * corrupt or hostile file ends the transcode with an error, never the server. */
#ifndef SEGUE_TRANSCODE_H
#define SEGUE_TRANSCODE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

struct http_feed;

enum tc_format { TC_MP3, TC_OPUS };

struct tc_spec {
	char path[1300];      /* the stored rendition */
	enum tc_format format;
	int kbps;             /* the output's bitrate */
	double offset;        /* seconds into the track to start at (a seek, not a decode) */
	bool exact;           /* the feed announced a length: pad the encode out to it */
};

/* The bitrates each format is made at: a request is clamped into [min, max]; def is used
 * when the client names none. */
struct tc_format_info {
	const char *name;     /* "mp3", "opus" */
	const char *ctype;    /* the answer's Content-Type */
	const char *suffix;   /* the file name's */
	int min_kbps, max_kbps, def_kbps;
};
extern const struct tc_format_info tc_formats[2];
/* The format named s, or -1. */
int tc_format_from_name(const char *s);

struct transcoder {
	pthread_mutex_t lock;
	pthread_cond_t idle;  /* active fell */
	int active, max;
	unsigned long long started, refused; /* for GET /metrics */
	bool ready;
};

void transcoder_init(struct transcoder *t, int max);
/* Waits for the running transcodes to end (their requests must be gone, or going: call it
 * after the lws context is destroyed). */
void transcoder_stop(struct transcoder *t);
/* Appends the transcodes' figures to a Prometheus text answer (GET /metrics). */
struct buf;
void transcoder_metrics(struct transcoder *t, struct buf *out);
/* Takes a slot: 0, or -1 when max transcodes are running. */
int transcoder_reserve(struct transcoder *t);
/* Gives back a slot that was reserved and never run. */
void transcoder_release(struct transcoder *t);
/* Runs spec into f on a thread of its own, in the slot reserved; the thread ends f
 * (http_feed_end) and frees the slot. */
void transcoder_run(struct transcoder *t, const struct tc_spec *spec, struct http_feed *f);

/* The pipeline itself (transcode/pipeline.c), on the calling thread: decodes spec->path
 * from spec->offset and hands the encoded stream to out in pieces. out returns -1 to stop
 * (the reader went, or has all it wants), which ends the call with 0. Returns 0, or -1 with
 * a one-line reason in err. */
typedef int (*tc_out_fn)(void *ud, const unsigned char *p, size_t n);
int tc_pipeline(const struct tc_spec *spec, tc_out_fn out, void *ud, char *err, size_t errlen);

#endif
