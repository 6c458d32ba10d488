/* libaubio, loaded when ingest first needs it rather than linked. Linking it would map its
 * whole media stack (libavcodec and some hundred libraries) into every segue-server process,
 * the serving one included, for the sake of one subcommand; it would also keep valgrind from
 * running the server (one of those libraries executes instructions valgrind cannot decode).
 * Each function here stands in for the library's own, same name and signature. */
#include "config.h"

#include <aubio/aubio.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>

#include "log.h"

static struct {
	aubio_tempo_t *(*new_tempo)(const char_t *, uint_t, uint_t, uint_t);
	void (*tempo_do)(aubio_tempo_t *, const fvec_t *, fvec_t *);
	uint_t (*tempo_get_last)(aubio_tempo_t *);
	smpl_t (*tempo_get_bpm)(aubio_tempo_t *);
	smpl_t (*tempo_get_confidence)(aubio_tempo_t *);
	void (*del_tempo)(aubio_tempo_t *);
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
	*(void **)&lib.new_tempo = dlsym(h, "new_aubio_tempo");
	*(void **)&lib.tempo_do = dlsym(h, "aubio_tempo_do");
	*(void **)&lib.tempo_get_last = dlsym(h, "aubio_tempo_get_last");
	*(void **)&lib.tempo_get_bpm = dlsym(h, "aubio_tempo_get_bpm");
	*(void **)&lib.tempo_get_confidence = dlsym(h, "aubio_tempo_get_confidence");
	*(void **)&lib.del_tempo = dlsym(h, "del_aubio_tempo");
	*(void **)&lib.new_fft = dlsym(h, "new_aubio_fft");
	*(void **)&lib.fft_do_complex = dlsym(h, "aubio_fft_do_complex");
	*(void **)&lib.del_fft = dlsym(h, "del_aubio_fft");
	*(void **)&lib.new_fvec = dlsym(h, "new_fvec");
	*(void **)&lib.del_fvec = dlsym(h, "del_fvec");
	loaded = lib.new_tempo && lib.tempo_do && lib.tempo_get_last && lib.tempo_get_bpm &&
	         lib.tempo_get_confidence && lib.del_tempo && lib.new_fft && lib.fft_do_complex &&
	         lib.del_fft && lib.new_fvec && lib.del_fvec;
	if (!loaded)
		log_err("ingest: libaubio lacks a function segue-server needs");
}

static int ready(void)
{
	pthread_once(&once, load);
	return loaded;
}

/* Constructors return NULL when the library is missing; callers already handle NULL. */
aubio_tempo_t *new_aubio_tempo(const char_t *method, uint_t buf, uint_t hop, uint_t rate)
{
	return ready() ? lib.new_tempo(method, buf, hop, rate) : NULL;
}
void aubio_tempo_do(aubio_tempo_t *o, const fvec_t *in, fvec_t *out) { lib.tempo_do(o, in, out); }
uint_t aubio_tempo_get_last(aubio_tempo_t *o) { return lib.tempo_get_last(o); }
smpl_t aubio_tempo_get_bpm(aubio_tempo_t *o) { return lib.tempo_get_bpm(o); }
smpl_t aubio_tempo_get_confidence(aubio_tempo_t *o) { return lib.tempo_get_confidence(o); }
void del_aubio_tempo(aubio_tempo_t *o) { lib.del_tempo(o); }
aubio_fft_t *new_aubio_fft(uint_t size) { return ready() ? lib.new_fft(size) : NULL; }
void aubio_fft_do_complex(aubio_fft_t *s, const fvec_t *in, fvec_t *out) { lib.fft_do_complex(s, in, out); }
void del_aubio_fft(aubio_fft_t *s) { lib.del_fft(s); }
fvec_t *new_fvec(uint_t n) { return ready() ? lib.new_fvec(n) : NULL; }
void del_fvec(fvec_t *s) { lib.del_fvec(s); }
