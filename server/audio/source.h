/* Reading a master block by block for the audio pipeline: any audio file FFmpeg decodes
 * (libavformat finds the best audio stream, libavcodec decodes it, libswresample turns its
 * samples into floats). It checks the format and the length, refuses video and pictures,
 * detects data that ends before the header says it should, and hands out each block both as
 * decoded (the source's channels) and as delivered (at most two channels: masters with more
 * are downmixed to stereo, which is what the streams carry). Encoder delay and padding are
 * dropped the way FFmpeg does (MP3's LAME header, AAC's priming, Opus's pre-skip). */
#ifndef SEGUE_AUDIO_SRC_H
#define SEGUE_AUDIO_SRC_H

#include <stddef.h>

#define AUDIO_SRC_BLOCK 4096            /* frames per block, at most */
#define AUDIO_MAX_SECONDS (2 * 60 * 60) /* longer masters are refused */
#define AUDIO_MAX_CHANNELS 8
#define AUDIO_MIN_RATE 8000
#define AUDIO_MAX_RATE 768000

struct audio_dec; /* the decoder's state, private to source.c */

struct audio_src {
	struct audio_dec *dec;
	int channels;          /* of the master */
	int out_channels;      /* delivered: 1 or 2 */
	int rate;
	long long claimed;     /* frames the header announces, -1 when unknown; for lossy codecs
	                        * an approximation (priming and padding are counted in it) */
	long long pos;         /* the next frame to read: frames read so far, or a seek target */
};

/* Opens path and checks it. Returns 0, or -1 with a one-line reason in err ("not audio:
 * video file", "unsupported sample rate ...", ...). */
int audio_src_open(struct audio_src *s, const char *path, char *err, size_t errlen);

/* Reads the next block. Returns its number of frames (1..AUDIO_SRC_BLOCK), 0 at the end, or
 * -1 with a reason in err (corrupt or truncated data, too long). *raw gets the decoded
 * samples and *out the delivered ones (the same buffer when no downmix is needed); both are
 * owned by s and stay valid until the next call. Either pointer may be NULL. */
long audio_src_read(struct audio_src *s, const float **raw, const float **out, char *err,
		    size_t errlen);

/* Moves to frame (forward or back) so that the next read starts exactly there, with the very
 * samples a read from the start would give: forward, the frames in between are decoded and
 * dropped; back, the file is opened again. Returns 0, or -1 when the file cannot be opened
 * again (later reads then fail). */
int audio_src_seek(struct audio_src *s, long long frame);

/* Sends FFmpeg's own messages to our log at debug level (once per process; any thread).
 * Everything here calls it; so does any other user of libav* (transcode/). */
void audio_quiet_ffmpeg(void);

/* Releases everything; safe on a source that failed to open, and twice. */
void audio_src_close(struct audio_src *s);

#endif
