#ifndef ODYN_VTANH_H
#define ODYN_VTANH_H

/*
   The host kernels' tanh (src/backend/host/convdirect.c, hostblas.c), written once on GCC vector extensions so that
   each caller compiled for AVX-512 or AVX2 (target_clones) gets it in that width. No PETSc here, like backend.h.

   Why not libm / libmvec: a tanh per output value costs about as much as the 3x3 convolution of a 6-channel layer
   that produces the value (docs/benchmarks.md). Measured on the Zen 4 of docs/benchmarks.md, in L1, with sigma' too:
   this one 0.78 ns per value (8 wide on AVX-512), 1.06 (4 wide), the degree-13 Taylor version it replaces 1.26,
   scalar libm 6.7.

   Method. With k = rint(2|x| / ln 2) and s = |x| - k ln(2)/2 (|s| <= ln(2)/4; two-part ln 2, the first product exact),
   e^{2|x|} = 2^k e^{2s} and e^{2s} = (1 + w + s) / (1 + w - s) with 1 + w(s^2) = s coth(s), the even function that
   fdlibm's exp approximates (R(r) = r coth(r/2) = 2 + P1 r^2 + ... + P5 r^10, error < 2^-59; here r = 2s, and the
   coefficients scaled by powers of 2, exactly). Then, with a = 2^k - 1 and b = 2^k + 1,

     tanh|x| = (e^{2|x|} - 1) / (e^{2|x|} + 1) = (a + (a w + b s)) / (b + (b w + a s)),

   one division for the exponential and the tanh together, no cancellation in 1 - 2 / (e^{2|x|} + 1), and 1 + w is
   never rounded (|w| < 0.011). For |x| < ln(2)/4 (k = 0) the numerator is 2s = 2|x| exactly, so the relative error
   stays a few ulp down to the smallest subnormal: no separate small-|x| branch is needed. Against long-double tanhl
   the error is at most 2.7 ulp, largest just above |x| = ln(2)/4 where k becomes 1 (tests/test_tanh.c).

   Special values: |x| is clamped to 20 (tanh(20) rounds to 1), so +-inf and huge |x| give +-1 and 2^k stays normal;
   the sign is or'ed in from x (tanh(-0) = -0); NaN propagates (the clamp keeps a NaN, s and the quotient follow it).
*/

/* fdlibm e_exp.c: r coth(r/2) = 2 + P1 r^2 + ... + P5 r^10 on |r| <= 0.34658 */
#define ODYN_VTANH_P1 1.66666666666666019037e-01
#define ODYN_VTANH_P2 -2.77777777770155933842e-03
#define ODYN_VTANH_P3 6.61375632143793436117e-05
#define ODYN_VTANH_P4 -1.65339022054652515390e-06
#define ODYN_VTANH_P5 4.13813679705723846039e-08

/*
   ODYN_VTANH_DEFINE(NAME, VD, VL, VDU) defines
     static inline void NAME(const double *x, const double *b, double *y, double *d)
   for one vector of doubles VD (VL: the signed 64-bit integer vector of the same length, VDU: VD unaligned and
   may_alias): y = tanh(x + b) (b may be NULL: no bias), d = 1 - y^2 when d is not NULL (sigma' as the layers save
   it); y may alias x. Pointers instead of vector arguments: no vector ABI between compilation targets. GCC converts
   the scalar constants to vectors.
*/
#define ODYN_VTANH_DEFINE(NAME, VD, VL, VDU) \
  static inline __attribute__((always_inline)) void NAME(const double *xp, const double *bp, double *yp, double *dp) \
  { \
    const VD zero = (VD){0}, shift = zero + 6755399441055744.0; /* 1.5 2^52: adding it rounds to an integer */ \
    const VL sgn = (VL){0} | (-0x7fffffffffffffffL - 1), twenty = (VL)(zero + 20.0); \
    VD       x   = *(const VDU *)xp, ax, kd, nd, s, z, w, a, b, t; \
    VL       big; \
    if (bp) x = x + *(const VDU *)bp; \
    ax           = (VD)((VL)x & ~sgn); \
    big          = ax > 20.0; /* false for NaN: the NaN stays */ \
    ax           = (VD)(((VL)ax & ~big) | (twenty & big)); \
    kd           = ax * (2.0 * 1.44269504088896338700e+00) + shift; /* k = rint(2|x| / ln 2) */ \
    nd           = kd - shift; \
    s            = (ax - nd * (0.5 * 6.93147180369123816490e-01)) - nd * (0.5 * 1.90821492927058770002e-10); \
    z            = s * s; \
    w            = z * ((2.0 * ODYN_VTANH_P1) + z * ((8.0 * ODYN_VTANH_P2) + z * ((32.0 * ODYN_VTANH_P3) + z * ((128.0 * ODYN_VTANH_P4) + z * (512.0 * ODYN_VTANH_P5))))); \
    { \
      const VD p2 = (VD)(((VL)kd - ((VL)shift - 1023)) << 52); /* 2^k, 0 <= k <= 58, into the exponent bits */ \
      a           = p2 - 1.0; \
      b           = p2 + 1.0; \
    } \
    t                = (a + (a * w + b * s)) / (b + (b * w + a * s)); \
    t                = (VD)((VL)t | ((VL)x & sgn)); \
    *(VDU *)yp       = t; \
    if (dp) *(VDU *)dp = 1.0 - t * t; \
  }

typedef double odyn_vt8d __attribute__((vector_size(64)));
typedef long   odyn_vt8l __attribute__((vector_size(64)));
typedef double odyn_vt8u __attribute__((vector_size(64), aligned(8), may_alias));
typedef double odyn_vt4d __attribute__((vector_size(32)));
typedef long   odyn_vt4l __attribute__((vector_size(32)));
typedef double odyn_vt4u __attribute__((vector_size(32), aligned(8), may_alias));

ODYN_VTANH_DEFINE(odyn_vtanh8, odyn_vt8d, odyn_vt8l, odyn_vt8u)
ODYN_VTANH_DEFINE(odyn_vtanh4, odyn_vt4d, odyn_vt4l, odyn_vt4u)

/*
   Whether to take the 8-wide loop of odyn_vtanh_run(): on CPUs with AVX-512 (x86-64-v4), where one zmm vector does
   8 values (0.78 ns per value against 1.06 with ymm vectors). Where a caller compiled for AVX2 or less runs, GCC
   builds the 8-wide vectors out of smaller ones poorly (1.8 ns per value on the AVX2 clone against 1.2 with 4 wide),
   and target_clones tells a function nothing about the clone it is in: so the caller asks once, at run time.
*/
static inline int odyn_vtanh_wide(void)
{
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
  return __builtin_cpu_supports("x86-64-v4") ? 1 : 0;
#else
  return 0;
#endif
}

/*
   y[j] = tanh(y[j] + b[j]) for j < n (b may be NULL), d[j] = 1 - y[j]^2 when d is not NULL: 8 values at a time when
   wide (odyn_vtanh_wide()), then 4, the last n % 4 through a small buffer. Inline, so that it takes the instruction
   set of the (target_clones) function that calls it.
*/
static inline __attribute__((always_inline)) void odyn_vtanh_run(long n, const double *b, double *y, double *d, int wide)
{
  long j = 0;

  if (wide)
    for (; j + 8 <= n; j += 8) odyn_vtanh8(y + j, b ? b + j : 0, y + j, d ? d + j : 0);
  for (; j + 4 <= n; j += 4) odyn_vtanh4(y + j, b ? b + j : 0, y + j, d ? d + j : 0);
  if (j < n) {
    double buf[4] = {0, 0, 0, 0}, dbuf[4];
    for (long q = j; q < n; q++) buf[q - j] = b ? y[q] + b[q] : y[q];
    odyn_vtanh4(buf, 0, buf, dbuf);
    for (long q = j; q < n; q++) {
      y[q] = buf[q - j];
      if (d) d[q] = dbuf[q - j];
    }
  }
}

#endif
