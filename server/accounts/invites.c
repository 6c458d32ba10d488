#include "config.h"
#include "accounts/invites.h"

#include <sodium.h>
#include <string.h>

/* A code that is not 22 base62 characters is refused before the store is asked. */
static bool hash_code(const char *code, unsigned char out[32])
{
	if (!code || !base62_is_id(code))
		return false;
	crypto_generichash(out, 32, (const unsigned char *)code, strlen(code), NULL, 0);
	return true;
}

int invite_create(struct store *s, long ttl_s, int uses, char code[INVITE_CODE_LEN + 1],
                  char id[INVITE_ID_LEN + 1], long long *expires_at)
{
	unsigned char raw[16], hash[32];
	long long now = store_now_ms();

	randombytes_buf(raw, sizeof raw);
	base62_encode128(raw, code);
	sodium_memzero(raw, sizeof raw);
	hash_code(code, hash);
	sodium_bin2hex(id, INVITE_ID_LEN + 1, hash, INVITE_ID_LEN / 2);
	*expires_at = now + ttl_s * 1000LL;
	return store_invite_insert(s, hash, now, *expires_at, uses);
}

static enum invite_result result(int rc)
{
	return rc > 0 ? INVITE_OK : rc == 0 ? INVITE_REFUSED : INVITE_ERROR;
}

enum invite_result invite_check(struct store *s, const char *code)
{
	unsigned char hash[32];

	if (!hash_code(code, hash))
		return INVITE_REFUSED;
	return result(store_invite_usable(s, hash, store_now_ms()));
}

enum invite_result invite_take(struct store *s, const char *code)
{
	unsigned char hash[32];

	if (!hash_code(code, hash))
		return INVITE_REFUSED;
	return result(store_invite_take(s, hash, store_now_ms()));
}

void invite_give_back(struct store *s, const char *code)
{
	unsigned char hash[32];

	if (hash_code(code, hash))
		store_invite_give_back(s, hash);
}
