/* Trusted reverse proxies and X-Forwarded-For (http/proxies.h). */
#include "config.h"
#include "http/proxies.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* An address as family and bytes; an IPv4-mapped IPv6 address is IPv4. */
static bool parse_addr(const char *s, int *family, unsigned char addr[16])
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, addr) != 1)
		return false;
	if (!memcmp(addr, mapped, sizeof mapped)) {
		memmove(addr, addr + 12, 4);
		*family = AF_INET;
	} else {
		*family = AF_INET6;
	}
	return true;
}

int proxies_parse(struct proxies *p, const char *text, char *err, size_t errlen)
{
	const char *s = text ? text : "";

	memset(p, 0, sizeof *p);
	while (*s) {
		char item[80], *slash;
		size_t n = strcspn(s, ", \t");
		int max;

		if (!n) {
			s++;
			continue;
		}
		if (n >= sizeof item || p->n == PROXIES_MAX) {
			snprintf(err, errlen, "trusted_proxies: %s", n >= sizeof item ? "an entry too long" :
			         "more than 32 entries");
			return -1;
		}
		memcpy(item, s, n);
		item[n] = '\0';
		s += n;
		slash = strchr(item, '/');
		if (slash)
			*slash = '\0';
		if (!parse_addr(item, &p->net[p->n].family, p->net[p->n].addr))
			goto bad;
		max = p->net[p->n].family == AF_INET ? 32 : 128;
		p->net[p->n].bits = max;
		if (slash) {
			char *end;
			long bits = strtol(slash + 1, &end, 10);

			if (end == slash + 1 || *end || bits < 0 || bits > max)
				goto bad;
			p->net[p->n].bits = (int)bits;
		}
		p->n++;
		continue;
bad:
		if (slash)
			*slash = '/';
		snprintf(err, errlen, "trusted_proxies: %s is not an address or network", item);
		return -1;
	}
	return 0;
}

static bool in_net(const unsigned char *a, const unsigned char *net, int bits)
{
	int whole = bits / 8, rest = bits % 8;

	if (memcmp(a, net, (size_t)whole))
		return false;
	return !rest || ((a[whole] ^ net[whole]) & (0xff << (8 - rest)) & 0xff) == 0;
}

bool proxies_trusted(const struct proxies *p, const char *addr)
{
	unsigned char a[16];
	int family;

	if (!p || !p->n || !parse_addr(addr, &family, a))
		return false;
	for (int i = 0; i < p->n; i++)
		if (p->net[i].family == family && in_net(a, p->net[i].addr, p->net[i].bits))
			return true;
	return false;
}

void proxies_client(const struct proxies *p, const char *peer, const char *xff, char *out,
                    size_t len)
{
	const char *end;

	snprintf(out, len, "%s", peer);
	if (!xff || !proxies_trusted(p, peer))
		return;
	/* From the right: each hop a trusted proxy added, until the first that is not one. */
	end = xff + strlen(xff);
	while (end > xff) {
		const char *start = end;
		char item[64];
		unsigned char a[16];
		int family;
		size_t n;

		while (start > xff && start[-1] != ',')
			start--;
		while (start < end && (*start == ' ' || *start == '\t'))
			start++;
		n = (size_t)(end - start);
		while (n && (start[n - 1] == ' ' || start[n - 1] == '\t'))
			n--;
		if (!n || n >= sizeof item)
			return;
		memcpy(item, start, n);
		item[n] = '\0';
		if (!parse_addr(item, &family, a))
			return;
		snprintf(out, len, "%s", item);
		if (!proxies_trusted(p, item))
			return;
		end = start;
		while (end > xff && end[-1] != ',')
			end--;
		if (end > xff)
			end--; /* the comma */
	}
}
