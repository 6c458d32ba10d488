#include "config.h"
#include "demo-dsp.h"

#include <stdlib.h>
#include <string.h>
#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#endif

float dsp_sine_table[(1 << SINE_BITS) + 1];

void dsp_init(void)
{
	size_t i, n = (size_t)1 << SINE_BITS;

#if defined(__SSE__) || defined(__x86_64__)
	/* Flush denormals to zero: decaying tails would otherwise crawl through the slow path. */
	_mm_setcsr(_mm_getcsr() | 0x8040);
#endif
	for (i = 0; i <= n; i++)
		dsp_sine_table[i] = (float)sin(2.0 * M_PI * (double)i / (double)n);
}

void svf_set(struct svf *f, float hz, float q)
{
	float g;

	if (hz > 0.45f * SR)
		hz = 0.45f * SR;
	if (hz < 10.0f)
		hz = 10.0f;
	g = tanf((float)M_PI * hz / SR);
	f->k = 1.0f / q;
	f->a1 = 1.0f / (1.0f + g * (g + f->k));
	f->a2 = g * f->a1;
	f->a3 = g * f->a2;
}

void env_start(struct env *e, float attack, float decay, float sustain, float release,
	       float gate_s)
{
	e->v = 0.0f;
	e->att = attack > 0.0005f ? 1.0f / (attack * SR) : 1.0f;
	e->dec = dsp_decay(decay);
	e->sus = sustain;
	e->rel = dsp_decay(release);
	e->gate = gate_s > 0.0f ? (uint32_t)(gate_s * SR) : 1;
	e->t = 0;
}

size_t env_len(const struct env *e, float release)
{
	return e->gate + (size_t)(release * SR);
}

void dsp_dcblock(float *l, float *r, size_t n)
{
	const float c = 1.0f - 2.0f * (float)M_PI * 20.0f / SR;
	float xl = 0.0f, yl = 0.0f, xr = 0.0f, yr = 0.0f;
	size_t i;

	for (i = 0; i < n; i++) {
		yl = l[i] - xl + c * yl;
		yr = r[i] - xr + c * yr;
		xl = l[i];
		xr = r[i];
		l[i] = yl;
		r[i] = yr;
	}
}

/* An eight-line feedback delay network. The lines are mutually prime-ish lengths between
 * about 23 and 62 ms (times the room size); their outputs are mixed by a normalised Hadamard
 * matrix, which preserves energy, so the per-line gain alone sets the decay time and the
 * loop cannot blow up. Two allpasses in front diffuse transients so drums do not flutter.
 * All lines share one power-of-two ring so a read is a subtract and a mask. */
#define FDN_N 8
#define FDN_RING 8192
#define FDN_MASK (FDN_RING - 1)

struct allpass {
	float *buf;
	size_t len, pos;
	float g;
};

static float allpass_run(struct allpass *a, float x)
{
	float d = a->buf[a->pos];
	float w = x + a->g * d;

	a->buf[a->pos] = w;
	if (++a->pos == a->len)
		a->pos = 0;
	return d - a->g * w;
}

#define BFLY(a, b) do { float t_ = (a); (a) = t_ + (b); (b) = t_ - (b); } while (0)

static inline void hadamard8(float *v)
{
	BFLY(v[0], v[1]); BFLY(v[2], v[3]); BFLY(v[4], v[5]); BFLY(v[6], v[7]);
	BFLY(v[0], v[2]); BFLY(v[1], v[3]); BFLY(v[4], v[6]); BFLY(v[5], v[7]);
	BFLY(v[0], v[4]); BFLY(v[1], v[5]); BFLY(v[2], v[6]); BFLY(v[3], v[7]);
}

int dsp_reverb(const float *in, float *l, float *r, size_t n, float size, float t60, float damp)
{
	/* Runs at half the sample rate: the tail is dark anyway, and it halves the cost. Input
	 * pairs are averaged, the output is interpolated back up. */
	static const unsigned base[FDN_N] = { 1031, 1327, 1523, 1801, 2003, 2251, 2477, 2719 };
	const float rate = SR / 2;
	size_t len[FDN_N], i, k, w = 0, pre_len = (size_t)(0.015f * rate), pre_pos = 0;
	float gain[FDN_N], lp[FDN_N] = { 0 }, y[FDN_N], c = 1.0f - damp, pl = 0.0f, pr = 0.0f;
	struct allpass ap[2];
	float *mem, *ring, *pre;

	if (size > 2.5f)
		size = 2.5f;
	for (k = 0; k < FDN_N; k++) {
		len[k] = (size_t)(base[k] * size * 0.5f);
		/* the Hadamard scaling (1/sqrt 8) is folded into the gains */
		gain[k] = 0.35355339f * powf(10.0f, -3.0f * (float)len[k] / (t60 * rate));
	}
	ap[0].len = (size_t)(71 * size) + 1;
	ap[1].len = (size_t)(190 * size) + 1;
	mem = calloc(FDN_N * FDN_RING + ap[0].len + ap[1].len + pre_len, sizeof(float));
	if (!mem)
		return -1;
	ring = mem;
	ap[0].buf = ring + FDN_N * FDN_RING;
	ap[1].buf = ap[0].buf + ap[0].len;
	pre = ap[1].buf + ap[1].len;
	ap[0].pos = ap[1].pos = 0;
	ap[0].g = ap[1].g = 0.6f;

	for (i = 0; i + 1 < n; i += 2, w++) {
		float x = pre[pre_pos], ol, or_;

		pre[pre_pos] = 0.5f * (in[i] + in[i + 1]);
		if (++pre_pos == pre_len)
			pre_pos = 0;
		x = allpass_run(&ap[1], allpass_run(&ap[0], x));
		for (k = 0; k < FDN_N; k++) {
			lp[k] += c * (ring[k * FDN_RING + ((w - len[k]) & FDN_MASK)] - lp[k]);
			y[k] = lp[k];
		}
		ol = 0.5f * (y[0] + y[2] - y[4] + y[6]);
		or_ = 0.5f * (y[1] - y[3] + y[5] + y[7]);
		l[i] += 0.5f * (pl + ol);
		r[i] += 0.5f * (pr + or_);
		l[i + 1] += ol;
		r[i + 1] += or_;
		pl = ol;
		pr = or_;
		hadamard8(y);
		for (k = 0; k < FDN_N; k++)
			ring[k * FDN_RING + (w & FDN_MASK)] = gain[k] * y[k] + ((k & 1) ? -x : x);
	}
	free(mem);
	return 0;
}

int dsp_delay(const float *in, float *l, float *r, size_t n, float seconds, float feedback,
	      float tone_hz)
{
	size_t len = (size_t)(seconds * SR), pos = 0, i;
	struct onepole tl = { 0 }, tr = { 0 };
	float *bl, *br;

	if (len < 1)
		len = 1;
	bl = calloc(2 * len, sizeof(float));
	if (!bl)
		return -1;
	br = bl + len;
	onepole_set(&tl, tone_hz);
	onepole_set(&tr, tone_hz);
	for (i = 0; i < n; i++) {
		float dl = bl[pos], dr = br[pos];

		bl[pos] = in[i] + feedback * onepole_lp(&tr, dr);
		br[pos] = feedback * onepole_lp(&tl, dl);
		if (++pos == len)
			pos = 0;
		l[i] += dl;
		r[i] += dr;
	}
	free(bl);
	return 0;
}

/* K-weighting: a high shelf (+4 dB above ~1.7 kHz) followed by a ~38 Hz high-pass, with the
 * coefficients derived for our sample rate from the analogue prototypes in BS.1770. Single
 * precision is plenty for a mastering target (it agrees with libebur128 to ~0.1 dB). */
struct biquad {
	float b0, b1, b2, a1, a2, z1, z2;
};

static inline float biquad_run(struct biquad *q, float x)
{
	float y = q->b0 * x + q->z1;

	q->z1 = q->b1 * x - q->a1 * y + q->z2;
	q->z2 = q->b2 * x - q->a2 * y;
	return y;
}

static void kweight_init(struct biquad *shelf, struct biquad *hp)
{
	double f0 = 1681.974450955533, gain_db = 3.999843853973347, q = 0.7071752369554196;
	double k = tan(M_PI * f0 / SR), vh = pow(10.0, gain_db / 20.0);
	double vb = pow(vh, 0.4996667741545416), a0 = 1.0 + k / q + k * k;

	memset(shelf, 0, sizeof(*shelf));
	shelf->b0 = (float)((vh + vb * k / q + k * k) / a0);
	shelf->b1 = (float)(2.0 * (k * k - vh) / a0);
	shelf->b2 = (float)((vh - vb * k / q + k * k) / a0);
	shelf->a1 = (float)(2.0 * (k * k - 1.0) / a0);
	shelf->a2 = (float)((1.0 - k / q + k * k) / a0);

	f0 = 38.13547087602444;
	q = 0.5003270373238773;
	k = tan(M_PI * f0 / SR);
	a0 = 1.0 + k / q + k * k;
	memset(hp, 0, sizeof(*hp));
	hp->b0 = 1.0f;
	hp->b1 = -2.0f;
	hp->b2 = 1.0f;
	hp->a1 = (float)(2.0 * (k * k - 1.0) / a0);
	hp->a2 = (float)((1.0 - k / q + k * k) / a0);
}

struct kchain {
	struct biquad s[2], h[2];
};

static inline float kchain_run(struct kchain *c, float l, float r)
{
	float a = biquad_run(&c->h[0], biquad_run(&c->s[0], l));
	float b = biquad_run(&c->h[1], biquad_run(&c->s[1], r));

	return a * a + b * b;
}

double dsp_loudness(const float *l, const float *r, size_t n)
{
	const size_t sub = SR / 10, warm = SR / 20;
	size_t nsub = n / sub, half = nsub / 2, nblk, i, j, cnt;
	struct kchain ca, cb;
	double *p, sum, gate;

	if (nsub < 4)
		return -70.0;
	p = calloc(nsub, sizeof(double));
	if (!p)
		return -70.0;
	kweight_init(&ca.s[0], &ca.h[0]);
	kweight_init(&ca.s[1], &ca.h[1]);
	cb = ca;
	/* The filters are a long chain of dependent multiply-adds. Running the two halves of
	 * the track as independent chains side by side lets the CPU overlap them; the second
	 * chain is warmed up on 50 ms before its start, far longer than the filters remember. */
	for (i = half * sub - warm; i < half * sub; i++)
		kchain_run(&cb, l[i], r[i]);
	for (j = 0; j < half; j++) {
		const float *la = l + j * sub, *ra = r + j * sub;
		const float *lb = l + (half + j) * sub, *rb = r + (half + j) * sub;
		float acc_a = 0.0f, acc_b = 0.0f;

		for (i = 0; i < sub; i++) {
			acc_a += kchain_run(&ca, la[i], ra[i]);
			acc_b += kchain_run(&cb, lb[i], rb[i]);
		}
		p[j] = acc_a;
		p[half + j] = acc_b;
	}
	for (j = 2 * half; j < nsub; j++) {
		float acc = 0.0f;

		for (i = j * sub; i < (j + 1) * sub; i++)
			acc += kchain_run(&cb, l[i], r[i]);
		p[j] = acc;
	}
	nblk = nsub - 3;
	/* Block j covers sub-blocks j..j+3 (400 ms, 75 % overlap). */
	for (j = 0; j < nblk; j++)
		p[j] = (p[j] + p[j + 1] + p[j + 2] + p[j + 3]) / (4.0 * (double)sub);
	gate = pow(10.0, (-70.0 + 0.691) / 10.0);
	for (sum = 0.0, cnt = 0, j = 0; j < nblk; j++)
		if (p[j] > gate) {
			sum += p[j];
			cnt++;
		}
	if (!cnt) {
		free(p);
		return -70.0;
	}
	gate = sum / (double)cnt * 0.1;
	for (sum = 0.0, cnt = 0, j = 0; j < nblk; j++)
		if (p[j] > gate) {
			sum += p[j];
			cnt++;
		}
	free(p);
	return -0.691 + 10.0 * log10(sum / (double)cnt);
}

static inline float soft_clip(float x)
{
	const float k = 0.5f;
	float a = fabsf(x), u;

	if (a > k) {
		u = (a - k) / (1.0f - k);
		a = k + (1.0f - k) * u / (1.0f + u);
	}
	return copysignf(a * DSP_CEIL, x);
}

size_t dsp_knee_count(const float *l, const float *r, size_t n, float gain)
{
	float lim = 0.5f / gain;
	size_t i, cnt = 0;

	for (i = 0; i < n; i++)
		cnt += (fabsf(l[i]) > lim) + (fabsf(r[i]) > lim);
	return cnt;
}

void dsp_clip(const float *l, const float *r, size_t n, float gain, float *ol, float *or_)
{
	size_t i;

	for (i = 0; i < n; i++) {
		ol[i] = soft_clip(gain * l[i]);
		or_[i] = soft_clip(gain * r[i]);
	}
}

/* Dither is the difference of successive uniform values: triangular in distribution, tilted
 * towards high frequencies where it is least audible, and one cheap LCG step per sample. */
struct dither {
	uint32_t s;
	float prev;
};

static inline int16_t quantize(float x, struct dither *d)
{
	float u, v;

	d->s = d->s * 1664525u + 1013904223u;
	u = (float)(d->s >> 8) * (1.0f / 16777216.0f);
	v = x * 32767.0f + (u - d->prev);
	d->prev = u;
	if (v > 32767.0f)
		v = 32767.0f;
	if (v < -32768.0f)
		v = -32768.0f;
	/* v + 32768.5 is positive, so truncation rounds to nearest */
	return (int16_t)((int)(v + 32768.5f) - 32768);
}

void dsp_master(const float *l, const float *r, size_t n, float gain, int16_t *out,
		uint32_t seed)
{
	/* A 5 Hz high-pass after the clipper removes the DC it makes of lopsided waveforms
	 * (a kick's first swing is bigger than its second). */
	const float c = 1.0f - 2.0f * (float)M_PI * 5.0f / SR;
	struct dither dl = { seed, 0.5f }, dr = { seed ^ 0x5bd1e995u, 0.5f };
	float xl = 0.0f, yl = 0.0f, xr = 0.0f, yr = 0.0f;
	size_t i;

	for (i = 0; i < n; i++) {
		float a = soft_clip(gain * l[i]), b = soft_clip(gain * r[i]);

		yl = a - xl + c * yl;
		yr = b - xr + c * yr;
		xl = a;
		xr = b;
		out[2 * i] = quantize(yl, &dl);
		out[2 * i + 1] = quantize(yr, &dr);
	}
}
