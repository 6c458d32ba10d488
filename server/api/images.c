/* Pictures over HTTP. GET /images/{hash}/{size}.jpg serves the files the images module made,
 * like Spotify's image CDN: no credentials (an image URL is handed around freely), the path
 * derived from the name alone, immutable caching. GET and PUT /v1/playlists/{id}/images read
 * a playlist's picture and let its owner upload one, as the Web API has it: base64 JPEG in
 * the body, decoded and resized on a worker so the loop never waits on a codec. */
#include "config.h"
#include "api/handlers.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "images/images.h"
#include "library/playlists.h"
#include "log.h"
#include "server.h"
#include "store/images.h"

#define UPLOAD_MAX (256 * 1024) /* bytes of base64 body, as the Web API allows */

void h_image(struct req *r)
{
	const char *hash = r->params[0], *file = r->params[1];
	char path[1400], etag[64], name[16];
	struct stat st;
	int size = 0, fd;

	for (int i = 0; i < IMAGES_NSIZES; i++) {
		snprintf(name, sizeof name, "%d.jpg", images_sizes[i]);
		if (!strcmp(file, name))
			size = images_sizes[i];
	}
	if (!size || images_path(r->srv->images_dir, hash, size, path, sizeof path) < 0) {
		reply_error(r, 404, "no such image");
		return;
	}
	if ((fd = api_open_file(r, path, "image", &st)) < 0)
		return;
	/* The name is the source's hash and the size says which version: together they name
	 * the bytes for good. */
	snprintf(etag, sizeof etag, "\"%s-%d\"", hash, size);
	api_send_file(r, fd, &st, etag, "image/jpeg");
}

json_t *api_playlist_images(struct req *r, const char *id)
{
	char base[512], hash[STORE_IMAGE_MAX];
	bool custom;

	req_base_url(r, base, sizeof base);
	return images_json(base, store_playlist_image(&r->srv->store, id, hash, &custom) > 0 ? hash : NULL);
}

/* An upload, resized on a worker: the source may be a large JPEG that takes a while to
 * decode. */
struct upload_job {
	struct job job;
	const char *images_dir; /* the server's, which outlives the job */
	char playlist[BASE62_ID_LEN + 1];
	char hash[IMAGES_HASH_LEN + 1];
	char err[256];
	int rc;
	size_t len;
	unsigned char bytes[];
};

static void upload_work(struct job *j)
{
	struct upload_job *u = (struct upload_job *)j;

	u->rc = images_put(u->images_dir, u->bytes, u->len, u->hash, u->err, sizeof u->err);
}

static void upload_done(struct req *r, struct job *j)
{
	struct upload_job *u = (struct upload_job *)j;

	if (u->rc < 0) {
		reply_error(r, 400, "the image cannot be used: %s", u->err);
		return;
	}
	/* The playlist may have gone while the picture was made. */
	switch (store_playlist_image_set(&r->srv->store, u->playlist, u->hash, true)) {
	case 1:
		reply_empty(r, 202);
		break;
	case 0:
		reply_error(r, 404, "no playlist with id %s", u->playlist);
		break;
	default:
		reply_error(r, 500, "the playlist's image could not be stored");
		break;
	}
}

static void upload(struct req *r, const struct playlist *p)
{
	struct upload_job *u;
	size_t len;
	const char *end;

	if (r->content_type[0] && strncasecmp(r->content_type, "image/jpeg", 10)) {
		reply_error(r, 400, "the body must be base64-encoded JPEG data (Content-Type: image/jpeg)");
		return;
	}
	if (r->body.len > UPLOAD_MAX) {
		reply_error(r, 413, "the image is too large: at most %d bytes of base64", UPLOAD_MAX);
		return;
	}
	if (!r->body.len) {
		reply_error(r, 400, "the body must be base64-encoded JPEG data; it is empty");
		return;
	}
	if (!(u = calloc(1, sizeof *u + r->body.len))) {
		reply_error(r, 500, "out of memory");
		return;
	}
	if (sodium_base642bin(u->bytes, r->body.len, r->body.p, r->body.len, " \t\r\n", &len, &end,
	                      sodium_base64_VARIANT_ORIGINAL) < 0 || end != r->body.p + r->body.len) {
		reply_error(r, 400, "the body is not base64 (the standard alphabet, with padding)");
		goto fail;
	}
	if (!images_is_jpeg(u->bytes, len)) {
		reply_error(r, 400, "the image must be a JPEG");
		goto fail;
	}
	u->len = len;
	u->images_dir = r->srv->images_dir;
	snprintf(u->playlist, sizeof u->playlist, "%s", p->id);
	u->job.work = upload_work;
	u->job.done = upload_done;
	jobs_submit(&r->srv->jobs, &u->job, r);
	return;
fail:
	free(u);
}

void h_playlist_images(struct req *r)
{
	const char *id = r->params[0];
	struct playlist p;
	enum pl_access have = PL_NONE;
	int rc;

	if (!api_check_id(r, id, "playlist"))
		return;
	if ((rc = playlist_load(&r->srv->store, id, &p)) < 0) {
		reply_error(r, 500, "database error");
		return;
	}
	if (rc == 0)
		have = playlist_access(&r->srv->store, &p, r->user.id);
	if (have == PL_NONE) {
		reply_error(r, 404, "no playlist with id %s", id);
		return;
	}
	if (r->method != M_PUT) {
		reply_json(r, 200, api_playlist_images(r, id));
		return;
	}
	if (strcasecmp(p.owner, r->user.id)) {
		reply_error(r, 403, "only the owner can change a playlist's image");
		return;
	}
	upload(r, &p);
}
