#include "config.h"
#include "offline_stream.h"

#include <errno.h>
#include <limits.h>
#include <mpv/stream_cb.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define OFFERS 8 /* what plays, what comes next, and the fader's: a few are plenty */

static struct offer {
	char id[72];
	char path[PATH_MAX];
	unsigned char key[VAULT_KEY_BYTES];
	unsigned long long used;
	bool damaged;
} offers[OFFERS];
static unsigned long long clock_;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

struct open_stream {
	struct vault v;
	uint64_t pos;
	char id[72];
};

void offline_stream_offer(const char *id, const char *path, const unsigned char key[VAULT_KEY_BYTES])
{
	struct offer *o = &offers[0];

	pthread_mutex_lock(&lock);
	for (int i = 0; i < OFFERS; i++) {
		if (!strcmp(offers[i].id, id)) {
			o = &offers[i];
			break;
		}
		if (offers[i].used < o->used)
			o = &offers[i];
	}
	sodium_memzero(o, sizeof *o);
	snprintf(o->id, sizeof o->id, "%s", id);
	snprintf(o->path, sizeof o->path, "%s", path);
	memcpy(o->key, key, VAULT_KEY_BYTES);
	o->used = ++clock_;
	pthread_mutex_unlock(&lock);
}

bool offline_stream_damaged(const char *id)
{
	bool d = false;

	pthread_mutex_lock(&lock);
	for (int i = 0; i < OFFERS; i++)
		if (!strcmp(offers[i].id, id)) {
			d = offers[i].damaged;
			offers[i].damaged = false;
		}
	pthread_mutex_unlock(&lock);
	return d;
}

/* Whether id was already known damaged (mpv's demuxer probes a file a dozen times). */
static bool mark_damaged(const char *id)
{
	bool was = false;

	pthread_mutex_lock(&lock);
	for (int i = 0; i < OFFERS; i++)
		if (!strcmp(offers[i].id, id)) {
			was |= offers[i].damaged;
			offers[i].damaged = true;
		}
	pthread_mutex_unlock(&lock);
	return was;
}

static int64_t s_read(void *cookie, char *buf, uint64_t n)
{
	struct open_stream *s = cookie;
	ssize_t got = vault_read(&s->v, s->pos, buf, n);

	if (got < 0) {
		if (errno == EBADMSG && !mark_damaged(s->id))
			log_warn("offline: %s: chunk %lld fails its check; it will be fetched again", s->id,
			         (long long)s->v.bad_chunk);
		return -1;
	}
	s->pos += (uint64_t)got;
	return got;
}

static int64_t s_seek(void *cookie, int64_t off)
{
	struct open_stream *s = cookie;

	if (off < 0 || (uint64_t)off > s->v.size)
		return MPV_ERROR_GENERIC;
	s->pos = (uint64_t)off;
	return off;
}

static int64_t s_size(void *cookie)
{
	return (int64_t)((struct open_stream *)cookie)->v.size;
}

static void s_close(void *cookie)
{
	struct open_stream *s = cookie;

	vault_close(&s->v);
	free(s);
}

static int s_open(void *ud, char *uri, mpv_stream_cb_info *info)
{
	const char *id = uri + strlen(OFFLINE_SCHEME);
	struct open_stream *s;
	unsigned char key[VAULT_KEY_BYTES];
	char path[PATH_MAX] = "";
	int rc;

	(void)ud;
	if (strncmp(uri, OFFLINE_SCHEME, strlen(OFFLINE_SCHEME)))
		return MPV_ERROR_LOADING_FAILED;
	pthread_mutex_lock(&lock);
	for (int i = 0; i < OFFERS; i++)
		if (offers[i].id[0] && !strcmp(offers[i].id, id)) {
			snprintf(path, sizeof path, "%s", offers[i].path);
			memcpy(key, offers[i].key, sizeof key);
			offers[i].used = ++clock_;
		}
	pthread_mutex_unlock(&lock);
	if (!path[0] || !(s = calloc(1, sizeof *s)))
		return MPV_ERROR_LOADING_FAILED;
	rc = vault_open_read(&s->v, path, key, false);
	sodium_memzero(key, sizeof key);
	if (rc < 0) {
		log_warn("offline: %s: %s", path, strerror(errno));
		free(s);
		return MPV_ERROR_LOADING_FAILED;
	}
	snprintf(s->id, sizeof s->id, "%s", id);
	info->cookie = s;
	info->read_fn = s_read;
	info->seek_fn = s_seek;
	info->size_fn = s_size;
	info->close_fn = s_close;
	return 0;
}

int offline_stream_register(mpv_handle *h)
{
	return mpv_stream_cb_add_ro(h, "segue-offline", NULL, s_open);
}
