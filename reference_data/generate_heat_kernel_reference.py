#!/usr/bin/env python3
"""High-precision reference values for heat kernels on spheres S^d and flat tori T^d.

Conventions (binding for the riemannian-diffusion crate):
  * Brownian time t: the kernel solves  d/dt p = (1/2) Laplace-Beltrami p, so in flat
    space p_t = N(0, t I) and eigen-expansion factors are exp(-lambda t / 2).
  * Densities are with respect to the Riemannian volume (they integrate to 1).
  * Unit round sphere S^d in R^{d+1}, volume 2 pi^{(d+1)/2} / Gamma((d+1)/2);
    flat torus [0, 2 pi)^d, volume (2 pi)^d.
  * Every input (t, theta, x) is an IEEE double; the kernel is evaluated at that exact
    binary value (mpf(float) is exact) and the input is printed with Python's repr,
    which round-trips, so a Rust f64 parse recovers exactly the evaluated argument.

Methods (see README.md for the derivations):
  sphere, any d >= 2 : Gegenbauer eigen series          (method "eigen")
  S^1 / T^1          : wrapped Gaussian (image sum)     ("images") and Fourier series ("fourier")
  S^2                : Mehler-Dirichlet integral of an alternating image sum ("s2_integral")
  S^3                : exact path sum                   ("s3_paths")
  odd d = 2n+1       : dimension recursion p_{2n+1} = (2 pi)^{-n} e^{n^2 t/2} (d/dx)^n p_1(arccos x),
                       evaluated by truncated power-series arithmetic ("odd_recursion")

Run:  python3 reference_data/generate_heat_kernel_reference.py  [--procs N] [--dims 1,2,3,7,127] [--no-torus] [--no-norm]
Only mpmath is required (gmpy2, if installed, makes mpmath several times faster).
"""

import argparse
import math
import os
import sys
import time
from multiprocessing import Pool

import mpmath
from mpmath import mp, mpf

LN10 = math.log(10.0)
HERE = os.path.dirname(os.path.abspath(__file__))

# Agreement (in significant digits) below which the adaptive precision loop retries.
TARGET_DIGITS = 25

# --------------------------------------------------------------------------------------
# Grids
# --------------------------------------------------------------------------------------
T_MAIN = [1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0]
T_EXTRA = [1e-8, 1e-4, 100.0, 1e4]
THETA_MAIN = [0.0, 1e-6, 1e-3, 1e-2, 0.1, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0,
              math.pi - 1e-2, math.pi - 1e-3]
THETA_EXTRA = [0.0, 0.5, 2.0]

X_VALUES = [0.0, 1e-6, 0.3, 1.0, 2.5, math.pi - 1e-3, math.pi, 4.0, 2 * math.pi - 1e-3]
X_EXTRA = [0.0, 1.0, 2.5]
T2_PAIRS = [
    (0.0, 0.0), (1e-6, 0.0), (1e-6, 1e-6), (0.3, 1.0), (1.0, 2.5), (2.5, 4.0),
    (math.pi, 0.3), (math.pi, math.pi), (math.pi - 1e-3, 2 * math.pi - 1e-3),
    (2 * math.pi - 1e-3, 1e-6), (4.0, math.pi - 1e-3), (2 * math.pi - 1e-3, 2 * math.pi - 1e-3),
    (0.0, 2.5),
]
T2_EXTRA_PAIRS = [(0.0, 0.0), (1.0, 2.5), (0.0, 2.5)]


def sphere_grid(dims):
    pts = []
    for d in dims:
        for t in T_MAIN:
            for th in THETA_MAIN:
                pts.append((d, t, th))
        for t in T_EXTRA:
            for th in THETA_EXTRA:
                pts.append((d, t, th))
    return pts


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------
def sphere_volume(d):
    return 2 * mp.pi ** (mpf(d + 1) / 2) / mpmath.gamma(mpf(d + 1) / 2)


# Comparisons run at this working precision (results carry their own, higher, precision;
# the default mp.dps = 15 would round them before subtracting).
CMP_DPS = 80


def agree_digits(a, b):
    """Number of agreeing significant digits of a and b (relative difference, capped)."""
    with mp.workdps(CMP_DPS):
        if a == b:
            return 999.0
        den = max(abs(a), abs(b))
        rel = abs(a - b) / den
        return float(-mpmath.log10(rel))


def rel_diff(a, b, scale=None):
    if a == b:
        return mpf(0)
    den = max(abs(a), abs(b)) if scale is None else scale
    return abs(a - b) / den


def eigen_dps(theta, t, extra=0):
    """Working precision for the eigen series: its terms are bounded in absolute value by
    the terms of p_t(0) (all positive), so the cancellation is about p_t(0)/p_t(theta),
    estimated by Varadhan as exp(theta^2/(2t)); 50 guard digits on top."""
    return int(50 + theta * theta / (2 * t) / LN10 + extra)


# --------------------------------------------------------------------------------------
# S^1 / T^1: wrapped Gaussian and Fourier series
# --------------------------------------------------------------------------------------
def circle_images(x, t, dps):
    """p(x) = sum_k (2 pi t)^{-1/2} exp(-(x + 2 pi k)^2 / (2t)), and dp/dx.

    All terms are positive: no cancellation in p.  Images are added outward from the one
    nearest to x until the exponent is (dps + 10) ln 10 below the largest; beyond that the
    terms decrease faster than geometrically with ratio < 1/2, so the tail is below
    10^{-(dps+10)} relative."""
    with mp.workdps(dps):
        X = mpf(x)
        T = mpf(t)
        twopi = 2 * mp.pi
        k0 = int(mpmath.nint(-X / twopi))
        umin = min(abs(X + twopi * k) for k in (k0 - 1, k0, k0 + 1))
        cut = umin * umin / (2 * T) + (dps + 10) * LN10 + 5
        p = mpf(0)
        dp = mpf(0)
        kmax_used = 0
        for direction in (0, 1):
            k = k0 if direction == 0 else k0 - 1
            step = 1 if direction == 0 else -1
            while True:
                u = X + twopi * k
                e = u * u / (2 * T)
                if e > cut:
                    break
                g = mpmath.exp(-e)
                p += g
                dp += -u / T * g
                kmax_used = max(kmax_used, abs(k - k0))
                k += step
        norm = 1 / mpmath.sqrt(2 * mp.pi * T)
        if x == 0.0:
            dp = mpf(0)  # exact by symmetry (the +-k images cancel only up to rounding)
        return p * norm, dp * norm, {"images": 2 * kmax_used + 1}


def circle_fourier(x, t, dps):
    """p(x) = (1/2pi) (1 + 2 sum_{l>=1} e^{-l^2 t/2} cos(l x)),  dp/dx = -(1/pi) sum l e^{..} sin(l x).

    Terms bounded by 2 e^{-l^2 t/2}/(2 pi) (and l times that for dp); with r < 1 the ratio of
    consecutive bounds (decreasing in l) the tail is below bound * r/(1-r); truncated when
    that is below 10^{-dps}."""
    with mp.workdps(dps):
        X = mpf(x)
        T = mpf(t)
        c1 = mpmath.cos(X)
        s1 = mpmath.sin(X)
        eps = mpf(10) ** (-dps)
        q = mpmath.exp(-T)  # e_{l+1}/e_l = exp(-(2l+1)t/2) = exp(-t/2) * q^l
        ratio = mpmath.exp(-T / 2)
        E = mpf(1)
        cprev, cl = mpf(1), c1  # cos(0 x), cos(1 x)
        sprev, sl = mpf(0), s1
        sum_c = mpf(0)
        sum_s = mpf(0)
        l = 1
        two_c1 = 2 * c1
        while True:
            E = E * ratio
            ratio = ratio * q
            sum_c += E * cl
            sum_s += l * E * sl
            # bound of the next/this term ratio (l+1)E_{l+1}/(l E_l) < 1 and decreasing in l:
            # the tail after l is below l E r/(1-r)
            r = ratio * (l + 1) / l
            if r < 1 and l * E * r / (1 - r) < eps:
                break
            cprev, cl = cl, two_c1 * cl - cprev
            sprev, sl = sl, two_c1 * sl - sprev
            l += 1
        p = (1 + 2 * sum_c) / (2 * mp.pi)
        dp = -sum_s / mp.pi
        return p, dp, {"terms": l}


# --------------------------------------------------------------------------------------
# S^d, d >= 2: Gegenbauer eigen series
# --------------------------------------------------------------------------------------
def sphere_eigen(d, theta, t, dps):
    """p_t(theta) = sum_l e^{-l(l+d-1)t/2} (2l+d-1)/(d-1) C_l^{(d-1)/2}(cos theta) / Vol(S^d),
    dp/dtheta   = -sin(theta) sum_l e^{-l(l+d-1)t/2} (2l+d-1) C_{l-1}^{(d+1)/2}(cos theta) / Vol(S^d)
    (d/dx C_l^lam = 2 lam C_{l-1}^{lam+1}, 2 lam = d-1).

    Tail bound: for lam > 0, |C_l^lam(x)| <= C_l^lam(1) = binom(l+2lam-1, l) on [-1, 1], so
    term l is bounded by b_l = e^{..}(2l+d-1) C_l^lam(1); b_{l+1}/b_l is decreasing in l.
    With r = b_{l+1}/b_l < 1 the tail after l is below b_l r/(1-r); stop when that is below
    10^{-dps} sum_{j<=l} b_j (same for the derivative series; r is the larger of the two bound ratios):
    the tail is then below 10^{-dps} p_t(0).  p_t(0)/p_t(theta) is absorbed by the
    working precision (eigen_dps)."""
    assert d >= 2
    with mp.workdps(dps):
        TH = mpf(theta)
        T = mpf(t)
        x = mpmath.cos(TH)
        s = mpmath.sin(TH)
        lam = mpf(d - 1) / 2
        eps = mpf(10) ** (-dps)
        q = mpmath.exp(-T)
        ratio = mpmath.exp(-mpf(d) * T / 2)  # E_{l+1}/E_l = exp(-(2l+d)t/2)
        E = mpf(1)
        # C_l^lam(x), C_l^lam(1)
        c_prev, c_cur = mpf(0), mpf(1)
        b1 = mpf(1)
        # C_{l-1}^{lam+1}(x) (index m = l-1), and its value at 1
        dc_prev, dc_cur = mpf(0), mpf(0)
        db1 = mpf(0)
        S = mpf(0)
        SD = mpf(0)
        SB = mpf(0)
        SDB = mpf(0)
        l = 0
        lam1 = lam + 1
        while True:
            w = E * (2 * l + d - 1)
            S += w * c_cur
            bl = w * b1
            SB += bl
            if l >= 1:
                SD += w * dc_cur
                dbl = w * db1
                SDB += dbl
            else:
                dbl = mpf(0)
            # ratio of consecutive bounds
            n = l + 1
            rb = ratio * (2 * l + d + 1) / (2 * l + d - 1) * (l + 2 * lam) / (l + 1)
            if l >= 2:
                # derivative bounds: C_{m+1}^{lam+1}(1)/C_m^{lam+1}(1) = (m+2lam+2)/(m+1), m = l-1
                rb = max(rb, ratio * (2 * l + d + 1) / (2 * l + d - 1) * (l + 2 * lam + 1) / l)
            if l >= 2 and rb < 1:
                tail = rb / (1 - rb)
                if bl * tail < eps * SB and dbl * tail <= eps * SDB:
                    break
            # advance C^lam to index n = l + 1
            if n == 1:
                c_new = 2 * lam * x
            else:
                c_new = (2 * x * (n + lam - 1) * c_cur - (n + 2 * lam - 2) * c_prev) / n
            c_prev, c_cur = c_cur, c_new
            b1 = b1 * (l + 2 * lam) / (l + 1)
            # advance C^{lam+1} to index m = n - 1 = l
            m = l
            if m == 0:
                dc_new = mpf(1)
                db1 = mpf(1)
            elif m == 1:
                dc_new = 2 * lam1 * x
                db1 = 2 * lam1
            else:
                dc_new = (2 * x * (m + lam1 - 1) * dc_cur - (m + 2 * lam1 - 2) * dc_prev) / m
                db1 = db1 * (m - 1 + 2 * lam1) / m
            dc_prev, dc_cur = dc_cur, dc_new
            E = E * ratio
            ratio = ratio * q
            l += 1
        vol = sphere_volume(d)
        p = S / ((d - 1) * vol)
        dp = -s * SD / vol
        return p, dp, {"terms": l + 1}


def sphere_eigen_any(d, theta, t, dps):
    if d == 1:
        return circle_fourier(theta, t, dps)
    return sphere_eigen(d, theta, t, dps)


# --------------------------------------------------------------------------------------
# S^3: exact path sum
# --------------------------------------------------------------------------------------
def s3_paths(theta, t, dps):
    """p_t(theta) = e^{t/2} (2 pi t)^{-3/2} sum_k (theta + 2 pi k)/sin(theta) e^{-(theta+2 pi k)^2/(2t)}.

    From p_3 = (1/(2 pi)) e^{t/2} (-1/sin theta) d/dtheta p_1 (dimension recursion) applied to
    the wrapped Gaussian.  At theta = 0 the limit is e^{t/2}(2 pi t)^{-3/2} sum_k (1 - (2 pi k)^2/t)
    e^{-(2 pi k)^2/(2t)}.  For large t the alternating sum cancels to ~e^{-t/2}: the working
    precision includes t/(2 ln 10) extra digits."""
    dps = int(dps + t / (2 * LN10))
    with mp.workdps(dps):
        TH = mpf(theta)
        T = mpf(t)
        twopi = 2 * mp.pi
        K = int(((dps + 10) * LN10 * 2 * t) ** 0.5 / (2 * math.pi)) + 2
        S = mpf(0)
        SP = mpf(0)
        for k in range(-K, K + 1):
            u = TH + twopi * k
            g = mpmath.exp(-u * u / (2 * T))
            if theta == 0.0:
                S += (1 - u * u / T) * g
            else:
                S += u * g
                SP += (1 - u * u / T) * g
        pref = mpmath.exp(T / 2) / (twopi * T) ** mpf(1.5)
        if theta == 0.0:
            return pref * S, mpf(0), {"images": 2 * K + 1}
        sn = mpmath.sin(TH)
        p = pref * S / sn
        dlogp = SP / S - mpmath.cos(TH) / sn
        return p, dlogp * p, {"images": 2 * K + 1}


# --------------------------------------------------------------------------------------
# S^2: Mehler-Dirichlet integral representation
# --------------------------------------------------------------------------------------
def s2_integral(theta, t, dps):
    """p_t(theta) = e^{t/8} / (sqrt(2) pi^{3/2} t^{3/2}) int_0^{pi/2} F(phi)/sin(phi/2) dpsi,
       F(phi) = sum_k (-1)^k (phi + 2 pi k) e^{-(phi+2 pi k)^2/(2t)},
       phi = phi(psi): sin(phi/2) = sqrt(sin^2(theta/2) cos^2 psi + sin^2 psi), cos(phi/2) = cos(theta/2) cos psi.

    Derivation: Mehler-Dirichlet  P_l(cos th) = (sqrt2/pi) int_th^pi sin((l+1/2)phi)/sqrt(cos th - cos phi) dphi,
    l(l+1) = (l+1/2)^2 - 1/4 and Poisson summation of sum_l e^{-(l+1/2)^2 t/2} cos((l+1/2)phi);
    then the substitution cos phi = cos th - (1 + cos th) sin^2 psi removes both endpoint
    singularities.  dp/dtheta by differentiating under the integral at fixed psi:
    dphi/dtheta = sin(theta/2) cos psi / sin(phi/2)."""
    dps = int(dps + t / (8 * LN10))
    with mp.workdps(dps):
        TH = mpf(theta)
        T = mpf(t)
        twopi = 2 * mp.pi
        K = int(((dps + 10) * LN10 * 2 * t) ** 0.5 / (2 * math.pi)) + 2
        sh = mpmath.sin(TH / 2)
        ch = mpmath.cos(TH / 2)

        # mpmath.quad's convergence test is absolute (~10^-dps): scale the integrand by
        # e^{theta^2/(2t)} (its size at the peak psi = 0) so that it is O(1).
        th2 = TH * TH

        # e^{-(phi + 2 pi k)^2/(2t)} = e^{-phi^2/(2t)} B^k A_k, B = e^{-2 pi phi/t}, A_k = e^{-2 pi^2 k^2/t}:
        # two exponentials per node instead of 2K+1 (all factors are exact-exponent mpf's).
        A = [mpmath.exp(-2 * mp.pi ** 2 * k * k / T) for k in range(K + 1)]

        def F_and_dF(phi):
            g0 = mpmath.exp(-(phi * phi - th2) / (2 * T))
            B = mpmath.exp(-twopi * phi / T)
            Binv = 1 / B
            F = phi * g0
            dF = (1 - phi * phi / T) * g0
            bp = mpf(1)
            bm = mpf(1)
            for k in range(1, K + 1):
                bp *= B
                bm *= Binv
                sign = -1 if k % 2 else 1
                for u, g in ((phi + twopi * k, g0 * bp * A[k]), (phi - twopi * k, g0 * bm * A[k])):
                    g = sign * g
                    F += u * g
                    dF += (1 - u * u / T) * g
            return F, dF

        def geometry(psi):
            cp = mpmath.cos(psi)
            sp = mpmath.sin(psi)
            s2 = mpmath.sqrt(sh * sh * cp * cp + sp * sp)
            c2 = ch * cp
            phi = 2 * mpmath.atan2(s2, c2)
            return phi, s2, c2, cp

        def f_p(psi):
            phi, s2, c2, cp = geometry(psi)
            F, _ = F_and_dF(phi)
            return F / s2

        def f_dp(psi):
            phi, s2, c2, cp = geometry(psi)
            F, dF = F_and_dF(phi)
            dH = dF / s2 - F * c2 / (2 * s2 * s2)
            dphi = sh * cp / s2
            return dH * dphi

        # breakpoints: geometric ladder resolving the Gaussian width ~ sqrt(t) near psi = 0
        half = mp.pi / 2
        pts = [mpf(0)]
        w = mpf(t) ** 0.5 / 8
        while w < half:
            pts.append(w)
            w *= 2
        pts.append(half)
        C = mpmath.exp(T / 8 - th2 / (2 * T)) / (mpmath.sqrt(2) * mp.pi ** mpf(1.5) * T ** mpf(1.5))
        p = C * mpmath.quad(f_p, pts)
        if theta == 0.0:
            dp = mpf(0)
        else:
            dp = C * mpmath.quad(f_dp, pts)
        return p, dp, {"images": 2 * K + 1, "intervals": len(pts) - 1}


# --------------------------------------------------------------------------------------
# odd d = 2n+1: dimension recursion by power-series arithmetic in x = cos(theta)
# --------------------------------------------------------------------------------------
def ps_mul(a, b, N):
    return [mpmath.fsum(a[i] * b[k - i] for i in range(k + 1)) for k in range(N + 1)]


def ps_sqrt(a, N):
    s = [mpmath.sqrt(a[0])]
    for n in range(1, N + 1):
        acc = a[n] - mpmath.fsum(s[k] * s[n - k] for k in range(1, n))
        s.append(acc / (2 * s[0]))
    return s


def ps_recip(a, N):
    r = [1 / a[0]]
    for n in range(1, N + 1):
        r.append(-mpmath.fsum(a[k] * r[n - k] for k in range(1, n + 1)) / a[0])
    return r


def ps_exp(a, N):
    e = [mpmath.exp(a[0])]
    for n in range(1, N + 1):
        e.append(mpmath.fsum(k * a[k] * e[n - k] for k in range(1, n + 1)) / n)
    return e


def odd_recursion(d, theta, t, dps):
    """p_{2n+1}(theta) = (2 pi)^{-n} e^{n^2 t/2} (d/dx)^n p_1(arccos x) at x = cos theta,
    dp/dtheta = -sin(theta) (2 pi)^{-n} e^{n^2 t/2} (d/dx)^{n+1} p_1(arccos x).

    (From D C_l^lam(cos th) = 2 lam C_{l-1}^{lam+1}, D = -(1/sin th) d/dth = d/dx, one gets
    p_{d+2} = (1/(2 pi)) e^{d t/2} D p_d.)  p_1 is the wrapped Gaussian; each image is expanded
    as a truncated power series in h = x - cos(theta) using arccos' = -1/sqrt(1-x^2).
    theta = 0 (x = 1 is a branch point of arccos) is done in y = 1 - x with images paired:
    g_k + g_{-k} = e^{-(theta^2 + 4 pi^2 k^2)/(2t)} 2 cosh(2 pi k theta / t) is a power series in
    theta^2 = arccos(1-y)^2 = 2 sum_{m>=1} (2y)^m/(m^2 binom(2m,m)), which is analytic at y = 0.
    Cancellations: images near x = +-1 are individually singular (~(1-|x|)^{-n}), and for large t
    the n-th derivative of a nearly constant p_1 is ~ e^{-n^2 t/2}: both are absorbed in dps."""
    assert d % 2 == 1 and d >= 3
    n = (d - 1) // 2
    N = n + 1
    x0f = math.cos(theta)
    sing = max(1e-300, 1 - abs(x0f))
    extra = (n * n * t / 2) / LN10
    if theta != 0.0:
        extra += n * max(0.0, -math.log10(sing))
    dps = int(dps + extra)
    with mp.workdps(dps):
        TH = mpf(theta)
        T = mpf(t)
        twopi = 2 * mp.pi
        norm = 1 / mpmath.sqrt(twopi * T)
        total = [mpf(0)] * (N + 1)
        if theta == 0.0:
            # y = 1 - x, theta^2 = 2 sum (2y)^m / (m^2 binom(2m, m)); (d/dx)^j = (-1)^j (d/dy)^j
            th2 = [mpf(0)] + [2 * mpf(2) ** m / (m * m * mpmath.binomial(2 * m, m)) for m in range(1, N + 1)]
            q = [-c / (2 * T) for c in th2]
            g = ps_exp(q, N)
            # images k and -k together: e^{-(theta^2 + 4 pi^2 k^2)/(2t)} 2 cosh(2 pi k theta/t), and
            # cosh(a theta) = sum_j a^{2j} (theta^2)^j/(2j)! is analytic in theta^2, hence in y.
            K = int(((dps + 10) * LN10 * 2 * t) ** 0.5 / (2 * math.pi)) + 2
            powers = [[mpf(1)] + [mpf(0)] * N]
            for j in range(1, N + 1):
                powers.append(ps_mul(powers[-1], th2, N))
            comb = [mpf(1)] + [mpf(0)] * N
            for k in range(1, K + 1):
                a2 = (twopi * k / T) ** 2
                w = 2 * mpmath.exp(-2 * mp.pi ** 2 * k * k / T)
                for j in range(N + 1):
                    cj = w * a2 ** j / mpmath.factorial(2 * j)
                    pj = powers[j]
                    for i in range(j, N + 1):
                        comb[i] += cj * pj[i]
            g = ps_mul(g, comb, N)
            total = [norm * g[j] * (-1) ** j for j in range(N + 1)]
        else:
            x0 = mpmath.cos(TH)
            s0 = mpmath.sin(TH)
            # 1 - x^2 = s0^2 - 2 x0 h - h^2
            a = [s0 * s0, -2 * x0, mpf(-1)] + [mpf(0)] * (N - 2)
            a = a[: N + 1]
            rs = ps_recip(ps_sqrt(a, N), N)
            th = [TH] + [-rs[j - 1] / j for j in range(1, N + 1)]
            K = int(((dps + 10) * LN10 * 2 * t) ** 0.5 / (2 * math.pi)) + 2
            for k in range(-K, K + 1):
                u = list(th)
                u[0] = u[0] + twopi * k
                u2 = ps_mul(u, u, N)
                g = ps_exp([-c / (2 * T) for c in u2], N)
                total = [total[j] + g[j] for j in range(N + 1)]
            total = [norm * c for c in total]
        pref = (twopi) ** (-n) * mpmath.exp(mpf(n * n) * T / 2)
        p = pref * mpmath.factorial(n) * total[n]
        if theta == 0.0:
            dp = mpf(0)
        else:
            dp = -mpmath.sin(TH) * pref * mpmath.factorial(n + 1) * total[n + 1]
        return p, dp, {"images": 2 * K + 1, "dps_used": dps}


# --------------------------------------------------------------------------------------
# Method selection and checks
# --------------------------------------------------------------------------------------
def eigen_cost(theta, t, d):
    """Rough cost (terms x digits) of the eigen series."""
    dps = eigen_dps(theta, t)
    L = math.sqrt(2 * (dps * LN10 + theta * theta / (2 * t) + d * 10) / t)
    return L * dps, L


EIGEN_COST_CAP = 3.0e7


def run_adaptive(fn, dps0, step, max_tries=4):
    """Evaluate fn(dps) at dps0 and dps0+step; increase until the two agree to TARGET_DIGITS
    in p and dp (dp relative to max(|dp|, |p| * 1e-30) to allow dp = 0)."""
    dps = dps0
    a = fn(dps)
    for _ in range(max_tries):
        b = fn(dps + step)
        dig_p = agree_digits(a[0], b[0])
        with mp.workdps(CMP_DPS):
            scale = max(abs(a[1]), abs(b[1]), abs(b[0]) * mpf(10) ** -30)
            dig_d = 999.0 if a[1] == b[1] else float(-mpmath.log10(abs(a[1] - b[1]) / scale))
        if min(dig_p, dig_d) >= TARGET_DIGITS:
            return b, min(dig_p, dig_d), dps + step
        a = b
        dps += step
        step *= 2
    return b, min(dig_p, dig_d), dps


def compare(a, b):
    """(digits of agreement in log p, digits of agreement in dlogp), from (p, dp) pairs."""
    with mp.workdps(CMP_DPS):
        return _compare(a, b)


def _compare(a, b):
    la = mpmath.log(a[0])
    lb = mpmath.log(b[0])
    dig_logp = 999.0 if la == lb else float(-mpmath.log10(abs(la - lb) / max(abs(la), abs(lb), mpf(1))))
    sa = a[1] / a[0]
    sb = b[1] / b[0]
    if sa == sb:
        dig_s = 999.0
    else:
        dig_s = float(-mpmath.log10(abs(sa - sb) / max(abs(sa), abs(sb), mpf(10) ** -30)))
    return dig_logp, dig_s


def sphere_point(args):
    d, t, theta = args
    t0 = time.time()
    results = {}  # method -> (p, dp)
    checks = []  # (method_a, method_b, digits_logp, digits_dlogp)
    primary = None
    base = 50

    # --- eigen series (all d), if affordable
    cost, L = eigen_cost(theta, t, d)
    if cost < EIGEN_COST_CAP and L < 1.2e5:
        dps0 = eigen_dps(theta, t)
        step = max(30, dps0 // 10)
        (p, dp, info), dig, dps_used = run_adaptive(lambda q: sphere_eigen_any(d, theta, t, q), dps0, step)
        results["eigen"] = (p, dp)
        checks.append(("eigen@dps%d" % (dps_used - step), "eigen@dps%d" % dps_used, dig, dig))

    # --- independent methods
    if d == 1:
        (p, dp, info), dig, dps_used = run_adaptive(lambda q: circle_images(theta, t, q), base, 30)
        results["images"] = (p, dp)
        checks.append(("images@lo", "images@hi", dig, dig))
        primary = "images"
    elif d == 2:
        if t <= 10:
            (p, dp, info), dig, dps_used = run_adaptive(lambda q: s2_integral(theta, t, q), 32, 12, max_tries=2)
            results["s2_integral"] = (p, dp)
            checks.append(("s2_integral@lo", "s2_integral@hi", dig, dig))
        primary = "eigen" if "eigen" in results else "s2_integral"
    elif d == 3:
        if t <= 100:
            (p, dp, info), dig, dps_used = run_adaptive(lambda q: s3_paths(theta, t, q), base, 30)
            results["s3_paths"] = (p, dp)
            checks.append(("s3_paths@lo", "s3_paths@hi", dig, dig))
        primary = "s3_paths" if t <= 10 or "eigen" not in results else "eigen"
        if primary not in results:
            primary = "eigen"
    else:
        n = (d - 1) // 2
        ok = d % 2 == 1 and (n * n * t / 2) / LN10 < 1000
        if ok:
            (p, dp, info), dig, dps_used = run_adaptive(lambda q: odd_recursion(d, theta, t, q), base, 30, max_tries=2)
            results["odd_recursion"] = (p, dp)
            checks.append(("odd_recursion@lo", "odd_recursion@hi", dig, dig))
        primary = "eigen" if "eigen" in results else "odd_recursion"

    if primary not in results:
        raise RuntimeError("no method available for d=%d t=%r theta=%r" % (d, t, theta))
    names = sorted(results)
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            dl, ds = compare(results[names[i]], results[names[j]])
            checks.append((names[i], names[j], dl, ds))
    p, dp = results[primary]
    with mp.workdps(60):
        logp = mpmath.log(p)
        s = dp / p
    sys.stderr.write("sphere d=%d t=%r theta=%r  %.1f s\n" % (d, t, theta, time.time() - t0))
    sys.stderr.flush()
    return {"key": (d, t, theta), "logp": logp, "s": s, "primary": primary,
            "checks": checks, "seconds": time.time() - t0}


def circle_point(args):
    """1-D wrapped Gaussian factor for the torus: images (primary) and Fourier (check)."""
    t, x = args
    t0 = time.time()
    checks = []
    (p, dp, info), dig, _ = run_adaptive(lambda q: circle_images(x, t, q), 50, 30)
    checks.append(("images@lo", "images@hi", dig, dig))
    # distance to the nearest image of 0 controls the Fourier cancellation
    r = min(x, 2 * math.pi - x)
    cost, L = eigen_cost(r, t, 1)
    if cost < EIGEN_COST_CAP and L < 1.2e5:
        dps0 = eigen_dps(r, t)
        (pf, dpf, _), digf, _ = run_adaptive(lambda q: circle_fourier(x, t, q), dps0, max(30, dps0 // 10))
        checks.append(("fourier@lo", "fourier@hi", digf, digf))
        dl, ds = compare((p, dp), (pf, dpf))
        checks.append(("images", "fourier", dl, ds))
    with mp.workdps(60):
        logp = mpmath.log(p)
        s = dp / p
    sys.stderr.write("circle t=%r x=%r  %.1f s\n" % (t, x, time.time() - t0))
    sys.stderr.flush()
    return {"key": (t, x), "logp": logp, "s": s, "checks": checks, "seconds": time.time() - t0}


# --------------------------------------------------------------------------------------
# Normalisation checks (integral of p over the manifold = 1)
# --------------------------------------------------------------------------------------
def normalisation_checks():
    out = []
    mp.dps = 30
    for d, t, fn in [(3, 0.1, s3_paths), (3, 1.0, s3_paths), (2, 1.0, s2_integral),
                     (2, 0.3, sphere_eigen), (7, 0.3, sphere_eigen), (7, 0.05, odd_recursion)]:
        with mp.workdps(20):
            area = sphere_volume(d - 1)
            if fn is sphere_eigen:
                f = lambda th: fn(d, float(th), t, 40)[0] * mpmath.sin(th) ** (d - 1)
            elif fn is odd_recursion:
                f = lambda th: fn(d, float(th), t, 30)[0] * mpmath.sin(th) ** (d - 1)
            else:
                f = lambda th: fn(float(th), t, 20)[0] * mpmath.sin(th) ** (d - 1)
            tot = area * mpmath.quad(f, [0, 0.5, 1, 2, mp.pi])
            out.append((d, t, fn.__name__, tot - 1))
    return out


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------
def fmt(v):
    return mpmath.nstr(v, 20, min_fixed=-5, max_fixed=12)


def markdown_summary(cpath):
    """Markdown table of the minimum agreement per (manifold, check) over convergence_checks.csv."""
    agg = {}
    with open(cpath) as fh:
        next(fh)
        for line in fh:
            kind, d, t, arg, a, b, dl, ds, sec = line.strip().split(",")
            man = ("S^%s" % d) if kind == "sphere" else "T^1 factor"
            if "@" in a:
                check = "%s: two precisions" % a.split("@")[0]
            else:
                check = "%s vs %s" % (a, b)
            key = (man, check)
            cur = agg.get(key, [999.0, 999.0, 0, None, None])
            if float(dl) < cur[0]:
                cur[0], cur[3] = float(dl), (t, arg)
            if float(ds) < cur[1]:
                cur[1], cur[4] = float(ds), (t, arg)
            cur[2] += 1
            agg[key] = cur
    out = ["| manifold | check | points | min digits log p (at t, arg) | min digits score (at t, arg) |",
           "|---|---|---|---|---|"]
    order = {"S^1": 0, "S^2": 1, "S^3": 2, "S^7": 3, "S^127": 4, "T^1 factor": 5}
    for key in sorted(agg, key=lambda k: (order.get(k[0], 9), k[1])):
        v = agg[key]
        fmt_d = lambda x, w: (">= 80" if x >= 80 else "%.1f" % x) + ("" if w is None or x >= 80 else " (%s, %s)" % w)
        out.append("| %s | %s | %d | %s | %s |" % (key[0], key[1], v[2], fmt_d(v[0], v[3]), fmt_d(v[1], v[4])))
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--dims", default="1,2,3,7,127")
    ap.add_argument("--no-torus", action="store_true")
    ap.add_argument("--no-norm", action="store_true")
    args = ap.parse_args()
    dims = [int(s) for s in args.dims.split(",")]
    start = time.time()

    sphere_tasks = sphere_grid(dims)
    circle_tasks = []
    if not args.no_torus:
        xs = set()
        for t in T_MAIN:
            for x in X_VALUES:
                xs.add((t, x))
        for t in T_EXTRA:
            for x in X_EXTRA:
                xs.add((t, x))
        circle_tasks = sorted(xs)
    # expensive first
    sphere_tasks.sort(key=lambda a: -eigen_cost(a[2], a[1], a[0])[0] * (1 + a[0] / 10))

    with Pool(args.procs) as pool:
        sph = pool.map(sphere_point, sphere_tasks, chunksize=1)
        circ = pool.map(circle_point, circle_tasks, chunksize=1)
    sph_by = {r["key"]: r for r in sph}
    circ_by = {r["key"]: r for r in circ}

    # ---- sphere CSV (merge with an existing file for dimensions not recomputed)
    path = os.path.join(HERE, "sphere_heat_kernel.csv")
    rows = {}
    if os.path.exists(path):
        with open(path) as fh:
            next(fh)
            for line in fh:
                parts = line.strip().split(",")
                if len(parts) == 5 and int(parts[0]) not in dims:
                    rows[(int(parts[0]), float(parts[1]), float(parts[2]))] = line.strip()
    for (d, t, th), r in sph_by.items():
        rows[(d, t, th)] = "%d,%r,%r,%s,%s" % (d, t, th, fmt(r["logp"]), fmt(r["s"]))
    with open(path, "w") as fh:
        fh.write("d,t,theta,log_p,dlogp_dtheta\n")
        for key in sorted(rows):
            fh.write(rows[key] + "\n")

    # ---- torus CSV
    if circ_by:
        tpath = os.path.join(HERE, "torus_heat_kernel.csv")
        with open(tpath, "w") as fh:
            fh.write("d,t,x1,x2,log_p,s1,s2\n")
            for t in T_MAIN + T_EXTRA:
                xs = X_VALUES if t in T_MAIN else X_EXTRA
                for x in xs:
                    r = circ_by[(t, x)]
                    fh.write("1,%r,%r,0.0,%s,%s,0.0\n" % (t, x, fmt(r["logp"]), fmt(r["s"])))
            for t in T_MAIN + T_EXTRA:
                pairs = T2_PAIRS if t in T_MAIN else T2_EXTRA_PAIRS
                for (x1, x2) in pairs:
                    r1 = circ_by[(t, x1)]
                    r2 = circ_by[(t, x2)]
                    fh.write("2,%r,%r,%r,%s,%s,%s\n" % (t, x1, x2, fmt(r1["logp"] + r2["logp"]),
                                                        fmt(r1["s"]), fmt(r2["s"])))

    # ---- checks CSV
    cpath = os.path.join(HERE, "convergence_checks.csv")
    old = []
    if os.path.exists(cpath):
        with open(cpath) as fh:
            next(fh)
            for line in fh:
                parts = line.strip().split(",")
                if parts[0] == "sphere" and int(parts[1]) not in dims:
                    old.append(line.strip())
                if parts[0] == "torus1" and args.no_torus:
                    old.append(line.strip())
    with open(cpath, "w") as fh:
        fh.write("kind,d,t,arg,method_a,method_b,digits_log_p,digits_score,seconds\n")
        for line in old:
            fh.write(line + "\n")
        for r in sph:
            d, t, th = r["key"]
            for (a, b, dl, ds) in r["checks"]:
                fh.write("sphere,%d,%r,%r,%s,%s,%.1f,%.1f,%.2f\n" % (d, t, th, a, b, min(dl, 999), min(ds, 999), r["seconds"]))
        for r in circ:
            t, x = r["key"]
            for (a, b, dl, ds) in r["checks"]:
                fh.write("torus1,1,%r,%r,%s,%s,%.1f,%.1f,%.2f\n" % (t, x, a, b, min(dl, 999), min(ds, 999), r["seconds"]))

    # ---- summary
    print("sphere points: %d, circle factors: %d" % (len(sph), len(circ)))
    summary = {}
    for r in sph:
        d = r["key"][0]
        for (a, b, dl, ds) in r["checks"]:
            kind = (d, a.split("@")[0] + ("" if "@" not in a else "@lo/hi"), b.split("@")[0])
            cur = summary.get(kind, (999, 999, 0))
            summary[kind] = (min(cur[0], dl), min(cur[1], ds), cur[2] + 1)
    for r in circ:
        for (a, b, dl, ds) in r["checks"]:
            kind = ("T1", a.split("@")[0] + ("" if "@" not in a else "@lo/hi"), b.split("@")[0])
            cur = summary.get(kind, (999, 999, 0))
            summary[kind] = (min(cur[0], dl), min(cur[1], ds), cur[2] + 1)
    print("min agreeing digits (log p, score) per check kind:")
    for kind in sorted(summary, key=str):
        print("  %-40s log_p %6.1f  score %6.1f  (%d points)" % (str(kind), summary[kind][0], summary[kind][1], summary[kind][2]))
    slow = sorted(sph + circ, key=lambda r: -r["seconds"])[:5]
    print("slowest points:", [(r["key"], round(r["seconds"], 1)) for r in slow])
    print()
    print(markdown_summary(cpath))
    if not args.no_norm:
        for (d, t, name, err) in normalisation_checks():
            print("normalisation d=%d t=%g %s: integral - 1 = %s" % (d, t, name, mpmath.nstr(err, 5)))
    print("total runtime %.1f s" % (time.time() - start))


if __name__ == "__main__":
    main()
