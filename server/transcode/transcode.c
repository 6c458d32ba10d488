#include "config.h"
#include "transcode/transcode.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "http/feed.h"
#include "log.h"

const struct tc_format_info tc_formats[2] = {
	[TC_MP3] = { "mp3", "audio/mpeg", "mp3", 32, 320, 192 },
	[TC_OPUS] = { "opus", "audio/ogg", "opus", 16, 256, 128 },
};

int tc_format_from_name(const char *s)
{
	for (int i = 0; i < 2; i++)
		if (!strcmp(s, tc_formats[i].name))
			return i;
	return -1;
}

void transcoder_init(struct transcoder *t, int max)
{
	memset(t, 0, sizeof *t);
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->idle, NULL);
	t->max = max;
	t->ready = true;
}

void transcoder_stop(struct transcoder *t)
{
	if (!t->ready)
		return;
	pthread_mutex_lock(&t->lock);
	while (t->active)
		pthread_cond_wait(&t->idle, &t->lock);
	pthread_mutex_unlock(&t->lock);
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->idle);
	t->ready = false;
}

int transcoder_reserve(struct transcoder *t)
{
	int rc = -1;

	pthread_mutex_lock(&t->lock);
	if (t->active < t->max) {
		t->active++;
		t->started++;
		rc = 0;
	} else {
		t->refused++;
	}
	pthread_mutex_unlock(&t->lock);
	return rc;
}

void transcoder_metrics(struct transcoder *t, struct buf *out)
{
	int active;
	unsigned long long started, refused;

	if (!t->ready)
		return;
	pthread_mutex_lock(&t->lock);
	active = t->active;
	started = t->started;
	refused = t->refused;
	pthread_mutex_unlock(&t->lock);
	buf_printf(out, "# HELP segue_transcodes_running Transcodes (Subsonic stream to mp3 or opus) running.\n"
	                "# TYPE segue_transcodes_running gauge\n"
	                "segue_transcodes_running %d\n"
	                "# HELP segue_transcodes_total Transcodes started.\n"
	                "# TYPE segue_transcodes_total counter\n"
	                "segue_transcodes_total %llu\n"
	                "# HELP segue_transcodes_refused_total Transcodes refused: transcode_max were running.\n"
	                "# TYPE segue_transcodes_refused_total counter\n"
	                "segue_transcodes_refused_total %llu\n", active, started, refused);
}

void transcoder_release(struct transcoder *t)
{
	pthread_mutex_lock(&t->lock);
	t->active--;
	pthread_cond_broadcast(&t->idle);
	pthread_mutex_unlock(&t->lock);
}

struct run {
	struct transcoder *t;
	struct tc_spec spec;
	struct http_feed *f;
};

static int to_feed(void *ud, const unsigned char *p, size_t n)
{
	return http_feed_write(ud, p, n);
}

static void *thread_main(void *arg)
{
	struct run *run = arg;
	char err[256];
	const char *why = NULL;

	if (tc_pipeline(&run->spec, to_feed, run->f, err, sizeof err) < 0) {
		log_info("transcode %s: %s", run->spec.path, err);
		why = err;
	} else if (run->spec.exact) {
		/* An announced length is kept to the byte (OpenSubsonic's estimateContentLength):
		 * an encode that came out short is padded with zeros, which MP3 and Ogg decoders
		 * pass over as data between frames or pages. The feed stops the padding at the
		 * length, or when the reader has gone. */
		static const unsigned char zeros[4096];

		while (http_feed_write(run->f, zeros, sizeof zeros) == 0)
			;
	}
	/* The slot first: a client that has seen its answer end (or its error) and asks again
	 * at once must find it free. */
	transcoder_release(run->t);
	http_feed_end(run->f, why);
	free(run);
	return NULL;
}

void transcoder_run(struct transcoder *t, const struct tc_spec *spec, struct http_feed *f)
{
	struct run *run = malloc(sizeof *run);
	pthread_attr_t attr;
	pthread_t th;
	int rc = -1;

	if (run) {
		run->t = t;
		run->spec = *spec;
		run->f = f;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		rc = pthread_create(&th, &attr, thread_main, run);
		pthread_attr_destroy(&attr);
	}
	if (rc != 0) {
		free(run);
		log_err("transcode: cannot start a thread");
		http_feed_end(f, "the server cannot start a transcode now");
		transcoder_release(t);
	}
}
