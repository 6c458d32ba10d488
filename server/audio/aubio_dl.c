/* libaubio, loaded when ingest first needs it rather than linked. Linking it would map its
 * whole media stack (libavcodec and some hundred libraries) into every segue-server process,
 * the serving one included, for the sake of one subcommand; it would also keep valgrind from
 * running the server (one of those libraries executes instructions valgrind cannot decode).
 * Each function here stands in for the library's own, same name and signature. */
#include "config.h"

#define AUBIO_UNSTABLE 1 /* the peak picker and the beat tracker: see features.c */
#include <aubio/aubio.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>

#include "log.h"

static struct {
	aubio_peakpicker_t *(*new_peakpicker)(void);
	uint_t (*peakpicker_set_threshold)(aubio_peakpicker_t *, smpl_t);
	void (*peakpicker_do)(aubio_peakpicker_t *, fvec_t *, fvec_t *);
	fvec_t *(*peakpicker_get_thresholded_input)(aubio_peakpicker_t *);
	void (*del_peakpicker)(aubio_peakpicker_t *);
	aubio_beattracking_t *(*new_bt)(uint_t, uint_t, uint_t);
	void (*bt_do)(aubio_beattracking_t *, const fvec_t *, fvec_t *);
	smpl_t (*bt_get_bpm)(const aubio_beattracking_t *);
	smpl_t (*bt_get_confidence)(const aubio_beattracking_t *);
	void (*del_bt)(aubio_beattracking_t *);
	uint_t (*silence_detection)(const fvec_t *, smpl_t);
	aubio_fft_t *(*new_fft)(uint_t);
	void (*fft_do_complex)(aubio_fft_t *, const fvec_t *, fvec_t *);
	void (*del_fft)(aubio_fft_t *);
	fvec_t *(*new_fvec)(uint_t);
	void (*del_fvec)(fvec_t *);
} lib;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int loaded;

static void load(void)
{
	void *h = dlopen("libaubio.so.5", RTLD_NOW | RTLD_LOCAL);

	if (!h)
		h = dlopen("libaubio.so", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		log_err("ingest: cannot load libaubio: %s", dlerror());
		return;
	}
	*(void **)&lib.new_peakpicker = dlsym(h, "new_aubio_peakpicker");
	*(void **)&lib.peakpicker_set_threshold = dlsym(h, "aubio_peakpicker_set_threshold");
	*(void **)&lib.peakpicker_do = dlsym(h, "aubio_peakpicker_do");
	*(void **)&lib.peakpicker_get_thresholded_input =
		dlsym(h, "aubio_peakpicker_get_thresholded_input");
	*(void **)&lib.del_peakpicker = dlsym(h, "del_aubio_peakpicker");
	*(void **)&lib.new_bt = dlsym(h, "new_aubio_beattracking");
	*(void **)&lib.bt_do = dlsym(h, "aubio_beattracking_do");
	*(void **)&lib.bt_get_bpm = dlsym(h, "aubio_beattracking_get_bpm");
	*(void **)&lib.bt_get_confidence = dlsym(h, "aubio_beattracking_get_confidence");
	*(void **)&lib.del_bt = dlsym(h, "del_aubio_beattracking");
	*(void **)&lib.silence_detection = dlsym(h, "aubio_silence_detection");
	*(void **)&lib.new_fft = dlsym(h, "new_aubio_fft");
	*(void **)&lib.fft_do_complex = dlsym(h, "aubio_fft_do_complex");
	*(void **)&lib.del_fft = dlsym(h, "del_aubio_fft");
	*(void **)&lib.new_fvec = dlsym(h, "new_fvec");
	*(void **)&lib.del_fvec = dlsym(h, "del_fvec");
	loaded = lib.new_peakpicker && lib.peakpicker_set_threshold && lib.peakpicker_do &&
	         lib.peakpicker_get_thresholded_input && lib.del_peakpicker && lib.new_bt &&
	         lib.bt_do && lib.bt_get_bpm && lib.bt_get_confidence && lib.del_bt &&
	         lib.silence_detection && lib.new_fft && lib.fft_do_complex && lib.del_fft &&
	         lib.new_fvec && lib.del_fvec;
	if (!loaded)
		log_err("ingest: libaubio lacks a function segue-server needs");
}

static int ready(void)
{
	pthread_once(&once, load);
	return loaded;
}

/* Constructors return NULL when the library is missing; callers already handle NULL. */
aubio_peakpicker_t *new_aubio_peakpicker(void) { return ready() ? lib.new_peakpicker() : NULL; }
uint_t aubio_peakpicker_set_threshold(aubio_peakpicker_t *p, smpl_t t) { return lib.peakpicker_set_threshold(p, t); }
void aubio_peakpicker_do(aubio_peakpicker_t *p, fvec_t *in, fvec_t *out) { lib.peakpicker_do(p, in, out); }
fvec_t *aubio_peakpicker_get_thresholded_input(aubio_peakpicker_t *p) { return lib.peakpicker_get_thresholded_input(p); }
void del_aubio_peakpicker(aubio_peakpicker_t *p) { lib.del_peakpicker(p); }
aubio_beattracking_t *new_aubio_beattracking(uint_t winlen, uint_t hop, uint_t rate)
{
	return ready() ? lib.new_bt(winlen, hop, rate) : NULL;
}
void aubio_beattracking_do(aubio_beattracking_t *bt, const fvec_t *in, fvec_t *out) { lib.bt_do(bt, in, out); }
smpl_t aubio_beattracking_get_bpm(const aubio_beattracking_t *bt) { return lib.bt_get_bpm(bt); }
smpl_t aubio_beattracking_get_confidence(const aubio_beattracking_t *bt) { return lib.bt_get_confidence(bt); }
void del_aubio_beattracking(aubio_beattracking_t *bt) { lib.del_bt(bt); }
uint_t aubio_silence_detection(const fvec_t *v, smpl_t threshold) { return lib.silence_detection(v, threshold); }
aubio_fft_t *new_aubio_fft(uint_t size) { return ready() ? lib.new_fft(size) : NULL; }
void aubio_fft_do_complex(aubio_fft_t *s, const fvec_t *in, fvec_t *out) { lib.fft_do_complex(s, in, out); }
void del_aubio_fft(aubio_fft_t *s) { lib.del_fft(s); }
fvec_t *new_fvec(uint_t n) { return ready() ? lib.new_fvec(n) : NULL; }
void del_fvec(fvec_t *s) { lib.del_fvec(s); }
