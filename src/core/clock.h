/* Milliseconds, monotonic (for timers and durations) and wall-clock (for timestamps the
 * server and the Web API shapes carry); microseconds, monotonic, for pacing. */
#ifndef SEGUE_CLOCK_H
#define SEGUE_CLOCK_H

#include <time.h>

static inline long long clock_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static inline long long clock_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static inline long long clock_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

#endif
