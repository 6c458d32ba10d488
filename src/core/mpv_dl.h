/* libmpv loaded on first use (see mpv_dl.c): the player calls the ordinary client API. */
#ifndef SEGUE_MPV_DL_H
#define SEGUE_MPV_DL_H

/* NULL once libmpv is loaded, else why it could not be. Loads it on the first call. */
const char *mpv_dl_error(void);

#endif
