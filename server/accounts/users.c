#include "config.h"
#include "accounts/users.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "store/accounts.h"

bool user_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > USER_NAME_MAX || !isalnum((unsigned char)name[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("._-", name[i]))
			return false;
	return true;
}

bool country_valid(const char *cc)
{
	return cc && strlen(cc) == 2 && isupper((unsigned char)cc[0]) && isupper((unsigned char)cc[1]);
}

static int hash_password(const char *pw, char out[crypto_pwhash_STRBYTES])
{
	return crypto_pwhash_str(out, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                         crypto_pwhash_MEMLIMIT_INTERACTIVE);
}

static const char *password_problem(const char *pw)
{
	size_t n = strlen(pw);

	if (n < PASSWORD_MIN)
		return "the password must have at least 8 characters";
	if (n > PASSWORD_MAX)
		return "the password is too long (at most 1024 bytes)";
	return NULL;
}

enum user_result user_check_new(const char *name, const char *password, const char *country,
                                char *err, size_t errlen)
{
	const char *why;

	if (!user_name_valid(name)) {
		snprintf(err, errlen, "the user name must be 1 to 64 letters, digits, '.', '_' or '-', "
		         "starting with a letter or digit");
		return USER_INVALID;
	}
	if (!country_valid(country)) {
		snprintf(err, errlen, "the country must be a two-letter ISO 3166 code such as US");
		return USER_INVALID;
	}
	if ((why = password_problem(password))) {
		snprintf(err, errlen, "%s", why);
		return USER_INVALID;
	}
	return USER_OK;
}

int user_hash_password(const char *password, char out[128])
{
	return hash_password(password, out);
}

enum user_result user_insert(struct store *s, const char *name, const char *hash, bool premium,
                             const char *country, char *err, size_t errlen)
{
	switch (store_user_insert(s, name, hash, premium, country, store_now_ms())) {
	case 1:
		return USER_OK;
	case 0:
		snprintf(err, errlen, "the name \"%s\" is taken", name);
		return USER_EXISTS;
	default:
		snprintf(err, errlen, "database error");
		return USER_ERROR;
	}
}

enum user_result user_create(struct store *s, const char *name, const char *password,
                             bool premium, const char *country, char *err, size_t errlen)
{
	char hash[crypto_pwhash_STRBYTES];
	enum user_result res = user_check_new(name, password, country, err, errlen);

	if (res != USER_OK)
		return res;
	if (hash_password(password, hash) != 0) {
		snprintf(err, errlen, "out of memory while hashing the password");
		return USER_ERROR;
	}
	res = user_insert(s, name, hash, premium, country, err, errlen);
	sodium_memzero(hash, sizeof hash);
	return res;
}

static enum user_result result_of(int found)
{
	return found > 0 ? USER_OK : found == 0 ? USER_NOT_FOUND : USER_ERROR;
}

enum user_result user_get(struct store *s, const char *name, struct user *u)
{
	return result_of(store_user_get(s, name, u, NULL));
}

enum user_result user_password_hash(struct store *s, const char *name, struct user *u, char hash[128])
{
	/* A fixed hash to verify against when the user does not exist, so that a missing name
	 * costs the same time as a wrong password. Made once, on the loop, before any worker. */
	static char decoy[crypto_pwhash_STRBYTES];
	int found;

	if (!decoy[0] && hash_password("segue-not-a-password", decoy) != 0)
		return USER_ERROR;
	if ((found = store_user_get(s, name, u, hash)) <= 0)
		snprintf(hash, 128, "%s", decoy);
	return result_of(found);
}

bool user_password_ok(const char *hash, const char *password)
{
	return strlen(password) <= PASSWORD_MAX &&
	       crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

enum user_result user_set(struct store *s, const char *name, const char *field,
                          const char *value, char *err, size_t errlen)
{
	char hash[crypto_pwhash_STRBYTES];
	enum user_field f;
	const char *why;
	int found;

	if (!strcmp(field, "tier")) {
		if (strcmp(value, "free") && strcmp(value, "premium")) {
			snprintf(err, errlen, "the tier is free or premium");
			return USER_INVALID;
		}
		f = USER_FIELD_TIER;
	} else if (!strcmp(field, "country")) {
		if (!country_valid(value)) {
			snprintf(err, errlen, "the country must be a two-letter ISO 3166 code such as US");
			return USER_INVALID;
		}
		f = USER_FIELD_COUNTRY;
	} else if (!strcmp(field, "display_name")) {
		if (!*value || strlen(value) > 100) {
			snprintf(err, errlen, "the display name must have 1 to 100 bytes");
			return USER_INVALID;
		}
		f = USER_FIELD_DISPLAY_NAME;
	} else if (!strcmp(field, "password")) {
		if ((why = password_problem(value))) {
			snprintf(err, errlen, "%s", why);
			return USER_INVALID;
		}
		if (hash_password(value, hash) != 0) {
			snprintf(err, errlen, "out of memory while hashing the password");
			return USER_ERROR;
		}
		value = hash;
		f = USER_FIELD_PW_HASH;
	} else {
		snprintf(err, errlen, "unknown field \"%s\" (tier, country, display_name or password)", field);
		return USER_INVALID;
	}
	found = store_user_update(s, name, f, value);
	sodium_memzero(hash, sizeof hash);
	if (found < 0) {
		snprintf(err, errlen, "database error");
		return USER_ERROR;
	}
	if (found == 0) {
		snprintf(err, errlen, "no user named \"%s\"", name);
		return USER_NOT_FOUND;
	}
	/* A changed password ends every session: tokens carry no claims, but a password change
	 * must lock out whoever knew the old one. */
	if (f == USER_FIELD_PW_HASH)
		store_token_revoke_user(s, name);
	return USER_OK;
}

enum user_result user_delete(struct store *s, const char *name)
{
	return result_of(store_user_delete(s, name));
}
