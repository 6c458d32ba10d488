/* Trusted proxies and X-Forwarded-For (server/http/proxies.c). */
#include "config.h"

#include <string.h>

#include "http/proxies.h"
#include "tap.h"

static const char *client(const struct proxies *p, const char *peer, const char *xff)
{
	static char out[64];

	proxies_client(p, peer, xff, out, sizeof out);
	return out;
}

int main(void)
{
	struct proxies p, none;
	char err[128];

	ok(proxies_parse(&none, "", err, sizeof err) == 0 && none.n == 0, "empty: none trusted");
	ok(proxies_parse(&p, "127.0.0.1, 10.0.0.0/8 fd00::/8", err, sizeof err) == 0 && p.n == 3,
	   "addresses and networks, by commas or spaces");
	ok(proxies_trusted(&p, "127.0.0.1") && proxies_trusted(&p, "10.200.3.4") &&
	   proxies_trusted(&p, "fd12::1") && proxies_trusted(&p, "::ffff:10.0.0.9"),
	   "an address, a v4 network, a v6 network, and v4 mapped into v6 are trusted");
	ok(!proxies_trusted(&p, "127.0.0.2") && !proxies_trusted(&p, "11.0.0.1") &&
	   !proxies_trusted(&p, "fe80::1") && !proxies_trusted(&p, "nonsense"),
	   "others are not");
	ok(proxies_parse(&none, "10.0.0.0/33", err, sizeof err) < 0 && strstr(err, "10.0.0.0/33"),
	   "a v4 prefix past 32 is refused, named");
	ok(proxies_parse(&none, "host.example", err, sizeof err) < 0, "a name is not an address");
	ok(proxies_parse(&none, "10.0.0.0/", err, sizeof err) < 0, "an empty prefix is refused");

	is_str(client(&p, "192.0.2.1", "203.0.113.5"), "192.0.2.1",
	       "an untrusted peer's header is not believed");
	is_str(client(&p, "127.0.0.1", NULL), "127.0.0.1", "a trusted peer without a header is itself");
	is_str(client(&p, "127.0.0.1", "203.0.113.5"), "203.0.113.5", "a trusted peer's client");
	is_str(client(&p, "127.0.0.1", "198.51.100.1, 203.0.113.5"), "203.0.113.5",
	       "the rightmost address: what came before it is the client's own word");
	is_str(client(&p, "127.0.0.1", "203.0.113.5 ,10.1.1.1,  10.2.2.2"), "203.0.113.5",
	       "trusted hops are walked back over");
	is_str(client(&p, "127.0.0.1", "10.1.1.1, 10.2.2.2"), "10.1.1.1",
	       "all trusted: the first hop");
	is_str(client(&p, "127.0.0.1", "203.0.113.5, garbage"), "127.0.0.1",
	       "a malformed last entry: the proxy's own address");
	is_str(client(&p, "127.0.0.1", "garbage, 10.1.1.1"), "10.1.1.1",
	       "a malformed entry behind a trusted hop: the last trusted hop");
	is_str(client(&p, "127.0.0.1", "2001:db8::7"), "2001:db8::7", "a v6 client");
	is_str(client(&p, "127.0.0.1", ""), "127.0.0.1", "an empty header: the proxy");
	return done();
}
