"""The BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005,
"Counting Your Customers the Easy Way", Marketing Science 24(2)).

While active, a customer buys at a Poisson rate λ (gamma(r, α) across
customers); after each repeat purchase they drop out for good with
probability p (beta(a, b) across customers). A customer's history is
summarized by ``x`` (repeat purchases), ``t_x`` (time of the last purchase)
and ``T`` (time observed), all times measured from their first purchase in
one unit (the plugin uses days; the CDNOW validation uses weeks).

Everything is vectorized over customers and computed in log space.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy import special

from .mle import Fit, dot, maximize

NAMES = ("r", "alpha", "a", "b")
# P(alive) and the conditional expectation divide by a - 1; at exactly 1
# the expression has a removable singularity, stepped around by this much.
A_NEAR_ONE = 1e-7


@dataclasses.dataclass(frozen=True)
class BgNbd:
    """Fitted BG/NBD parameters (``alpha`` in the unit of the data)."""

    r: float
    alpha: float
    a: float
    b: float

    def as_dict(self):
        return dataclasses.asdict(self)


def _arrays(*columns):
    return [np.asarray(c, dtype=float) for c in columns]


def _log_terms(r, alpha, a, b, x, t_x, T):
    """The two halves of the likelihood's last factor, in logs: alive at T
    (A3), and dropped out right after the last purchase (A4, only x > 0)."""
    repeat = x > 0
    log_alive = -(r + x) * np.log(alpha + T)
    b_x1 = np.where(repeat, b + x - 1, 1.0)
    log_dead = np.where(repeat, np.log(a) - np.log(b_x1) - (r + x) * np.log(alpha + t_x), -np.inf)
    return log_alive, log_dead, b_x1


def log_likelihood(params, x, t_x, T):
    """Each customer's log-likelihood (FHL 2005, equation 6)."""
    x, t_x, T = _arrays(x, t_x, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    log_alive, log_dead, _ = _log_terms(r, alpha, a, b, x, t_x, T)
    return (
        special.gammaln(r + x)
        - special.gammaln(r)
        + r * np.log(alpha)
        + special.betaln(a, b + x)
        - special.betaln(a, b)
        + np.logaddexp(log_alive, log_dead)
    )


def _objective(x, t_x, T, weights):
    """Negative mean log-likelihood and its gradient in log-parameters.

    Terms that depend on the history only through ``x`` (the gamma, beta and
    digamma functions) are evaluated once per distinct x with the weights
    summed per x: a store has a few dozen distinct purchase counts, so only
    logarithms and exponentials remain per customer."""
    total = weights.sum()
    xs, index = np.unique(x, return_inverse=True)
    index = index.ravel()
    per_x = np.bincount(index, weights=weights)
    repeat = x > 0

    def neg_mean_ll_and_grad(theta):
        r, alpha, a, b = np.exp(theta)
        b_x1 = np.where(xs > 0, b + xs - 1, 1.0)
        log_alive = -(r + x) * np.log(alpha + T)
        log_dead = np.where(repeat, (np.log(a) - np.log(b_x1))[index] - (r + x) * np.log(alpha + t_x), -np.inf)
        log_tail = np.logaddexp(log_alive, log_dead)
        w_alive = weights * np.exp(log_alive - log_tail)
        w_dead = weights * np.exp(log_dead - log_tail)
        ll = dot(
            per_x,
            special.gammaln(r + xs)
            - special.gammaln(r)
            + r * np.log(alpha)
            + special.betaln(a, b + xs)
            - special.betaln(a, b),
        ) + dot(weights, log_tail)
        psi_ab, psi_abx = special.digamma(a + b), special.digamma(a + b + xs)
        d_r = dot(per_x, special.digamma(r + xs) - special.digamma(r) + np.log(alpha)) - (
            dot(w_alive, np.log(alpha + T)) + dot(w_dead, np.log(alpha + t_x))
        )
        d_alpha = total * r / alpha - dot(r + x, w_alive / (alpha + T) + w_dead / (alpha + t_x))
        d_a = dot(per_x, psi_ab - psi_abx) + w_dead.sum() / a
        d_b = dot(per_x, special.digamma(b + xs) - psi_abx - special.digamma(b) + psi_ab) - dot(
            w_dead, (1 / b_x1)[index]
        )
        # Chain rule for log-parameters: d/dlog(p) = p * d/dp.
        grad = -np.array([r * d_r, alpha * d_alpha, a * d_a, b * d_b]) / total
        return -ll / total, grad

    return neg_mean_ll_and_grad


def fit(x, t_x, T, start=None):
    """Maximum-likelihood BG/NBD parameters for customers ``(x, t_x, T)``.

    Identical histories are grouped first (most one-time buyers share one),
    and times are rescaled to a mean observation of 1 while fitting, so the
    optimizer sees parameters of order one whatever the time unit."""
    x, t_x, T = _arrays(x, t_x, T)
    if x.size == 0:
        raise ValueError("BG/NBD needs at least one customer")
    if np.any(x < 0) or np.any(t_x < 0) or np.any(t_x > T) or np.any((x > 0) & (t_x <= 0)):
        raise ValueError("BG/NBD needs 0 <= t_x <= T, and t_x > 0 for repeat buyers")
    rows, weights = np.unique(np.column_stack([x, t_x, T]), axis=0, return_counts=True)
    scale = float(T.mean()) or 1.0
    ux, ut_x, uT = rows[:, 0], rows[:, 1] / scale, rows[:, 2] / scale
    weights = weights.astype(float)
    if start is None:
        # The purchase rate of a typical customer (r / alpha) set to the
        # observed repeat rate; dropout starts at a mean probability of 1/3.
        rate = max(float(dot(weights, ux)) / float(dot(weights, uT)), 1e-3)
        start = (1.0, 1.0 / rate, 1.0, 2.0)
    else:
        start = (start[0], start[1] / scale, start[2], start[3])
    estimate = maximize(_objective(ux, ut_x, uT, weights), start, NAMES)
    r, alpha, a, b = estimate.values
    params = BgNbd(float(r), float(alpha * scale), float(a), float(b))
    return Fit.of(params, log_likelihood(params, x, t_x, T).sum(), x.size, estimate)


def _log_odds_dead(params, x, t_x, T):
    """log P(dropped out at t_x) - log P(alive at T), given the history."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    log_alive, log_dead, _ = _log_terms(r, alpha, a, b, x, t_x, T)
    return log_dead - log_alive


def p_alive(params, x, t_x, T):
    """P(the customer is still active at T | x, t_x, T) (Fader, Hardie &
    Lee 2008, "Computing P(alive) using the BG/NBD model"). Always 1 for a
    customer with no repeat purchase: in this model dropout happens only
    right after a repeat purchase."""
    x, t_x, T = _arrays(x, t_x, T)
    return special.expit(-_log_odds_dead(params, x, t_x, T))


def expected_purchases(params, t, x, t_x, T):
    """Expected number of purchases in the next ``t`` time units given the
    history (FHL 2005, equation 10): P(alive) times what an active customer
    is expected to buy."""
    x, t_x, T = _arrays(x, t_x, T)
    return p_alive(params, x, t_x, T) * expected_if_alive(params, t, x, T)


def expected_if_alive(params, t, x, T):
    """Expected purchases in the next ``t`` for a customer active at ``T``.

    Computed with the Gauss hypergeometric function in Euler's transformed
    form, (1-z)^(r+x) 2F1(r+x, b+x; c; z) = (1-z)^(a-1) 2F1(a+b-1-r, a-1; c; z)
    with c = a+b+x-1, whose first two parameters do not grow with x. scipy's
    2F1 still fails in corners (z near 1 with a large c, a huge r from an
    almost homogeneous store): any result that is not finite or breaks the
    bound 0 <= E <= E[rate] t is recomputed by quadrature over the dropout
    probability (:func:`_expected_if_alive_by_quadrature`)."""
    x, T = _arrays(x, T)
    t = np.broadcast_to(np.asarray(t, dtype=float), np.broadcast(x, T).shape)
    x, T = np.broadcast_arrays(x, T)
    r, alpha, b = params.r, params.alpha, params.b
    a = params.a
    if abs(a - 1.0) < A_NEAR_ONE:
        a = 1.0 + A_NEAR_ONE
    c = a + b + x - 1
    z = t / (alpha + T + t)
    with np.errstate(all="ignore"):
        bracket = 1.0 - ((alpha + T) / (alpha + T + t)) ** (a - 1) * special.hyp2f1(a + b - 1 - r, a - 1, c, z)
        value = np.asarray(c / (a - 1) * bracket, dtype=float)
    bound = (r + x) / (alpha + T) * t
    bad = ~np.isfinite(value) | (value < -1e-9 * bound) | (value > bound * (1 + 1e-9))
    if np.any(bad):
        value = value.copy()
        value[bad] = _expected_if_alive_by_quadrature(params, t[bad], x[bad], T[bad])
    return np.clip(value, 0.0, bound)


#: Gauss-Jacobi nodes per quadrature (the fallback above).
QUADRATURE_NODES = 64


def _jacobi_rule(alpha_j, beta_j, n=QUADRATURE_NODES):
    """Nodes on [-1, 1] and normalized weights for the weight function
    (1-u)^alpha_j (1+u)^beta_j, by Golub-Welsch. Normalized from the
    eigenvectors, so no Beta-function constant can overflow (scipy's
    roots_jacobi does for alpha_j beyond ~1000)."""
    from scipy.linalg import eigh_tridiagonal

    k = np.arange(n, dtype=float)
    s = 2 * k + alpha_j + beta_j
    with np.errstate(all="ignore"):
        diagonal = np.where(
            k == 0, (beta_j - alpha_j) / (alpha_j + beta_j + 2), (beta_j**2 - alpha_j**2) / (s * (s + 2))
        )
    k1 = k[1:]
    s1 = 2 * k1 + alpha_j + beta_j
    off = np.sqrt(4 * k1 * (k1 + alpha_j) * (k1 + beta_j) * (k1 + alpha_j + beta_j) / (s1**2 * (s1 + 1) * (s1 - 1)))
    nodes, vectors = eigh_tridiagonal(diagonal, off)
    return nodes, vectors[0] ** 2


def _expected_if_alive_by_quadrature(params, t, x, T):
    """E over the posterior dropout probability p ~ beta(a, b+x) of
    (1 - ((alpha+T) / (alpha+T+p t))^(r+x)) / p: the rate was integrated out
    in closed form, and an active customer with rate λ and dropout p buys
    (1 - exp(-λ p t)) / p in expectation (FHL 2005, equation 7)."""
    out = np.empty_like(t)
    for value in np.unique(x):
        rows = x == value
        nodes, weights = _jacobi_rule(params.b + value - 1, params.a - 1)
        p = (1 + nodes[None, :]) / 2
        k = (t[rows] / (params.alpha + T[rows]))[:, None]
        # 1 - (1 + k p)^-(r+x), kept accurate for tiny k p.
        gained = -np.expm1(-(params.r + value) * np.log1p(k * p))
        out[rows] = np.einsum("ij,j->i", gained / p, weights)
    return out


def median_wait(params, x, T):
    """Median time from T to the next purchase, for a customer who is still
    active. Given activity, the purchase rate is gamma(r + x, alpha + T)
    a posteriori and the wait exponential, so the wait is Lomax
    distributed: P(wait > w) = ((alpha+T) / (alpha+T+w))^(r+x)."""
    x, T = _arrays(x, T)
    shape = params.r + x
    with np.errstate(over="ignore"):
        return (params.alpha + T) * np.expm1(np.log(2.0) / shape)


def expected_repeat_histogram(params, T, bins):
    """Expected number of customers with 0, 1, ..., bins-2 repeat purchases,
    and with bins-1 or more, each over their own observation time T
    (FHL 2005, equation 8, summed over customers)."""
    T = np.asarray(T, dtype=float)
    times, counts = np.unique(T, return_counts=True)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    j = np.arange(bins - 1, dtype=float)[:, None]
    t = times[None, :]
    log_nbd = (
        special.gammaln(r + j)
        - special.gammaln(r)
        - special.gammaln(j + 1)
        + r * np.log(alpha / (alpha + t))
        + special.xlogy(j, t / (alpha + t))
    )
    nbd = np.exp(log_nbd)
    below = np.vstack([np.zeros_like(times)[None, :], np.cumsum(nbd, axis=0)[:-1]])  # sum_{i<j} nbd_i
    alive_part = np.exp(special.betaln(a, b + j) - special.betaln(a, b)) * nbd
    dead_part = np.where(
        j > 0, np.exp(special.betaln(a + 1, b + np.maximum(j, 1) - 1) - special.betaln(a, b)) * (1 - below), 0.0
    )
    expected = np.einsum("ij,j->i", alive_part + dead_part, counts.astype(float))
    return np.append(expected, counts.sum() - expected.sum())
