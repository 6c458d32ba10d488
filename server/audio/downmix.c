#include "config.h"
#include "audio/downmix.h"

/* Where a channel goes in a stereo mix: 'L' and 'R' alone, 'C' to both, 'l' and 'r' to one
 * side at -3 dB, 'X' nowhere (LFE); 0 when the channel has no place we know. */
static char place_of(enum AVChannel c)
{
	switch (c) {
	case AV_CHAN_FRONT_LEFT:
		return 'L';
	case AV_CHAN_FRONT_RIGHT:
		return 'R';
	case AV_CHAN_FRONT_CENTER: case AV_CHAN_BACK_CENTER: case AV_CHAN_TOP_CENTER:
	case AV_CHAN_TOP_FRONT_CENTER: case AV_CHAN_TOP_BACK_CENTER:
	case AV_CHAN_BOTTOM_FRONT_CENTER:
		return 'C';
	case AV_CHAN_LOW_FREQUENCY: case AV_CHAN_LOW_FREQUENCY_2:
		return 'X';
	case AV_CHAN_FRONT_LEFT_OF_CENTER: case AV_CHAN_BACK_LEFT: case AV_CHAN_SIDE_LEFT:
	case AV_CHAN_TOP_FRONT_LEFT: case AV_CHAN_TOP_BACK_LEFT: case AV_CHAN_STEREO_LEFT:
	case AV_CHAN_WIDE_LEFT: case AV_CHAN_SURROUND_DIRECT_LEFT: case AV_CHAN_TOP_SIDE_LEFT:
	case AV_CHAN_BOTTOM_FRONT_LEFT:
		return 'l';
	case AV_CHAN_FRONT_RIGHT_OF_CENTER: case AV_CHAN_BACK_RIGHT: case AV_CHAN_SIDE_RIGHT:
	case AV_CHAN_TOP_FRONT_RIGHT: case AV_CHAN_TOP_BACK_RIGHT: case AV_CHAN_STEREO_RIGHT:
	case AV_CHAN_WIDE_RIGHT: case AV_CHAN_SURROUND_DIRECT_RIGHT: case AV_CHAN_TOP_SIDE_RIGHT:
	case AV_CHAN_BOTTOM_FRONT_RIGHT:
		return 'r';
	default:
		return 0;
	}
}

/* Fills the weights from places; returns -1 when a side would get nothing. Each row is
 * scaled so its coefficients sum to 1, so the mix cannot clip. */
static int weigh(const char *places, int channels, float *left, float *right)
{
	const float m3db = 0.70710678f;
	float sl = 0, sr = 0;

	for (int c = 0; c < channels; c++) {
		switch (places[c]) {
		case 'L': left[c] = 1; right[c] = 0; break;
		case 'R': left[c] = 0; right[c] = 1; break;
		case 'C': left[c] = m3db; right[c] = m3db; break;
		case 'l': left[c] = m3db; right[c] = 0; break;
		case 'r': left[c] = 0; right[c] = m3db; break;
		default: left[c] = 0; right[c] = 0; break;
		}
		sl += left[c];
		sr += right[c];
	}
	if (sl <= 0 || sr <= 0)
		return -1;
	for (int c = 0; c < channels; c++) {
		left[c] /= sl;
		right[c] /= sr;
	}
	return 0;
}

void downmix_weights(const AVChannelLayout *layout, int channels, float *left, float *right)
{
	/* The WAVE/SMPTE default order (L R C LFE Ls Rs, then back or side pairs), for layouts
	 * that name no channels. */
	static const char *const by_count[DOWNMIX_MAX_CHANNELS + 1] = {
		[3] = "LRC", [4] = "LRlr", [5] = "LRClr", [6] = "LRCXlr", [7] = "LRCXClr",
		[8] = "LRCXlrlr",
	};
	char places[DOWNMIX_MAX_CHANNELS];
	int known = layout != NULL && layout->nb_channels == channels &&
		    layout->order != AV_CHANNEL_ORDER_UNSPEC;

	for (int c = 0; known && c < channels; c++)
		if ((places[c] = place_of(av_channel_layout_channel_from_index(layout,
									 (unsigned)c))) == 0)
			known = 0;
	if (known && weigh(places, channels, left, right) == 0)
		return;
	weigh(by_count[channels], channels, left, right);
}
