"""Maximum likelihood in log-parameters, shared by the BG/NBD and
Gamma-Gamma fits: L-BFGS-B on the negative mean log-likelihood with its
analytic gradient, parameters kept positive and bounded by optimizing their
logarithms between fixed limits."""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy import optimize

#: log-parameter limits: every parameter stays within [e^-LOG_LIMIT, e^LOG_LIMIT].
LOG_LIMIT = 11.5
# A parameter this close to a limit is reported as "at its bound": the data
# hardly informs it (e.g. no sign of dropout at all).
BOUND_SLACK = 1e-3
# The largest mean log-likelihood slope (per log-parameter) still called converged.
GRADIENT_TOLERANCE = 1e-4


def dot(a, b):
    """The inner product of two vectors without BLAS. numpy's ``@`` calls
    OpenBLAS, whose threaded dot product costs milliseconds on a busy
    two-core machine (thread hand-offs) where this loop takes microseconds;
    the fits call it thousands of times."""
    return np.einsum("i,i->", a, b)


@dataclasses.dataclass
class Estimate:
    """What an optimizer run found: ``values`` in the (scaled) parameter
    space it was given, whether it converged, and the names of parameters
    stuck at a limit."""

    values: np.ndarray
    mean_log_likelihood: float
    converged: bool
    iterations: int
    message: str
    at_bounds: list


@dataclasses.dataclass
class Fit:
    """A fitted model: its parameters (natural units) and how the fit went."""

    params: object
    log_likelihood: float
    customers: int
    converged: bool
    iterations: int
    message: str
    at_bounds: list

    @classmethod
    def of(cls, params, log_likelihood, customers, estimate):
        return cls(
            params=params,
            log_likelihood=float(log_likelihood),
            customers=int(customers),
            converged=bool(estimate.converged),
            iterations=estimate.iterations,
            message=estimate.message,
            at_bounds=estimate.at_bounds,
        )


def maximize(neg_mean_ll_and_grad, start, names, max_iter=2000):
    """Maximize a mean log-likelihood over positive parameters.

    :param neg_mean_ll_and_grad: ``f(log_params) -> (value, gradient)`` of
        the negative mean log-likelihood, the gradient taken with respect to
        the log-parameters.
    :param start: starting values (positive, natural scale).
    :param names: parameter names, for the report of bounds reached.
    """
    bounds = [(-LOG_LIMIT, LOG_LIMIT)] * len(start)
    theta0 = np.clip(np.log(np.asarray(start, dtype=float)), -LOG_LIMIT, LOG_LIMIT)
    result = optimize.minimize(
        neg_mean_ll_and_grad,
        theta0,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": max_iter, "ftol": 1e-14, "gtol": 1e-9},
    )
    at_bounds = [name for name, value in zip(names, result.x) if abs(abs(value) - LOG_LIMIT) < BOUND_SLACK]
    # L-BFGS-B stops with "ABNORMAL" when the line search cannot improve on a
    # point that is already optimal to machine precision; a small gradient
    # there is a converged fit. "Small" is per customer and per unit of
    # log-parameter: on a flat ridge (customers with no sign of dropout,
    # where the likelihood keeps rising slowly towards a limit) SciPy 1.17
    # stops there with a gradient near 3e-5, a fit as good as it gets.
    converged = bool(result.success) or float(np.max(np.abs(result.jac))) < GRADIENT_TOLERANCE
    return Estimate(
        values=np.exp(result.x),
        mean_log_likelihood=-float(result.fun),
        converged=converged and np.all(np.isfinite(result.x)),
        iterations=int(result.nit),
        message=str(result.message),
        at_bounds=at_bounds,
    )
