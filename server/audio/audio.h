/* The audio pipeline of ingest: analyse a master (content hash, loudness, features), then
 * transcode it to Ogg Vorbis at the four stream qualities. Both stream the file in blocks;
 * the analysis may also keep the decoded audio of a track up to AUDIO_PCM_MAX_SAMPLES, so
 * that the transcode's passes need not decode the master again. Thread-safe: the only
 * shared state is the atomic count of samples kept (AUDIO_PCM_BUDGET). */
#ifndef SEGUE_AUDIO_H
#define SEGUE_AUDIO_H

#include <stddef.h>

enum quality { Q_LOW, Q_NORMAL, Q_HIGH, Q_VERY_HIGH, Q_COUNT };

struct quality_info {
	const char *name; /* "low", "normal", "high", "very_high" */
	int kbps;         /* 24, 96, 160, 320 */
};
extern const struct quality_info quality_info[Q_COUNT];
/* Returns the quality named s, or -1. */
int quality_from_name(const char *s);

/* The loudness target that gain_db brings a track to (LUFS). */
#define AUDIO_TARGET_LUFS (-14.0)

struct analysis {
	unsigned char content_hash[32]; /* BLAKE2b-256 of the decoded PCM and its format */
	long long frames;
	int channels;
	int rate;
	long duration_ms;
	double loudness_lufs;   /* EBU R128 integrated loudness */
	double true_peak;       /* linear, 1.0 = full scale */
	double gain_db;         /* AUDIO_TARGET_LUFS - loudness, limited so the peak stays <= 1.0 */
	/* Features for recommendations. */
	double tempo_bpm;       /* aubio tempo estimate, 0 if none */
	double energy;          /* 0..1: mean RMS mapped onto a perceptual scale */
	double brightness;      /* 0..1: mean spectral centroid relative to Nyquist */
	double danceability;    /* 0..1: beat regularity/strength (onset-based) */
	double acousticness;    /* 0..1: the inverse of spectral flatness/noisiness */
};

/* The delivered samples of a whole track (at most two channels, interleaved, as
 * audio_src_read hands them out), kept from the analysis for the transcode. */
struct audio_pcm {
	float *s;
	long long frames;
	int channels; /* 1 or 2 */
	int rate;
	long long cap; /* samples allocated, for audio.c */
};

/* Tracks with more delivered samples than AUDIO_PCM_MAX_SAMPLES are not kept (128 MiB of
 * floats: 6 min of 44.1 kHz stereo), nor those that would take the tracks kept by all ingest
 * threads together over AUDIO_PCM_BUDGET samples (256 MiB); the transcode then decodes the
 * master for each of its passes. */
#define AUDIO_PCM_MAX_SAMPLES (32LL * 1024 * 1024)
#define AUDIO_PCM_BUDGET (64LL * 1024 * 1024)

/* Reads the whole master once. Returns 0, or -1 with a one-line reason in err (unreadable,
 * not audio, zero length, too long, corrupt data part-way through). When pcm is not NULL,
 * *pcm gets the decoded track if it fits in AUDIO_PCM_MAX_SAMPLES (and memory), else NULL;
 * the caller frees it with audio_pcm_free. */
int audio_analyse(const char *path, struct analysis *a, struct audio_pcm **pcm, char *err,
                  size_t errlen);

/* Frees what audio_analyse kept; NULL is fine. */
void audio_pcm_free(struct audio_pcm *pcm);

/* A comment to write into every output, e.g. "TITLE=Song". */
struct vcomment {
	const char *key;
	const char *value;
};

/* Transcodes path (or pcm, its decoded audio from audio_analyse, when not NULL: the same
 * bytes come out either way) into dir/low.ogg, dir/normal.ogg, dir/high.ogg and dir/very_high.ogg (dir
 * must exist). Every output carries the given comments plus REPLAYGAIN_TRACK_GAIN and
 * REPLAYGAIN_TRACK_PEAK from a. Each file is written under a temporary name, fsynced and
 * renamed, so a reader never sees a partial file. On failure no output is left behind.
 * out_bytes (optional) receives each output's size. */
int audio_transcode(const char *path, const struct audio_pcm *pcm, const char *dir,
                    const struct analysis *a, const struct vcomment *comments, size_t ncomments,
                    long long out_bytes[Q_COUNT], char *err, size_t errlen);

#endif
