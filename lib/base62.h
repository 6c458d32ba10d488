/* Segue ids: 128-bit values written as exactly 22 base62 characters (0-9A-Za-z), most
 * significant digit first and zero-padded, so that ids sort and compare as strings. */
#ifndef SEGUE_BASE62_H
#define SEGUE_BASE62_H

#include <stdbool.h>
#include <stddef.h>

#define BASE62_ID_LEN 22

/* out must hold BASE62_ID_LEN + 1 bytes. */
void base62_encode128(const unsigned char in[16], char out[BASE62_ID_LEN + 1]);
/* Returns 0 and fills out, or -1 if s is not a valid id (wrong length, bad digit, overflow). */
int base62_decode128(const char *s, unsigned char out[16]);
bool base62_is_id(const char *s);
/* An id from the first 16 bytes of a BLAKE2b hash of the given bytes (stable, deterministic). */
void base62_id_from_bytes(const void *data, size_t len, char out[BASE62_ID_LEN + 1]);
/* A random id. */
void base62_id_random(char out[BASE62_ID_LEN + 1]);

#endif
