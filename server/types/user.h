/* A user as every layer sees one: who is asking (an authenticated request carries one), and
 * an account row. A value type with nothing behind it, so the store, the HTTP layer and the
 * accounts module can all speak of users without depending on each other. */
#ifndef SEGUE_USER_H
#define SEGUE_USER_H

#include <stdbool.h>

struct user {
	char id[72];
	char display_name[128];
	char country[4];
	bool premium;
	unsigned char token_hash[32]; /* of the access token that authenticated the request */
};

#endif
