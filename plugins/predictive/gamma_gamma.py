"""The Gamma-Gamma model of spend per purchase (Fader & Hardie 2013, "The
Gamma-Gamma Model of Monetary Value"; Colombo & Jiang 1999).

A customer's purchases are gamma(p, ν) in value; ν is gamma(q, γ) across
customers, so the customer's mean spend p/ν varies around the population
mean pγ/(q-1). A customer is summarized by ``x`` (the number of purchases
averaged, repeat purchases in the note's convention) and ``m`` (their mean
value). The model assumes spend does not depend on how often one buys.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy import special

from .mle import Fit, dot, maximize

NAMES = ("p", "q", "gamma")


@dataclasses.dataclass(frozen=True)
class GammaGamma:
    """Fitted Gamma-Gamma parameters (``gamma`` in the currency of the data)."""

    p: float
    q: float
    gamma: float

    def as_dict(self):
        return dataclasses.asdict(self)

    @property
    def population_mean(self):
        """Mean spend per purchase across customers; infinite for q <= 1."""
        return self.p * self.gamma / (self.q - 1) if self.q > 1 else float("inf")


def log_likelihood(params, x, m):
    """Each customer's log-likelihood of their mean spend ``m`` over ``x``
    purchases (the density of the mean, as in the note's equation 3)."""
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    p, q, g = params.p, params.q, params.gamma
    px = p * x
    return (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(g)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(g + m * x)
    )


def _objective(x, m):
    """Negative mean log-likelihood and its gradient in log-parameters; the
    gamma and digamma terms depend on ``x`` only and are evaluated once per
    distinct x (counted per x)."""
    log_m, log_x, n = np.log(m), np.log(x), x.size
    xs, index = np.unique(x, return_inverse=True)
    per_x = np.bincount(index.ravel()).astype(float)
    x_log_mx = dot(x, log_m + log_x)
    sum_log_m = log_m.sum()

    def neg_mean_ll_and_grad(theta):
        p, q, g = np.exp(theta)
        pxs = p * xs
        log_gmx = np.log(g + m * x)
        psi_pxq = special.digamma(pxs + q)
        weight = dot(p * x + q, log_gmx)
        ll = (
            dot(per_x, special.gammaln(pxs + q) - special.gammaln(pxs))
            - n * special.gammaln(q)
            + n * q * np.log(g)
            + p * x_log_mx
            - sum_log_m
            - weight
        )
        d_p = dot(per_x, xs * (psi_pxq - special.digamma(pxs))) + x_log_mx - dot(x, log_gmx)
        d_q = dot(per_x, psi_pxq) - n * special.digamma(q) + n * np.log(g) - log_gmx.sum()
        d_g = n * q / g - dot(p * x + q, 1 / (g + m * x))
        grad = -np.array([p * d_p, q * d_q, g * d_g]) / n
        return -ll / n, grad

    return neg_mean_ll_and_grad


def fit(x, m, start=None):
    """Maximum-likelihood Gamma-Gamma parameters for customers with ``x`` > 0
    purchases averaging ``m`` > 0. Values are rescaled to a mean of 1 while
    fitting (only gamma depends on the currency unit)."""
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    if x.size == 0:
        raise ValueError("Gamma-Gamma needs at least one customer with repeat purchases")
    if np.any(x <= 0) or np.any(m <= 0):
        raise ValueError("Gamma-Gamma needs x > 0 purchases with a positive mean value")
    scale = float(m.mean())
    if start is None:
        # p = q = 2 gives a population mean of 2 * gamma and a moderate
        # spread; gamma = 1/2 puts that mean at the observed one.
        start = (2.0, 2.0, 0.5)
    else:
        start = (start[0], start[1], start[2] / scale)
    estimate = maximize(_objective(x, m / scale), start, NAMES)
    p, q, g = estimate.values
    params = GammaGamma(float(p), float(q), float(g * scale))
    return Fit.of(params, log_likelihood(params, x, m).sum(), x.size, estimate)


def expected_spend(params, x, m):
    """Expected value of the customer's next purchase given ``x`` purchases
    averaging ``m`` (the note's equation 5): a weighted mean of the
    population mean and the customer's own mean. ``x = 0`` gives the
    population mean. Needs ``q > 1``."""
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    p, q, g = params.p, params.q, params.gamma
    return p * (g + x * np.where(x > 0, m, 0.0)) / (p * x + q - 1)
