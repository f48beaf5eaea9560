"""Per-customer figures from fitted models, and the fit's goodness of fit.
Pure numpy: the database side lives in ``history`` and ``refit``."""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy import stats

from . import bgnbd, gamma_gamma

DAYS_PER_MONTH = 365.25 / 12
#: A next order further away than this is shown as "not expected soon".
MAX_NEXT_ORDER_DAYS = 5 * 365
#: Histogram of repeat purchases: 0, 1, ..., 6 and "7 or more" (as in the paper's figure).
HISTOGRAM_BINS = 8
#: Chi-square cells are merged from the top until each expects this many customers.
MIN_EXPECTED_PER_CELL = 5.0


@dataclasses.dataclass
class Scores:
    """Arrays aligned with the history's customers."""

    expected_orders: np.ndarray
    p_alive: np.ndarray
    expected_spend: np.ndarray
    predicted_clv: np.ndarray
    next_order_in_days: np.ndarray  # NaN when not expected within MAX_NEXT_ORDER_DAYS


def expected_spend(history, gg):
    """Expected value of a purchase day per customer: Gamma-Gamma's
    conditional mean when the model has a finite population mean (q > 1);
    otherwise each customer's own mean purchase value (logged in the run)."""
    if gg is not None and gg.q > 1:
        return gamma_gamma.expected_spend(gg, history.x, history.repeat_mean_value)
    return history.total_value / history.purchase_days


def score(history, bg, gg, horizon_months, monthly_discount_rate):
    """Expected purchases over the horizon, P(alive), discounted predicted
    value, and the median days to the next purchase (if still active).

    Predicted value sums, month by month, the purchases expected in that
    month times the expected spend, divided by (1 + rate)^month."""
    x, t_x, T = history.x, history.t_x, history.T
    # Customers with the same history get the same figures: compute each
    # distinct (x, t_x, T) once (most one-time buyers share a handful).
    rows, inverse = np.unique(np.column_stack([x, t_x, T]), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    ux, ut_x, uT = rows[:, 0], rows[:, 1], rows[:, 2]
    month_ends = np.arange(1, horizon_months + 1) * DAYS_PER_MONTH
    cumulative = np.vstack([bgnbd.expected_purchases(bg, t, ux, ut_x, uT) for t in month_ends])
    per_month = np.diff(cumulative, axis=0, prepend=0.0)
    discount = (1.0 + monthly_discount_rate) ** -np.arange(1, horizon_months + 1)
    discounted_purchases = np.einsum("m,mi->i", discount, per_month)[inverse]
    wait = bgnbd.median_wait(bg, ux, uT)[inverse]
    spend = expected_spend(history, gg)
    return Scores(
        expected_orders=cumulative[-1][inverse],
        p_alive=bgnbd.p_alive(bg, ux, ut_x, uT)[inverse],
        expected_spend=spend,
        predicted_clv=discounted_purchases * spend,
        next_order_in_days=np.where(wait <= MAX_NEXT_ORDER_DAYS, wait, np.nan),
    )


def repeat_purchase_check(history, bg):
    """Actual vs expected number of customers by repeat purchases in their
    own observation window, with a chi-square test (cells merged from the
    top until each expects at least MIN_EXPECTED_PER_CELL customers;
    degrees of freedom = cells - 1 - 4 parameters)."""
    expected = bgnbd.expected_repeat_histogram(bg, history.T, HISTOGRAM_BINS)
    actual = np.bincount(np.minimum(history.x.astype(int), HISTOGRAM_BINS - 1), minlength=HISTOGRAM_BINS)
    cells_expected, cells_actual = list(expected), list(actual.astype(float))
    while len(cells_expected) > 1 and cells_expected[-1] < MIN_EXPECTED_PER_CELL:
        top_expected, top_actual = cells_expected.pop(), cells_actual.pop()
        cells_expected[-1] += top_expected
        cells_actual[-1] += top_actual
    e, o = np.array(cells_expected), np.array(cells_actual)
    chi_square = float(np.sum((o - e) ** 2 / np.maximum(e, 1e-12)))
    dof = len(e) - 1 - 4
    labels = [str(i) for i in range(HISTOGRAM_BINS - 1)] + [f"{HISTOGRAM_BINS - 1}+"]
    return {
        "histogram": [
            {"repeat_purchases": label, "actual": int(a), "expected": round(float(x), 2)}
            for label, a, x in zip(labels, actual, expected)
        ],
        "chi_square": round(chi_square, 3),
        "degrees_of_freedom": dof,
        "p_value": round(float(stats.chi2.sf(chi_square, dof)), 4) if dof > 0 else None,
    }


def spend_check(history, gg):
    """How well the Gamma-Gamma fit describes spend: the mean over repeat
    buyers of their mean purchase value, observed and implied by the model,
    and the frequency-spend correlation the model assumes to be near zero."""
    repeat = (history.x > 0) & (history.repeat_mean_value > 0)
    x, m = history.x[repeat], history.repeat_mean_value[repeat]
    correlation = float(np.corrcoef(x, m)[0, 1]) if x.size > 2 and x.std() > 0 and m.std() > 0 else None
    return {
        "observed_mean_spend": round(float(m.mean()), 2) if x.size else None,
        "model_mean_spend": round(gg.population_mean, 2) if gg is not None and gg.q > 1 else None,
        "frequency_spend_correlation": round(correlation, 3) if correlation is not None else None,
    }
