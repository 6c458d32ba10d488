/* lib/asciiset.h: sets written as ranges and characters hold exactly those codes, at the
 * edges of the two words too; and the Host check (http_host_ok) and URL-unreserved set
 * built on them hold what they held as hand-made numbers. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "asciiset.h"
#include "http/http_int.h"
#include "tap.h"

#define EDGES(w) (ASCIISET_RANGE(w, 0, 1) | ASCIISET_CHAR(w, '?') | ASCIISET_CHAR(w, '@') | \
	ASCIISET_RANGE(w, 126, 127))

/* Whether set holds exactly the codes of chars (and, with nul, code 0) among 0..255. */
static int exactly(const struct asciiset *set, const char *chars, int with_nul)
{
	for (int c = 0; c < 256; c++) {
		int want = c ? c < 128 && strchr(chars, c) != NULL : with_nul;

		if (asciiset_has(set, (unsigned char)c) != want) {
			printf("#   code %d: %s\n", c, want ? "missing" : "extra");
			return 0;
		}
	}
	return 1;
}

static const char UNRESERVED[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

int main(void)
{
	static const struct asciiset edges = ASCIISET_OF(EDGES);
	static const struct asciiset unres = ASCIISET_OF(ASCIISET_UNRESERVED_BITS);
	char host[sizeof UNRESERVED + 8], one[2] = "";
	int all_one = 1;

	ok(exactly(&edges, "\001?@~\177", 1), "ranges and characters at both words' edges (0, 1, 63, 64, 126, 127)");
	ok(exactly(&asciiset_unreserved, UNRESERVED, 0), "unreserved: A-Z a-z 0-9 - . _ ~ and nothing else");
	ok(unres.bits[0] == 0x03ff600000000000ULL && unres.bits[1] == 0x47fffffe87fffffeULL,
	   "the same bits as quick.c's hand-made set");
	ok(asciiset_all(&asciiset_unreserved, "") && asciiset_all(&asciiset_unreserved, "a-Z_9.~") &&
	   !asciiset_all(&asciiset_unreserved, "a b") && !asciiset_all(&asciiset_unreserved, "caf\xc3\xa9"),
	   "all: empty, a run of members, one not, bytes past ASCII");

	snprintf(host, sizeof host, "%s:[]%%", UNRESERVED);
	for (int c = 1; c < 256; c++) {
		int want = c < 128 && strchr(host, c) != NULL;

		one[0] = (char)c;
		if (http_host_ok(one) != want) {
			printf("#   Host byte %d: %s\n", c, want ? "refused" : "taken");
			all_one = 0;
		}
	}
	ok(all_one, "a Host is of A-Z a-z 0-9 - . _ ~ : [ ] %% only");
	ok(http_host_ok("[fe80::1%25eth0]:8080") && http_host_ok("music.example:443") &&
	   !http_host_ok("a/b") && !http_host_ok("a b") && http_host_ok(""),
	   "Hosts as they come");
	return done();
}
