/* Who a Subsonic call is from. The specification's mechanisms, each to its own error:
 *   apiKey            the OpenSubsonic API-key extension (accounts/apikeys.h): 44 when
 *                     unknown or revoked; with u, p, t or s as well: 43;
 *   u, t and s        t = md5(password + s), the password being the user's separate
 *                     Subsonic password (accounts/subsonic_pw.h): 40 when wrong, 41 when the
 *                     user has none (or no such user: the two look alike);
 *   u and p           the Subsonic password itself, or "enc:" and its hex: 40 when wrong,
 *                     42 when the user has none;
 *   u with both t and p: 43; nothing: 10.
 * The legacy checks count against the login throttle as a sign-in does (accounts/guard.h),
 * so a wrong guess costs the same wait wherever it is made. */
#ifndef SEGUE_SUBSONIC_AUTH_H
#define SEGUE_SUBSONIC_AUTH_H

#include <stdbool.h>

#include "subsonic/subsonic.h"

/* True with c->r->user filled, or false after answering the error. */
bool sub_authenticate(struct sub_call *c);

#endif
