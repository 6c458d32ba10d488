/* GET /audio/{id}/{quality}.ogg: the signed audio stream; and how a file is sent, for it and
 * for pictures (api/images.c). The signature is the only
 * credential (players cannot send bearer tokens), so it is checked before the file is even
 * opened; a refused request costs one MAC. The body goes out from server/http/http.c in slices read with
 * pread, so the service loop never waits on disk for long or on a client at all. */
#include "config.h"
#include "api/handlers.h"

#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audio/audio.h"
#include "log.h"
#include "catalog/media.h"
#include "decimal.h"
#include "http/file.h"
#include "server.h"
#include "store/catalog.h"
#include "strput.h"

static void refuse(struct req *r, const char *why)
{
	r->srv->metrics.stream_refusals++;
	reply_error(r, 403, "%s", why);
}

void h_audio(struct req *r)
{
	struct server *srv = r->srv;
	const char *id = r->params[0], *file = r->params[1];
	const char *exp_s = req_arg(r, "exp"), *uid = req_arg(r, "uid");
	const char *kid = req_arg(r, "kid"), *sig = req_arg(r, "sig");
	char qname[16], path[1300], signed_path[128], etag[96];
	long long exp;
	enum sign_result check;
	struct stat st;
	struct strput sp;
	int q, fd;
	size_t flen = strlen(file);

	/* Only "<quality>.ogg" names exist; anything else (dots, slashes, encodings) is 404. */
	if (flen < 5 || flen - 4 >= sizeof qname || strcmp(file + flen - 4, ".ogg") != 0) {
		reply_error(r, 404, "no such audio file");
		return;
	}
	memcpy(qname, file, flen - 4);
	qname[flen - 4] = '\0';
	q = quality_from_name(qname);
	if (q < 0 || media_path(srv->media_dir, id, q, path, sizeof path) < 0) {
		reply_error(r, 404, "no such audio file");
		return;
	}
	if (!exp_s || !uid || !kid || !sig) {
		refuse(r, "the link is not signed (exp, uid, kid and sig are required)");
		return;
	}
	/* Digits as links carry them, nothing else (a sign, blanks): one signed link, one spelling. */
	if (!decimal_parse(exp_s, &exp)) {
		refuse(r, "the link's expiry is malformed");
		return;
	}
	/* (the strings of every request are put together by hand: lib/strput.h) */
	strput_init(&sp, signed_path, sizeof signed_path);
	strput_lit(&sp, "/audio/");
	strput_s(&sp, id);
	strput_lit(&sp, "/");
	strput_s(&sp, qname);
	strput_lit(&sp, ".ogg");
	if (!strput_ok(&sp)) {
		reply_error(r, 404, "no such audio file");
		return;
	}
	keyring_refresh(&srv->keys, time(NULL));
	check = sign_verify(&srv->keys, signed_path, exp, uid, kid, sig, time(NULL));
	/* Another instance over the same database may have rotated the keys this second. */
	if (check == SIGN_UNKNOWN_KEY && keyring_reread(&srv->keys, time(NULL)))
		check = sign_verify(&srv->keys, signed_path, exp, uid, kid, sig, time(NULL));
	if (check != SIGN_OK) {
		refuse(r, sign_result_str(check));
		return;
	}
	/* A link signed before its track was withdrawn does not outlive the withdrawal. */
	switch (store_track_withdrawn(&srv->store, id)) {
	case -1:
		reply_error(r, 500, "database error");
		return;
	case 1:
		reply_error(r, 410, "this track is unavailable: its source file is no longer in the library");
		return;
	}
	if ((fd = api_open_file(r, path, "audio file", &st)) < 0)
		return;
	media_etag(id, q, &st, etag, sizeof etag); /* (an id and a quality name fit) */
	api_send_file(r, fd, &st, etag, "audio/ogg");
	if (r->streaming)
		srv->metrics.streams_started++;
}

int api_open_file(struct req *r, const char *path, const char *what, struct stat *st)
{
	return http_open_file(r, path, what, st);
}

void api_send_file(struct req *r, int fd, const struct stat *st, const char *etag, const char *ctype)
{
	http_send_file(r, fd, st, etag, ctype);
}
