/* Waits that double with each attempt: a fixed-size table of counters by key, for whatever
 * must not be tried fast (logins, sign-ups). A key is a keyed BLAKE2b of its parts, so no one
 * can make two names collide on purpose. The table never grows: when three quarters of it are
 * in use, the entries that are forgotten go first, then those with the fewest attempts, so a
 * flood of one-off keys cannot push out the counter of a key under attack. */
#ifndef SEGUE_THROTTLE_H
#define SEGUE_THROTTLE_H

#include <sodium.h>
#include <stdint.h>

struct throttle_policy {
	uint32_t free;     /* attempts that wait for nothing */
	int64_t first_ms;  /* the wait after the last free one; each attempt after doubles it */
	int64_t max_ms;    /* the longest wait */
	int64_t forget_ms; /* a key quiet this long after its wait starts afresh */
};

struct throttle_entry {
	uint64_t key;      /* 0: a free slot */
	uint32_t count;    /* attempts counted since the key was last forgotten */
	int64_t until_ms;  /* no attempt before this */
	int64_t forget_ms; /* from this time the key counts from zero */
};

struct throttle {
	struct throttle_entry *table;
	uint32_t size; /* a power of two */
	uint32_t used;
	unsigned char secret[crypto_generichash_KEYBYTES];
};

/* size is rounded up to a power of two. Returns 0, -1 when memory runs out. */
int throttle_init(struct throttle *t, uint32_t size);
void throttle_free(struct throttle *t);
/* The key of (kind, a, b) in this table; kind keeps the domains of keys apart. */
uint64_t throttle_key(const struct throttle *t, const char *kind, const char *a, const char *b);
/* Milliseconds until key may try again (0: now). */
int64_t throttle_wait(struct throttle *t, uint64_t key, int64_t now_ms);
/* Counts an attempt of key, which sets its next wait under p. Returns the key's count. */
uint32_t throttle_count(struct throttle *t, uint64_t key, const struct throttle_policy *p, int64_t now_ms);
/* Starts key's current wait again from now: an attempt counted when it began may be known to
 * have failed only later (a password check), and the wait runs from the answer. */
void throttle_restart(struct throttle *t, uint64_t key, const struct throttle_policy *p, int64_t now_ms);
/* Takes back one attempt (one that turned out good), and the wait it brought if it brought
 * one. */
void throttle_uncount(struct throttle *t, uint64_t key, const struct throttle_policy *p);
/* Forgets every attempt of key. */
void throttle_clear(struct throttle *t, uint64_t key);

#endif
