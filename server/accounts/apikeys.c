#include "config.h"
#include "accounts/apikeys.h"

#include <sodium.h>
#include <string.h>
#include <time.h>

#include "accounts/auth.h"
#include "base62.h"

static bool name_ok(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len >= APIKEY_NAME_MAX)
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

enum apikey_result apikey_create(struct store *s, const char *user_id, const char *name,
                                 struct apikey_made *out)
{
	unsigned char raw[32], hash[32];
	long long n;
	int rc;

	if (!name_ok(name))
		return APIKEY_BAD_NAME;
	/* Counted and added in one write transaction: servers sharing a database could each
	 * count 99 and add the hundredth. */
	if (store_begin(s) < 0)
		return APIKEY_ERROR;
	if ((n = store_apikey_count(s, user_id)) < 0)
		goto error;
	if (n >= APIKEY_MAX_PER_USER) {
		store_rollback(s);
		return APIKEY_TOO_MANY;
	}
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(out->key, sizeof out->key, raw, sizeof raw,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
	auth_hash_token(out->key, hash);
	base62_id_random(out->id);
	out->created_at = (long long)time(NULL);
	rc = store_apikey_insert(s, out->id, user_id, name, hash, out->created_at);
	/* 0 is a collision of 128 or 256 random bits: not worth a retry path. */
	if (rc != 1 || store_commit(s) < 0)
		goto error;
	return APIKEY_OK;
error:
	store_rollback(s);
	return APIKEY_ERROR;
}

int apikey_user(struct store *s, const char *key, struct user *u)
{
	unsigned char hash[32];

	/* Every key this server makes is 43 characters; nothing longer is worth a hash. */
	if (strlen(key) >= APIKEY_TEXT_MAX)
		return 0;
	auth_hash_token(key, hash);
	return store_apikey_user(s, hash, (long long)time(NULL), u);
}
