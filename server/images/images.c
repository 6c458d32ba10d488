/* Pictures stored by content. See images/images.h. Files are written under a temporary name,
 * synced and renamed into place, so a reader sees a whole file or none; two writers of the
 * same picture write the same bytes, and the last rename wins. */
#include "config.h"
#include "images/images.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/frame.h>
#include <libavutil/mem.h>

#include "fileio.h"
#include "images/square.h"

const int images_sizes[IMAGES_NSIZES] = { 640, 300, 64 };

#define MOSAIC_SIDE 640
#define MOSAIC_TILES 4

bool images_is_jpeg(const void *bytes, size_t len)
{
	return picture_sniff(bytes, len) == PICTURE_JPEG;
}

bool images_hash_valid(const char *hash)
{
	size_t i;

	if (!hash)
		return false;
	for (i = 0; hash[i]; i++)
		if (i >= IMAGES_HASH_LEN || !((hash[i] >= '0' && hash[i] <= '9') || (hash[i] >= 'a' && hash[i] <= 'f')))
			return false;
	return i == IMAGES_HASH_LEN;
}

static bool size_valid(int size)
{
	for (int i = 0; i < IMAGES_NSIZES; i++)
		if (images_sizes[i] == size)
			return true;
	return false;
}

static int folder(const char *images_dir, const char *hash, char *out, size_t len)
{
	int n = snprintf(out, len, "%s/%.2s/%s", images_dir, hash, hash);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int images_path(const char *images_dir, const char *hash, int size, char *out, size_t len)
{
	int n;

	if (!images_hash_valid(hash) || !size_valid(size))
		return -1;
	n = snprintf(out, len, "%s/%.2s/%s/%d.jpg", images_dir, hash, hash, size);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static void hash_of(const void *bytes, size_t len, char hash[IMAGES_HASH_LEN + 1])
{
	unsigned char h[IMAGES_HASH_LEN / 2];

	crypto_generichash(h, sizeof h, bytes, len, NULL, 0);
	sodium_bin2hex(hash, IMAGES_HASH_LEN + 1, h, sizeof h);
}

/* Whether every version of hash is in place: then nothing needs decoding. */
static bool complete(const char *images_dir, const char *hash)
{
	char path[1400];
	struct stat st;

	for (int i = 0; i < IMAGES_NSIZES; i++)
		if (images_path(images_dir, hash, images_sizes[i], path, sizeof path) < 0 ||
		    stat(path, &st) < 0 || !S_ISREG(st.st_mode) || !st.st_size)
			return false;
	return true;
}

static int mkdirs(const char *path)
{
	char tmp[1400];

	if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
		return -1;
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	return mkdir(tmp, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

/* dir/name, whole or not at all. */
static int write_file(const char *dir, const char *name, const unsigned char *b, size_t len,
                      char *err, size_t errlen)
{
	char tmp[1500], path[1500];
	int fd;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", dir, name);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		goto fail;
	if (fd_write_all(fd, b, len) < 0)
		goto fail_fd;
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0)
		goto fail_fd;
	if (close(fd) < 0) {
		fd = -1;
		goto fail_fd;
	}
	if (rename(tmp, path) < 0) {
		fd = -1;
		goto fail_fd;
	}
	return 0;
fail_fd:
	snprintf(err, errlen, "%s: %s", path, strerror(errno ? errno : EIO));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
fail:
	snprintf(err, errlen, "%s: %s", path, strerror(errno));
	return -1;
}

static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd); /* the renames themselves: losing them loses nothing but work */
		close(fd);
	}
}

/* Every version of the decoded picture src, stored as hash. */
static int store_versions(const char *images_dir, const char *hash, const AVFrame *src,
                          char *err, size_t errlen)
{
	char dir[1400], name[16];

	if (folder(images_dir, hash, dir, sizeof dir) < 0 || mkdirs(dir) < 0) {
		snprintf(err, errlen, "cannot create %s/%.2s/%s: %s", images_dir, hash, hash, strerror(errno));
		return -1;
	}
	for (int i = 0; i < IMAGES_NSIZES; i++) {
		unsigned char *jpeg;
		size_t len;
		int rc;

		if (picture_square_jpeg(src, images_sizes[i], &jpeg, &len, err, errlen) < 0)
			return -1;
		snprintf(name, sizeof name, "%d.jpg", images_sizes[i]);
		rc = write_file(dir, name, jpeg, len, err, errlen);
		av_free(jpeg);
		if (rc < 0)
			return -1;
	}
	sync_dir(dir);
	return 0;
}

int images_put(const char *images_dir, const void *bytes, size_t len, char hash[IMAGES_HASH_LEN + 1],
               char *err, size_t errlen)
{
	AVFrame *f;
	int rc;

	hash[0] = '\0';
	if (len > (size_t)IMAGES_MAX_BYTES) {
		snprintf(err, errlen, "over %ld MiB (%zu bytes)", IMAGES_MAX_BYTES >> 20, len);
		return -1;
	}
	if (!len) {
		snprintf(err, errlen, "the picture is empty");
		return -1;
	}
	hash_of(bytes, len, hash);
	if (complete(images_dir, hash))
		return 0;
	if (!(f = picture_decode(bytes, len, err, errlen))) {
		hash[0] = '\0';
		return -1;
	}
	rc = store_versions(images_dir, hash, f, err, errlen);
	av_frame_free(&f);
	if (rc < 0)
		hash[0] = '\0';
	return rc;
}

/* Reads path whole, refusing it unread when it is over max bytes. */
static int read_file(const char *path, long max, unsigned char **out, size_t *len, char *err, size_t errlen)
{
	switch (file_read_all(path, (size_t)max, out, len)) {
	case FILE_READ_OK:
		return 0;
	case FILE_READ_NOT_REGULAR:
		snprintf(err, errlen, "not a regular file");
		return -1;
	case FILE_READ_TOO_BIG:
		snprintf(err, errlen, "over %ld MiB (%zu bytes)", max >> 20, *len);
		return -1;
	default:
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
}

int images_put_file(const char *images_dir, const char *path, char hash[IMAGES_HASH_LEN + 1],
                    char *err, size_t errlen)
{
	unsigned char *b;
	size_t len;
	int rc;

	hash[0] = '\0';
	if (read_file(path, IMAGES_MAX_BYTES, &b, &len, err, errlen) < 0)
		return -1;
	rc = images_put(images_dir, b, len, hash, err, errlen);
	free(b);
	return rc;
}

/* Lays the 300 px version of tile i's picture into its quarter of the RGBA square. */
static int place_tile(const char *images_dir, const char *hash, int i, AVFrame *square,
                      char *err, size_t errlen)
{
	int side = MOSAIC_SIDE / 2, x0 = (i % 2) * side, y0 = (i / 2) * side;
	char path[1400], why[256];
	unsigned char *b;
	size_t len;
	AVFrame *f, *tile;
	int rc = -1;

	if (images_path(images_dir, hash, 300, path, sizeof path) < 0 ||
	    read_file(path, IMAGES_MAX_BYTES, &b, &len, why, sizeof why) < 0) {
		snprintf(err, errlen, "picture %s: %s", hash, images_hash_valid(hash) ? why : "not a picture's name");
		return -1;
	}
	f = picture_decode(b, len, why, sizeof why);
	free(b);
	if (!f) {
		snprintf(err, errlen, "picture %s: %s", hash, why);
		return -1;
	}
	if ((tile = av_frame_alloc()) && picture_scale_rgba(f, side, side, tile, err, errlen) == 0) {
		for (int y = 0; y < side; y++)
			memcpy(square->data[0] + (size_t)(y0 + y) * (size_t)square->linesize[0] + 4 * x0,
			       tile->data[0] + (size_t)y * (size_t)tile->linesize[0], 4 * (size_t)side);
		rc = 0;
	} else if (!tile) {
		snprintf(err, errlen, "out of memory making a mosaic");
	}
	av_frame_free(&tile);
	av_frame_free(&f);
	return rc;
}

int images_mosaic(const char *images_dir, const char *const hashes[], int n,
                  char out[IMAGES_HASH_LEN + 1], char *err, size_t errlen)
{
	const char *pick[MOSAIC_TILES];
	char names[MOSAIC_TILES * IMAGES_HASH_LEN + 1] = "";
	AVFrame *square = NULL;
	int k = 0, rc = -1;

	out[0] = '\0';
	for (int i = 0; i < n && k < MOSAIC_TILES; i++) {
		bool seen = false;

		if (!hashes[i] || !hashes[i][0])
			continue;
		for (int j = 0; j < k; j++)
			seen |= !strcmp(pick[j], hashes[i]);
		if (!seen)
			pick[k++] = hashes[i];
	}
	if (k == 0)
		return 0;
	if (k < MOSAIC_TILES) {
		if (!images_hash_valid(pick[0])) {
			snprintf(err, errlen, "\"%.40s\" is not a picture's name", pick[0]);
			return -1;
		}
		snprintf(out, IMAGES_HASH_LEN + 1, "%s", pick[0]);
		return 0;
	}
	for (int i = 0; i < k; i++)
		strcat(names, images_hash_valid(pick[i]) ? pick[i] : "-");
	hash_of(names, strlen(names), out);
	if (complete(images_dir, out))
		return 0;
	if (!(square = av_frame_alloc())) {
		snprintf(err, errlen, "out of memory making a mosaic");
		goto out;
	}
	square->format = AV_PIX_FMT_RGBA;
	square->width = square->height = MOSAIC_SIDE;
	if (av_frame_get_buffer(square, 0) < 0) {
		snprintf(err, errlen, "out of memory making a mosaic");
		goto out;
	}
	for (int i = 0; i < k; i++)
		if (place_tile(images_dir, pick[i], i, square, err, errlen) < 0)
			goto out;
	rc = store_versions(images_dir, out, square, err, errlen);
out:
	av_frame_free(&square);
	if (rc < 0)
		out[0] = '\0';
	return rc;
}

json_t *images_json(const char *base_url, const char *hash)
{
	json_t *a = json_array();

	if (!hash || !hash[0])
		return a;
	for (int i = 0; i < IMAGES_NSIZES; i++)
		json_array_append_new(a, json_pack("{s:o,s:i,s:i}", "url",
		                      json_sprintf("%s/images/%s/%d.jpg", base_url, hash, images_sizes[i]),
		                      "height", images_sizes[i], "width", images_sizes[i]));
	return a;
}
