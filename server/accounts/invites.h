/* Invites to sign up when registration = invite: a code of 128 random bits (22 base62
 * characters) that the server keeps only as a hash, good for a number of sign-ups until it
 * expires. The code is shown once, when it is made. */
#ifndef SEGUE_INVITES_H
#define SEGUE_INVITES_H

#include <stdbool.h>

#include "base62.h"
#include "store/invites.h"
#include "store/store.h"

#define INVITE_CODE_LEN BASE62_ID_LEN
#define INVITE_USES_MAX 1000
#define INVITE_TTL_MAX (365 * 86400L)

/* A new invite good for uses sign-ups during ttl_s seconds: its code into code, its id
 * (store/invites.h) into id, its expiry (ms) into *expires_at. Returns 0, -1 on error. */
int invite_create(struct store *s, long ttl_s, int uses, char code[INVITE_CODE_LEN + 1],
                  char id[INVITE_ID_LEN + 1], long long *expires_at);

enum invite_result { INVITE_OK, INVITE_REFUSED, INVITE_ERROR };
/* Whether code could be used now (a sign-up checks this before its hash). */
enum invite_result invite_check(struct store *s, const char *code);
/* Takes one use of code (when the account is about to be made). */
enum invite_result invite_take(struct store *s, const char *code);
/* Gives back the use taken for a sign-up that then failed. */
void invite_give_back(struct store *s, const char *code);

#endif
