#include "config.h"

/* segue-gen-demo: writes the demo catalog's masters as WAV files and prints its manifest.
 *
 *   segue-gen-demo [--seed N] [--small] [--dry-run] [--verbose] OUTDIR
 *
 * Files go to OUTDIR/<Artist>/<Album>/<NN> - <Title>.wav (16-bit, 44.1 kHz, stereo); stdout
 * gets one tab-separated line per track:
 *
 *   relpath title artist album album_artist track disc date genre markets explicit
 *
 * The same seed always produces byte-identical files and manifest: all randomness comes from
 * the seed, and release dates are relative to a fixed reference date, not the clock. */

#include "demo-catalog.h"
#include "demo-dsp.h"
#include "demo-song.h"

#include <errno.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_SEED 1

static void usage(FILE *f)
{
	fprintf(f, "usage: segue-gen-demo [--seed N] [--small] [--dry-run] [--verbose] OUTDIR\n"
		   "Writes the demo catalog's WAV masters under OUTDIR and prints the manifest\n"
		   "(relpath, title, artist, album, album_artist, track, disc, date, genre,\n"
		   "markets, explicit; tab-separated) on stdout. --dry-run only prints it.\n");
}

/* A path component from a name: '/' becomes '-', control characters become '_', and a
 * leading dot is escaped so nothing turns hidden or special. */
static void safe_name(const char *in, char *out, size_t size)
{
	size_t i = 0;

	if (*in == '.' && i + 1 < size)
		out[i++] = '_';
	for (; *in && i + 1 < size; in++) {
		unsigned char ch = (unsigned char)*in;

		out[i++] = ch == '/' ? '-' : (ch < 0x20 || ch == 0x7f) ? '_' : (char)ch;
	}
	out[i] = '\0';
}

/* mkdir -p for the directory part of path. */
static int make_parents(char *path)
{
	char *p;

	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0777) < 0 && errno != EEXIST) {
			fprintf(stderr, "segue-gen-demo: mkdir %s: %s\n", path, strerror(errno));
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	return 0;
}

static int write_wav(const char *path, const int16_t *pcm, size_t frames)
{
	SF_INFO info;
	SNDFILE *f;
	sf_count_t n;

	memset(&info, 0, sizeof(info));
	info.samplerate = 44100;
	info.channels = 2;
	info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
	f = sf_open(path, SFM_WRITE, &info);
	if (!f) {
		fprintf(stderr, "segue-gen-demo: %s: %s\n", path, sf_strerror(NULL));
		return -1;
	}
	n = sf_writef_short(f, pcm, (sf_count_t)frames);
	if (n != (sf_count_t)frames) {
		fprintf(stderr, "segue-gen-demo: %s: %s\n", path, sf_strerror(f));
		sf_close(f);
		return -1;
	}
	if (sf_close(f) != 0) {
		fprintf(stderr, "segue-gen-demo: %s: close failed\n", path);
		return -1;
	}
	return 0;
}

static const char *const key_names[12] = { "C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab",
					    "A", "Bb", "B" };

static int gen_track(struct song_ws *ws, const struct catalog *c, int i, const char *outdir,
		     int dry_run, int verbose)
{
	const struct cat_track *t = &c->tracks[i];
	const struct cat_album *al = &c->albums[t->album];
	const struct cat_artist *ar = &c->artists[al->artist];
	char sa[256], sal[256], st[256], rel[1024], path[4096];
	struct song_spec sp;
	struct song_info info;
	const int16_t *pcm;
	size_t frames;

	safe_name(ar->name, sa, sizeof(sa));
	safe_name(al->title, sal, sizeof(sal));
	safe_name(t->title, st, sizeof(st));
	snprintf(rel, sizeof(rel), "%s/%s/%02d - %s.wav", sa, sal, t->number, st);
	snprintf(path, sizeof(path), "%s/%s", outdir, rel);
	if (dry_run)
		goto manifest;
	if (make_parents(path) < 0)
		return -1;

	memset(&sp, 0, sizeof(sp));
	sp.genre = ar->genre;
	sp.style = ar->style;
	sp.seed = t->seed;
	sp.seconds = t->seconds;
	sp.lufs = t->lufs;
	if (song_render(ws, &sp, &pcm, &frames, &info) < 0) {
		fprintf(stderr, "segue-gen-demo: out of memory rendering %s\n", rel);
		return -1;
	}
	if (write_wav(path, pcm, frames) < 0)
		return -1;
	if (verbose)
		fprintf(stderr, "%-10s %3.0f bpm %-2s %-5s %5.1f s %6.1f LUFS  %s\n",
			song_genre_name(ar->genre), info.bpm, key_names[info.key],
			info.minor ? "minor" : "major", t->seconds, t->lufs, rel);
manifest:
	printf("%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\t%d\n", rel, t->title, t->artist,
	       al->title, ar->name, t->number, t->disc, al->date, song_genre_name(ar->genre),
	       t->markets, t->explicit_);
	return 0;
}

int main(int argc, char **argv)
{
	static struct catalog cat;
	uint64_t seed = DEFAULT_SEED;
	const char *outdir = NULL;
	int small = 0, dry_run = 0, verbose = 0, i;
	char *end, dir[4096];
	struct song_ws *ws;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
			errno = 0;
			seed = strtoull(argv[++i], &end, 10);
			if (errno || *end || end == argv[i]) {
				fprintf(stderr, "segue-gen-demo: bad seed '%s'\n", argv[i]);
				return 2;
			}
		} else if (strcmp(argv[i], "--small") == 0) {
			small = 1;
		} else if (strcmp(argv[i], "--dry-run") == 0) {
			dry_run = 1;
		} else if (strcmp(argv[i], "--verbose") == 0 || strcmp(argv[i], "-v") == 0) {
			verbose = 1;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			usage(stderr);
			return 2;
		} else if (!outdir) {
			outdir = argv[i];
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!outdir || !*outdir) {
		usage(stderr);
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s/", outdir);
	if (!dry_run && make_parents(dir) < 0)
		return 1;

	ws = song_ws_new();
	if (!ws) {
		fprintf(stderr, "segue-gen-demo: out of memory\n");
		return 1;
	}
	dsp_init();
	catalog_build(&cat, seed, small);
	for (i = 0; i < cat.ntracks; i++)
		if (gen_track(ws, &cat, i, outdir, dry_run, verbose) < 0)
			break;
	song_ws_free(ws);
	if (i < cat.ntracks)
		return 1;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "segue-gen-demo: writing the manifest failed\n");
		return 1;
	}
	return 0;
}
