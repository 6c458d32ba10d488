#include "config.h"
#include "demo-dsp.h"

#include <stdlib.h>
#include <string.h>

float dsp_sine_table[(1 << SINE_BITS) + 1];

void dsp_init(void)
{
	size_t i, n = (size_t)1 << SINE_BITS;

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

void dsp_dcblock(float *x, size_t n)
{
	const float r = 1.0f - 2.0f * (float)M_PI * 20.0f / SR;
	float x1 = 0.0f, y1 = 0.0f;
	size_t i;

	for (i = 0; i < n; i++) {
		float y = x[i] - x1 + r * y1;

		x1 = x[i];
		y1 = y;
		x[i] = y;
	}
}

/* An eight-line feedback delay network. The lines are mutually prime-ish lengths between
 * about 23 and 62 ms; their outputs are mixed by a normalised Hadamard matrix (energy
 * preserving), so the per-line gain alone sets the decay time and the loop can never blow
 * up. Two allpasses in front diffuse transients so drums do not flutter. */
#define FDN_N 8

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

static void hadamard8(float *v)
{
	size_t h, i, j;

	for (h = 1; h < FDN_N; h *= 2)
		for (i = 0; i < FDN_N; i += 2 * h)
			for (j = i; j < i + h; j++) {
				float a = v[j], b = v[j + h];

				v[j] = a + b;
				v[j + h] = a - b;
			}
	for (i = 0; i < FDN_N; i++)
		v[i] *= 0.35355339f;
}

int dsp_reverb(const float *in, float *l, float *r, size_t n, float size, float t60, float damp)
{
	static const unsigned base[FDN_N] = { 1031, 1327, 1523, 1801, 2003, 2251, 2477, 2719 };
	size_t len[FDN_N], pos[FDN_N] = { 0 }, total = 0, i, k;
	float gain[FDN_N], lp[FDN_N] = { 0 }, y[FDN_N];
	struct allpass ap[2];
	size_t pre_len = (size_t)(0.015f * SR), pre_pos = 0;
	float *mem, *line[FDN_N], *pre;

	for (k = 0; k < FDN_N; k++) {
		len[k] = (size_t)(base[k] * size);
		gain[k] = powf(10.0f, -3.0f * (float)len[k] / (t60 * SR));
		total += len[k];
	}
	ap[0].len = (size_t)(142 * size) + 1;
	ap[1].len = (size_t)(379 * size) + 1;
	mem = calloc(total + ap[0].len + ap[1].len + pre_len, sizeof(float));
	if (!mem)
		return -1;
	line[0] = mem;
	for (k = 1; k < FDN_N; k++)
		line[k] = line[k - 1] + len[k - 1];
	ap[0].buf = line[FDN_N - 1] + len[FDN_N - 1];
	ap[1].buf = ap[0].buf + ap[0].len;
	pre = ap[1].buf + ap[1].len;
	ap[0].pos = ap[1].pos = 0;
	ap[0].g = ap[1].g = 0.6f;

	for (i = 0; i < n; i++) {
		float x = pre[pre_pos];

		pre[pre_pos] = in[i];
		if (++pre_pos == pre_len)
			pre_pos = 0;
		x = allpass_run(&ap[1], allpass_run(&ap[0], x));
		for (k = 0; k < FDN_N; k++) {
			lp[k] += (1.0f - damp) * (line[k][pos[k]] - lp[k]);
			y[k] = lp[k];
		}
		l[i] += 0.5f * (y[0] + y[2] - y[4] + y[6]);
		r[i] += 0.5f * (y[1] - y[3] + y[5] + y[7]);
		hadamard8(y);
		for (k = 0; k < FDN_N; k++) {
			line[k][pos[k]] = gain[k] * y[k] + ((k & 1) ? -x : x);
			if (++pos[k] == len[k])
				pos[k] = 0;
		}
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
 * coefficients derived for our sample rate from the analogue prototypes in BS.1770. */
struct biquad {
	double b0, b1, b2, a1, a2, z1, z2;
};

static double biquad_run(struct biquad *q, double x)
{
	double y = q->b0 * x + q->z1;

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
	shelf->b0 = (vh + vb * k / q + k * k) / a0;
	shelf->b1 = 2.0 * (k * k - vh) / a0;
	shelf->b2 = (vh - vb * k / q + k * k) / a0;
	shelf->a1 = 2.0 * (k * k - 1.0) / a0;
	shelf->a2 = (1.0 - k / q + k * k) / a0;

	f0 = 38.13547087602444;
	q = 0.5003270373238773;
	k = tan(M_PI * f0 / SR);
	a0 = 1.0 + k / q + k * k;
	memset(hp, 0, sizeof(*hp));
	hp->b0 = 1.0;
	hp->b1 = -2.0;
	hp->b2 = 1.0;
	hp->a1 = 2.0 * (k * k - 1.0) / a0;
	hp->a2 = (1.0 - k / q + k * k) / a0;
}

double dsp_loudness(const float *l, const float *r, size_t n)
{
	const size_t sub = SR / 10;
	size_t nsub = n / sub, nblk, i, j, cnt;
	struct biquad sl, hl, sr_, hr;
	double *p, sum, gate;

	if (nsub < 4)
		return -70.0;
	p = calloc(nsub, sizeof(double));
	if (!p)
		return -70.0;
	kweight_init(&sl, &hl);
	kweight_init(&sr_, &hr);
	for (i = 0; i < nsub * sub; i++) {
		double a = biquad_run(&hl, biquad_run(&sl, l[i]));
		double b = biquad_run(&hr, biquad_run(&sr_, r[i]));

		p[i / sub] += a * a + b * b;
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
	const float knee = 0.5f, ceil = 0.966f;
	float a = fabsf(x), u;

	if (a > knee) {
		u = (a - knee) / (1.0f - knee);
		a = knee + (1.0f - knee) * u / (1.0f + u);
	}
	return copysignf(a * ceil, x);
}

void dsp_clip(const float *l, const float *r, size_t n, float gain, float *ol, float *or_)
{
	size_t i;

	for (i = 0; i < n; i++) {
		ol[i] = soft_clip(gain * l[i]);
		or_[i] = soft_clip(gain * r[i]);
	}
}

static inline int16_t quantize(float x, uint32_t *d)
{
	float v = x * 32767.0f + 0.5f * (dsp_noise(d) + dsp_noise(d));
	long q = lrintf(v);

	if (q > 32767)
		q = 32767;
	if (q < -32768)
		q = -32768;
	return (int16_t)q;
}

void dsp_quantize(const float *l, const float *r, size_t n, int16_t *out, uint32_t *dither)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = quantize(l[i], dither);
		out[2 * i + 1] = quantize(r[i], dither);
	}
}
