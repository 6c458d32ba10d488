/* Every Subsonic endpoint, grouped by the file that holds it. Only server/api/routes.c uses
 * these; subsonic/subsonic.h says how to add one. */
#ifndef SEGUE_SUBSONIC_ENDPOINTS_H
#define SEGUE_SUBSONIC_ENDPOINTS_H

#include "subsonic/subsonic.h"

/* server/subsonic/system.c */
void sub_get_open_subsonic_extensions(struct sub_call *c);
void sub_ping(struct sub_call *c);
void sub_get_license(struct sub_call *c);
void sub_unknown(struct sub_call *c);

/* server/subsonic/media.c */
void sub_stream(struct sub_call *c);
void sub_download(struct sub_call *c);

#endif
