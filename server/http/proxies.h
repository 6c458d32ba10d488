/* Who the client is behind a reverse proxy: the trusted_proxies setting, a list of
 * addresses and networks (127.0.0.1, 10.0.0.0/8, fd00::/8) whose X-Forwarded-For is
 * believed. A request from any other peer is that peer, whatever it says in the header (a
 * client cannot pick the address its failed logins count against); one from a trusted
 * proxy is the rightmost address of X-Forwarded-For that is not itself a trusted proxy,
 * as nginx's real_ip_recursive reads it. */
#ifndef SEGUE_HTTP_PROXIES_H
#define SEGUE_HTTP_PROXIES_H

#include <stdbool.h>
#include <stddef.h>

#define PROXIES_MAX 32

struct proxies {
	int n;
	struct {
		int family; /* AF_INET or AF_INET6 */
		unsigned char addr[16];
		int bits;
	} net[PROXIES_MAX];
};

/* Reads text ("" or NULL: none trusted), separated by commas or spaces. 0, or -1 with err
 * naming the entry that is not an address or network. */
int proxies_parse(struct proxies *p, const char *text, char *err, size_t errlen);
bool proxies_trusted(const struct proxies *p, const char *addr);
/* The client's address into out: peer's own unless peer is trusted and xff (the header's
 * value, NULL when absent) names one; an address the header got wrong stops the walk there
 * (the last trusted hop stands). */
void proxies_client(const struct proxies *p, const char *peer, const char *xff, char *out,
                    size_t len);

#endif
