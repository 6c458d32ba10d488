/* Invites to sign up, in the store: kept by the hash of their code (the caller hashes), each
 * with an expiry and a number of uses left. An invite's id is the first 8 hex digits of its
 * hash: enough to name it in a list, nothing to sign up with. */
#ifndef SEGUE_STORE_INVITES_H
#define SEGUE_STORE_INVITES_H

#include <stddef.h>

#include "store/store.h"

#define INVITE_ID_LEN 8

struct invite_row {
	char id[INVITE_ID_LEN + 1];
	long long created_at, expires_at; /* ms */
	int uses, uses_left;
};

/* Returns 0, -1 on error. */
int store_invite_insert(struct store *s, const unsigned char hash[32], long long created_at,
                        long long expires_at, int uses);
/* Whether the invite could be used at now: 1, 0 when unknown, used up or expired, -1. */
int store_invite_usable(struct store *s, const unsigned char hash[32], long long now);
/* Takes one use of it when it is usable at now: 1, 0 when it was not, -1 on error. */
int store_invite_take(struct store *s, const unsigned char hash[32], long long now);
/* Gives back a use taken for a sign-up that then failed. Returns 0, -1 on error. */
int store_invite_give_back(struct store *s, const unsigned char hash[32]);
/* Every invite, newest first: *out (the caller frees it) holds *n. Returns 0, -1. */
int store_invites_list(struct store *s, struct invite_row **out, size_t *n);
/* Deletes the invite whose id is id (any case). Returns 1, 0 when there is none, -1. */
int store_invite_delete(struct store *s, const char *id);

#endif
