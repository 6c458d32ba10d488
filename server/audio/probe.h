/* Opening a master with libavformat for source.c: what the file is (by its content, never
 * by its name), whether it is audio, which stream to decode, and how long its header says
 * it is. Only audio containers are opened, so a hostile file cannot make the demuxer follow
 * a playlist or read other files, and probing reads a bounded amount. */
#ifndef SEGUE_AUDIO_PROBE_H
#define SEGUE_AUDIO_PROBE_H

#include <stddef.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

struct probe {
	AVIOContext *pb;           /* ours: the demuxer reads through it */
	AVFormatContext *fmt;
	int stream;                /* the audio stream chosen */
	const AVCodec *decoder;
	long long claimed;         /* frames announced, -1 when unknown or a mere estimate */
	long long slack;           /* how far short of claimed the decoded audio may end:
	                            * priming, padding, container rounding */
	int ogg;                   /* the container is Ogg */
};

/* Opens path and chooses its audio stream. Returns 0, or -1 with a reason in err ("not
 * audio: video file", "not audio: image file", "unsupported codec ..."). On failure nothing
 * is left open. */
int probe_open(struct probe *p, const char *path, char *err, size_t errlen);

/* Whether the file ends part-way through a unit its container frames (an Ogg page): data
 * cut short that the demuxer passes over in silence. */
int probe_cut_short(const struct probe *p, const char *path);

/* Closes everything; safe on a probe that is not open. */
void probe_close(struct probe *p);

#endif
