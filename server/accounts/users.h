/* Accounts: names, argon2id password hashes, tier and country. A user's id is the name they
 * chose (as in Spotify's user ids), unique without regard to case. */
#ifndef SEGUE_USERS_H
#define SEGUE_USERS_H

#include <stdbool.h>
#include <stddef.h>

#include "types/user.h"
#include "store/store.h"

#define USER_NAME_MAX 64
#define PASSWORD_MIN 8
#define PASSWORD_MAX 1024

enum user_result { USER_OK, USER_EXISTS, USER_NOT_FOUND, USER_INVALID, USER_ERROR };

/* Checks a proposed name: 1–64 of [A-Za-z0-9._-], starting with a letter or digit. */
bool user_name_valid(const char *name);
bool country_valid(const char *cc); /* two upper-case letters */

/* The pieces of user_create, for callers that hash on another thread: checks, the slow
 * argon2id hash (~90 ms; any thread), and the insert (the store's thread). */
enum user_result user_check_new(const char *name, const char *password, const char *country,
                                char *err, size_t errlen);
int user_hash_password(const char *password, char out[128]);
enum user_result user_insert(struct store *s, const char *name, const char *hash, bool premium,
                             const char *country, char *err, size_t errlen);
/* The stored hash of name into hash (and u filled), or a fixed decoy hash when there is no
 * such user, so that checking a password costs the same either way. */
enum user_result user_password_hash(struct store *s, const char *name, struct user *u, char hash[128]);
/* Checks a password against a hash from user_password_hash (slow; any thread). */
bool user_password_ok(const char *hash, const char *password);

/* Creates a user. Hashing the password is deliberately slow (argon2id, interactive limits). */
enum user_result user_create(struct store *s, const char *name, const char *password,
                             bool premium, const char *country, char *err, size_t errlen);
/* Fills u (id, display_name, country, premium) for name. */
enum user_result user_get(struct store *s, const char *name, struct user *u);
enum user_result user_set(struct store *s, const char *name, const char *field,
                          const char *value, char *err, size_t errlen);
enum user_result user_delete(struct store *s, const char *name);

#endif
