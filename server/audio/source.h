/* Reading a master block by block for the audio pipeline: opens it with libsndfile, checks
 * its format and length, detects data that ends before the header says it should, and hands
 * out each block both as decoded (the source's channels) and as delivered (at most two
 * channels: masters with more are downmixed to stereo, which is what the streams carry). */
#ifndef SEGUE_AUDIO_SRC_H
#define SEGUE_AUDIO_SRC_H

#include <stddef.h>
#include <sndfile.h>

#define AUDIO_SRC_BLOCK 4096            /* frames per block */
#define AUDIO_MAX_SECONDS (2 * 60 * 60) /* longer masters are refused */
#define AUDIO_MAX_CHANNELS 8

struct audio_src {
	SNDFILE *sf;
	int channels;          /* of the master */
	int out_channels;      /* delivered: 1 or 2 */
	int rate;
	long long claimed;     /* frames the header announces, -1 when unknown */
	long long pos;         /* the next frame to read: frames read so far, or a seek target */
	float *raw;            /* one block, channels interleaved */
	float *mix;            /* one block, out_channels interleaved (when downmixing) */
	float left[AUDIO_MAX_CHANNELS], right[AUDIO_MAX_CHANNELS]; /* downmix weights */
};

/* Opens path and checks it. Returns 0, or -1 with a reason in err. */
int audio_src_open(struct audio_src *s, const char *path, char *err, size_t errlen);

/* Reads the next block. Returns its number of frames, 0 at the end, or -1 with a reason in
 * err (corrupt or truncated data, too long). *raw gets the decoded samples and *out the
 * delivered ones (the same buffer when no downmix is needed); both stay valid until the next
 * call. Either pointer may be NULL. */
long audio_src_read(struct audio_src *s, const float **raw, const float **out, char *err,
		    size_t errlen);

/* Moves to frame (forward or back) so that the next read starts there. Returns 0, or -1
 * when the source cannot seek; the position is then unchanged. */
int audio_src_seek(struct audio_src *s, long long frame);

/* Releases everything; safe on a source that failed to open. */
void audio_src_close(struct audio_src *s);

#endif
