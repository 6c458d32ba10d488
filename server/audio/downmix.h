/* The stereo downmix of a master with 3 to 8 channels. Centre and surrounds enter at -3 dB,
 * LFE is dropped, and each side's weights sum to 1 so the mix cannot clip. The loudness
 * analysis runs on this mix, so the gain it computes is right for the stream. */
#ifndef SEGUE_AUDIO_DOWNMIX_H
#define SEGUE_AUDIO_DOWNMIX_H

#include <libavutil/channel_layout.h>

#define DOWNMIX_MAX_CHANNELS 8

/* Fills left[c] and right[c], the weights of channel c in each side, for 3..8 channels. The
 * channels' places come from layout when it names them all, else from the WAVE default
 * order for their number. */
void downmix_weights(const AVChannelLayout *layout, int channels, float *left, float *right);

#endif
