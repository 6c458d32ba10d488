#include "config.h"
#include "strput.h"

#include <string.h>

void strput_init(struct strput *s, char *p, size_t cap)
{
	s->p = p;
	s->cap = cap;
	s->len = 0;
	s->over = false;
	p[0] = '\0';
}

void strput_s(struct strput *s, const char *t)
{
	strput_n(s, t, strlen(t));
}

void strput_ll(struct strput *s, long long v)
{
	char d[21];
	size_t i = sizeof d;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	do {
		d[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		d[--i] = '-';
	strput_n(s, d + i, sizeof d - i);
}

void strput_hex(struct strput *s, unsigned long long v)
{
	char d[16];
	size_t i = sizeof d;

	do {
		d[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	strput_n(s, d + i, sizeof d - i);
}
