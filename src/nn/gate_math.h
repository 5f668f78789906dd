// sigmoid and tanh for the SIMD recurrent cells, within a few float ulps of the correctly
// rounded value in relative error over every float input (tests/nn/gate_math_test.cc checks
// all floats of the range where the functions are not constant against double precision).
//
// Written once over a vector-operations type V and instantiated by the code that runs it:
// simd_avx512_kernels.h (V = 16 float lanes of AVX-512) and gate_math_emulated.h (V = one
// float with the same primitive semantics in portable C++, so CPUs without AVX-512 test the
// algorithm too). The including file defines QUIVER_GATE_TARGET (its target attribute, or
// nothing) first, so the templates compile for the instruction set of their V.
//
// V provides (each op rounds once, as IEEE float arithmetic):
//   F; set1(float); mul, add, sub; fmadd(a,b,c) = a·b + c and fnmadd(a,b,c) = c − a·b, one
//   rounding; neg_abs_floor(x, lo) = max(lo, −|x|), NaN stays NaN; round_nearest (ties to even);
//   scalef(p, n) = p·2^n for integral n (subnormal results rounded once); rcp14(d), an
//   approximation of 1/d with relative error below 2^-14; select_negative(x, a, b) = a where
//   x's sign bit is set, else b; copysign(m, s).
//
// Why it is accurate where the earlier 1/(1 + 2^t) was not (issue 16): e^y is computed as
// 2^n·e^r with n = round(y·log2 e) and r = y − n·ln 2 reduced in two FMAs (ln 2 split in a
// high and a low part), so the rounding of y·log2 e does not reach the result (it cost up to
// 0.7·|t|·6e-8 relative before); e^r on |r| ≤ ln2/2 is 1 + r + r²·P(r) with P a degree-4
// Chebyshev fit (relative error 8e-9 in exact arithmetic); the sigmoid of x < 0 is
// e^x/(1 + e^x), which keeps its relative accuracy down to the subnormal tail (1 − 1/(1+e^-x)
// would round it to 0 below about −17); and tanh|x| = −expm1(−2|x|)/(2 + expm1(−2|x|)) with
// expm1 = 2^n·(1 + q) − 1 formed in one FMA from q = r + r²·P(r), which has no cancellation
// near 0 (tanh x = 2·sigmoid(2x) − 1 lost all relative accuracy there). 1/d is rcp14 plus one
// Newton step (0.5 ulp + 2^-28; a division is not pipelined).
#ifndef QUIVER_NN_GATE_MATH_H_
#define QUIVER_NN_GATE_MATH_H_

#ifndef QUIVER_GATE_TARGET
#error "define QUIVER_GATE_TARGET (the target attribute, or nothing) before gate_math.h"
#endif

#define QUIVER_GATE_INLINE QUIVER_GATE_TARGET __attribute__((always_inline)) inline

namespace quiver::nn::gate {
namespace {

// ln 2 = kLn2Hi + kLn2Lo (kLn2Hi = ln 2 rounded to float; kLn2Lo the rest, to float).
constexpr float kLog2e = 1.44269504088896341f;
constexpr float kLn2Hi = 0.693147182464599609375f;
constexpr float kLn2Lo = -1.904654299957768e-09f;
// P(r) ≈ (e^r − 1 − r) / r² on |r| ≤ ln2/2 (mpmath chebyfit, degree 4, coefficients
// rounded to float): e^r = 1 + r + r²·P(r) with relative error 8.1e-9, e^r − 1 with 2.1e-8.
constexpr float kP4 = 1.3926926767453551e-3f, kP3 = 8.363774046301842e-3f,
                kP2 = 4.166654869914055e-2f, kP1 = 1.6666573286056519e-1f, kP0 = 0.5f;

// n = round(y·log2 e) and *r = y − n·ln 2 (|r| ≤ ln2/2 + a rounding).
template <class V>
QUIVER_GATE_INLINE typename V::F reduce_ln2(typename V::F y, typename V::F* r) {
  const typename V::F n = V::round_nearest(V::mul(y, V::set1(kLog2e)));
  *r = V::fnmadd(n, V::set1(kLn2Lo), V::fnmadd(n, V::set1(kLn2Hi), y));
  return n;
}

template <class V>
QUIVER_GATE_INLINE typename V::F poly_p(typename V::F r) {
  typename V::F p = V::fmadd(V::set1(kP4), r, V::set1(kP3));
  p = V::fmadd(p, r, V::set1(kP2));
  p = V::fmadd(p, r, V::set1(kP1));
  return V::fmadd(p, r, V::set1(kP0));
}

// 1/d for d in [1, 3]: rcp14 and one Newton step.
template <class V>
QUIVER_GATE_INLINE typename V::F reciprocal(typename V::F d) {
  const typename V::F r = V::rcp14(d);
  return V::fmadd(r, V::fnmadd(d, r, V::set1(1.0f)), r);
}

// sigmoid(x) = 1/(1 + e^-|x|) for x ≥ 0, e^-|x|/(1 + e^-|x|) for x < 0. |x| is capped at
// 120 (e^-120 is below half the smallest subnormal), which also keeps ±∞ finite.
template <class V>
QUIVER_GATE_INLINE typename V::F sigmoid(typename V::F x) {
  typename V::F r;
  const typename V::F n = reduce_ln2<V>(V::neg_abs_floor(x, V::set1(-120.0f)), &r);
  const typename V::F er = V::fmadd(V::fmadd(poly_p<V>(r), r, V::set1(1.0f)), r, V::set1(1.0f));
  const typename V::F e = V::scalef(er, n);  // e^-|x| in [0, 1]
  const typename V::F inv = reciprocal<V>(V::add(V::set1(1.0f), e));
  return V::select_negative(x, V::mul(e, inv), inv);
}

// tanh(x) = −sign(x)·m/(2 + m) with m = expm1(−2|x|) = 2^n·(1 + q) − 1. |x| is capped at 20
// (tanh 20 rounds to 1), which also keeps ±∞ finite.
template <class V>
QUIVER_GATE_INLINE typename V::F tanh(typename V::F x) {
  typename V::F r;
  const typename V::F y = V::mul(V::neg_abs_floor(x, V::set1(-20.0f)), V::set1(2.0f));
  const typename V::F n = reduce_ln2<V>(y, &r);
  const typename V::F q = V::fmadd(V::mul(r, r), poly_p<V>(r), r);  // e^r − 1
  const typename V::F s = V::scalef(V::set1(1.0f), n);
  const typename V::F m = V::fmadd(s, q, V::sub(s, V::set1(1.0f)));  // e^y − 1, in (−1, 0]
  return V::copysign(V::mul(m, reciprocal<V>(V::add(V::set1(2.0f), m))), x);
}

}  // namespace
}  // namespace quiver::nn::gate

#undef QUIVER_GATE_INLINE

#endif  // QUIVER_NN_GATE_MATH_H_
