#include "config.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "accounts/sign.h"
#include "tap.h"

int main(void)
{
	char dir[] = "/tmp/segue-test-sign-XXXXXX", path[256], err[256];
	char kid[SIGN_KID_MAX], sig[SIGN_SIG_MAX], kid2[SIGN_KID_MAX], sig2[SIGN_SIG_MAX];
	struct keyring kr, other;
	struct stat st;
	time_t now = time(NULL);
	const char *p = "/audio/0000000000000000000001/normal.ogg";

	if (sodium_init() < 0)
		return 1;
	ok(mkdtemp(dir) != NULL, "temporary directory");
	ok(keyring_open(&kr, NULL, dir, err, sizeof err) == 0, "a new keyring is created (%s)", err);
	snprintf(path, sizeof path, "%s/signing.keys", dir);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "the key file has mode 0600");
	is_int(kr.nkeys, 1, "one key to start with");

	ok(sign_url(&kr, p, now + 60, "alice", kid, sig) == 0, "sign");
	ok(sign_verify(&kr, p, now + 60, "alice", kid, sig, now) == SIGN_OK, "a fresh signature verifies");
	ok(sign_verify(&kr, p, now + 61, "alice", kid, sig, now) == SIGN_BAD, "another expiry fails");
	ok(sign_verify(&kr, p, now + 60, "bob", kid, sig, now) == SIGN_BAD, "another user fails");
	ok(sign_verify(&kr, "/audio/0000000000000000000001/very_high.ogg", now + 60, "alice", kid, sig,
	               now) == SIGN_BAD, "another path fails");
	ok(sign_verify(&kr, p, now + 60, "alice", "nokey", sig, now) == SIGN_UNKNOWN_KEY, "an unknown kid fails");
	char bad[SIGN_SIG_MAX];
	strcpy(bad, sig);
	bad[3] = bad[3] == 'A' ? 'B' : 'A';
	ok(sign_verify(&kr, p, now + 60, "alice", kid, bad, now) == SIGN_BAD, "a flipped character fails");
	ok(sign_verify(&kr, p, now + 60, "alice", kid, "", now) == SIGN_BAD, "an empty signature fails");
	ok(sign_verify(&kr, p, now + 60, "alice", kid, "%%%", now) == SIGN_BAD, "garbage fails");
	ok(sign_verify(&kr, p, now + 60, "alice", kid, sig, now + 61) == SIGN_EXPIRED, "an expired link fails");
	/* Field separation: moving characters between path and user must not verify. */
	ok(sign_url(&kr, "/a", now + 60, "bc", kid2, sig2) == 0 &&
	   sign_verify(&kr, "/ab", now + 60, "c", kid2, sig2, now) == SIGN_BAD,
	   "fields cannot bleed into each other");

	ok(keyring_rotate(&kr, 3600, err, sizeof err) == 0, "rotate (%s)", err);
	is_int(kr.nkeys, 2, "two keys after rotating");
	ok(sign_verify(&kr, p, now + 60, "alice", kid, sig, now) == SIGN_OK,
	   "a link signed with the old key still verifies");
	ok(sign_url(&kr, p, now + 60, "alice", kid2, sig2) == 0 && strcmp(kid, kid2) != 0,
	   "the new key signs, under a new kid");
	ok(keyring_open(&other, NULL, dir, err, sizeof err) == 0 && other.nkeys == 2 &&
	   sign_verify(&other, p, now + 60, "alice", kid2, sig2, now) == SIGN_OK,
	   "another process reading the file verifies the new key");
	/* Retire: keys retired longer than keep_seconds ago are dropped. */
	kr.keys[1].created -= 7200;
	ok(keyring_rotate(&kr, 3600, err, sizeof err) == 0, "rotate again");
	ok(keyring_open(&other, NULL, dir, err, sizeof err) == 0, "reload");
	is_int(other.nkeys, 3, "the file's keys are re-read before rotating, so none is dropped early");
	/* Another instance rotates within the second this one last looked: a link under the new
	 * kid makes it read the ring again, once a second at most. */
	ok(keyring_rotate(&kr, 3600, err, sizeof err) == 0 &&
	   sign_url(&kr, p, now + 60, "alice", kid2, sig2) == 0, "a third key signs");
	keyring_refresh(&other, other.checked_at);
	is_int(sign_verify(&other, p, now + 60, "alice", kid2, sig2, now), SIGN_UNKNOWN_KEY,
	       "within the second, the other ring does not know it yet");
	ok(keyring_reread(&other, other.reread_at + 1) &&
	   sign_verify(&other, p, now + 60, "alice", kid2, sig2, now) == SIGN_OK,
	   "an unknown kid reads the ring again, and the link verifies");
	ok(!keyring_reread(&other, other.reread_at), "but not twice in one second");
	/* Signatures are spelled one way: the last character's spare bits are zero, and there
	 * are 43 characters. */
	ok(sign_url(&kr, p, now + 60, "alice", kid2, sig2) == 0, "sign for the spelling checks");
	strcpy(bad, sig2);
	{
		const char *b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		int v = (int)(strchr(b64, bad[42]) - b64);

		bad[42] = b64[v ^ 1]; /* a spare bit set: the same 32 bytes, another spelling */
	}
	ok(sign_verify(&kr, p, now + 60, "alice", kid2, bad, now) == SIGN_BAD,
	   "a non-canonical spelling fails");
	strcpy(bad, sig2);
	strcat(bad, "A");
	ok(sign_verify(&kr, p, now + 60, "alice", kid2, bad, now) == SIGN_BAD, "a 44th character fails");
	strcpy(bad, sig2);
	bad[42] = '\0';
	ok(sign_verify(&kr, p, now + 60, "alice", kid2, bad, now) == SIGN_BAD, "42 characters fail");
	strcpy(bad, sig2);
	bad[10] = '+';
	ok(sign_verify(&kr, p, now + 60, "alice", kid2, bad, now) == SIGN_BAD,
	   "a character of the other alphabet fails");
	{
		/* The decoder itself, against libsodium's encoder: random MACs decode to their bytes;
		 * at every position (the groups of four and the last three), each of the 256 byte
		 * values is refused exactly when it is not base64url, and the end (NUL) always is. */
		static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		unsigned char mac[32], back[32];
		char text[SIGN_SIG_MAX];
		int right = 0, wrong = 0;

		for (int k = 0; k < 200; k++) {
			randombytes_buf(mac, sizeof mac);
			sodium_bin2base64(text, sizeof text, mac, sizeof mac, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
			right += strlen(text) == 43 && sign_sig_decode(text, back) == 0 && !memcmp(back, mac, sizeof mac);
		}
		is_int(right, 200, "200 random MACs, as libsodium spells them, decode to their bytes");
		for (int i = 0; i < 43; i++)
			for (int b = 0; b < 256; b++) {
				bool valid = b && strchr(b64, b) &&
				             (i < 42 || ((strchr(b64, b) - b64) & 3) == 0); /* spare bits */

				strcpy(text, sig2);
				text[i] = (char)b;
				if ((sign_sig_decode(text, back) == 0) != valid)
					wrong++;
			}
		is_int(wrong, 0, "each byte at each position is taken exactly when base64url spells a MAC there");
		strcpy(text, sig2);
		strcat(text, "A");
		ok(sign_sig_decode(text, back) < 0 && sign_sig_decode("", back) < 0, "44 characters and none are refused");
	}
	/* The MAC is remembered between requests (accounts/signmemo.h): every check still
	 * compares, and a ring whose key changed under the same kid never answers from it. */
	for (int i = 0; i < 3; i++)
		ok(sign_verify(&kr, p, now + 60, "alice", kid2, sig2, now) == SIGN_OK,
		   "the same link verifies again (%d)", i);
	strcpy(bad, sig2);
	bad[5] = bad[5] == 'A' ? 'B' : 'A';
	ok(sign_verify(&kr, p, now + 60, "alice", kid2, bad, now) == SIGN_BAD,
	   "a flipped character fails after the link verified");
	/* 43 'A's decode to 32 zero bytes: never taken for a MAC, remembered or not. */
	ok(sign_verify(&kr, p, now + 60, "alice", kid2, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", now) == SIGN_BAD &&
	   sign_verify(&kr, p, now + 62, "alice", kid2, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", now) == SIGN_BAD,
	   "an all-zero signature fails, for remembered fields and for others");
	ok(sign_verify(&kr, p, now + 60, "bob", kid2, sig2, now) == SIGN_BAD &&
	   sign_verify(&kr, p, now + 59, "alice", kid2, sig2, now) == SIGN_BAD,
	   "another user or expiry fails after the link verified");
	{
		/* The same ring but for kid2's key: each key keeps its place (and address). */
		char text[4096], *line, *save = NULL, out[4096] = "";
		unsigned char key[SIGN_KEY_BYTES];
		char b64[sodium_base64_ENCODED_LEN(SIGN_KEY_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
		FILE *f = fopen(path, "r");
		size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
		int nkeys = kr.nkeys;

		if (f)
			fclose(f);
		text[n] = '\0';
		randombytes_buf(key, sizeof key);
		sodium_bin2base64(b64, sizeof b64, key, sizeof key, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			if (!strncmp(line, kid2, strlen(kid2)) && line[strlen(kid2)] == ' ')
				snprintf(out + strlen(out), sizeof out - strlen(out), "%s %lld %s\n", kid2,
				         (long long)now, b64);
			else
				snprintf(out + strlen(out), sizeof out - strlen(out), "%s\n", line);
		}
		f = fopen(path, "w");
		ok(f && fputs(out, f) >= 0 && fclose(f) == 0,
		   "the ring's file now holds another key under the same kid");
		ok(keyring_reread(&kr, kr.reread_at + 1) && kr.nkeys == nkeys, "the ring is read again");
		is_int(sign_verify(&kr, p, now + 60, "alice", kid2, sig2, now), SIGN_BAD,
		       "a link the old key signed no longer verifies (nothing answered from before)");
	}
	/* The MAC is HMAC-SHA256 of "path\0exp\0uid\0" under the signing key, whichever code
	 * computes it (accounts/sha256hw.h on a processor with SHA extensions, libsodium else):
	 * checked against libsodium's HMAC for messages that end in each place of a block. */
	{
		struct keyring fresh;
		int mismatches = 0;

		ok(keyring_open(&fresh, NULL, dir, err, sizeof err) == 0, "the ring read afresh");
		for (int n = 0; n < 300; n++) {
			char pth[200], uid[64], msg[300], want64[SIGN_SIG_MAX], kidn[SIGN_KID_MAX], got64[SIGN_SIG_MAX];
			unsigned char m[crypto_auth_hmacsha256_BYTES];
			long long e = (long long)now + n * 7919LL;
			int plen = 1 + n % 150, ulen = n % 40, len;

			memset(pth, 'a' + n % 26, (size_t)plen);
			pth[0] = '/';
			pth[plen] = '\0';
			memset(uid, 'A' + n % 26, (size_t)ulen);
			uid[ulen] = '\0';
			len = snprintf(msg, sizeof msg, "%s%c%lld%c%s%c", pth, 0, e, 0, uid, 0);
			crypto_auth_hmacsha256(m, (const unsigned char *)msg, (size_t)len,
			                       fresh.keys[fresh.nkeys - 1].key);
			sodium_bin2base64(want64, sizeof want64, m, sizeof m, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
			if (sign_url(&fresh, pth, e, uid, kidn, got64) != 0 || strcmp(got64, want64) ||
			    sign_verify(&fresh, pth, e, uid, kidn, want64, now) != SIGN_OK)
				mismatches++;
		}
		is_int(mismatches, 0, "300 MACs of 1 to 150-byte paths, as libsodium's HMAC-SHA256 gives them");
		keyring_wipe(&fresh);
	}
	chmod(path, 0644);
	ok(keyring_open(&other, NULL, dir, err, sizeof err) < 0, "a key file readable by others is refused");
	unlink(path);
	rmdir(dir);
	return done();
}
