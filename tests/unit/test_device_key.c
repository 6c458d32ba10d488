/* The device key made by several download threads at once: every one gets the same key, none
 * finds it half-written ("damaged"), and it is private (0600). */
#include "config.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "offline.h"
#include "tap.h"

#define ROUNDS 100
#define THREADS 4

static char dir[64];
static pthread_barrier_t start;
static unsigned char keys[THREADS][VAULT_KEY_BYTES];
static int failed[THREADS];

static void *make(void *arg)
{
	long i = (long)arg;

	pthread_barrier_wait(&start);
	failed[i] = offline_device_key(dir, keys[i]) != SEG_OK;
	return NULL;
}

int main(void)
{
	char root[] = "/tmp/segue-devkey-XXXXXX", path[128], cmd[160];
	int torn = 0, differ = 0;
	struct stat st;

	if (sodium_init() < 0 || !mkdtemp(root))
		return 99;
	for (int r = 0; r < ROUNDS; r++) {
		pthread_t t[THREADS];

		snprintf(dir, sizeof dir, "%s/%d", root, r);
		pthread_barrier_init(&start, NULL, THREADS);
		for (long i = 0; i < THREADS; i++)
			pthread_create(&t[i], NULL, make, (void *)i);
		for (int i = 0; i < THREADS; i++) {
			pthread_join(t[i], NULL);
			torn += failed[i];
			differ += memcmp(keys[i], keys[0], VAULT_KEY_BYTES) != 0;
		}
		pthread_barrier_destroy(&start);
	}
	is_int(torn, 0, "%d threads making the key at once, %d times: none finds it damaged", THREADS, ROUNDS);
	is_int(differ, 0, "and all get the same key");
	snprintf(path, sizeof path, "%s/0/offline/device.key", root);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_size == VAULT_KEY_BYTES,
	   "the key file is 0600 and whole");
	unsigned char again[VAULT_KEY_BYTES];
	snprintf(dir, sizeof dir, "%s/%d", root, ROUNDS - 1);
	ok(offline_device_key(dir, again) == SEG_OK && !memcmp(again, keys[0], VAULT_KEY_BYTES),
	   "read again later, it is the same");
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	if (system(cmd) != 0)
		return 99;
	return done();
}
