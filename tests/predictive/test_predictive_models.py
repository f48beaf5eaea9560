"""The models' mathematics, on synthetic data with known parameters: the
fits recover them, the analytic gradients are right, and the per-customer
formulas agree with their textbook forms."""

import numpy as np
import pytest
from scipy import optimize, special

from plugins.predictive import bgnbd, gamma_gamma, mle

# With 20,000 simulated customers the maximum-likelihood estimates land
# within a few percent of the truth; the tolerance below leaves room for
# sampling error (stated in docs/predictive.md).
SYNTHETIC_CUSTOMERS = 20_000
SYNTHETIC_TOLERANCE = 0.10


def simulate_bgnbd(params, n, rng):
    """(x, t_x, T) from the BG/NBD story: Poisson purchases at a gamma rate,
    dropout after each repeat purchase with a beta probability; each customer
    observed for 20 to 80 weeks after their first purchase."""
    rate = rng.gamma(params.r, 1 / params.alpha, n)
    dropout = rng.beta(params.a, params.b, n)
    T = rng.uniform(20, 80, n)
    x, t_x, t = np.zeros(n), np.zeros(n), np.zeros(n)
    active = np.ones(n, dtype=bool)
    while active.any():
        idx = np.flatnonzero(active)
        t[idx] += rng.exponential(1 / rate[idx])
        bought = idx[t[idx] <= T[idx]]
        x[bought] += 1
        t_x[bought] = t[bought]
        active[:] = False
        active[bought] = rng.random(bought.size) >= dropout[bought]
    return x, t_x, T


def simulate_gamma_gamma(params, n, rng):
    """(x, mean value) for customers with 1 to 10 purchases of gamma(p, ν)
    value, ν gamma(q, γ) across customers."""
    nu = rng.gamma(params.q, 1 / params.gamma, n)
    x = rng.integers(1, 11, n)
    totals = rng.gamma(params.p * x, 1 / nu)  # a sum of x gamma(p, ν) values
    return x.astype(float), totals / x


def assert_close(found, truth, tolerance):
    for name, expected in truth.as_dict().items():
        got = found.as_dict()[name]
        assert got == pytest.approx(expected, rel=tolerance), f"{name}: {got} vs {expected}"


def test_bgnbd_recovers_known_parameters():
    truth = bgnbd.BgNbd(r=0.6, alpha=8.0, a=0.9, b=3.0)
    x, t_x, T = simulate_bgnbd(truth, SYNTHETIC_CUSTOMERS, np.random.default_rng(2005))
    fit = bgnbd.fit(x, t_x, T)
    assert fit.converged and fit.at_bounds == []
    assert_close(fit.params, truth, SYNTHETIC_TOLERANCE)
    # The truth is less likely than the optimum, as a maximum must be.
    assert bgnbd.log_likelihood(truth, x, t_x, T).sum() < fit.log_likelihood


def test_gamma_gamma_recovers_known_parameters():
    truth = gamma_gamma.GammaGamma(p=5.0, q=4.0, gamma=20.0)
    x, m = simulate_gamma_gamma(truth, SYNTHETIC_CUSTOMERS, np.random.default_rng(2013))
    fit = gamma_gamma.fit(x, m)
    assert fit.converged
    assert_close(fit.params, truth, SYNTHETIC_TOLERANCE)


def test_fits_do_not_depend_on_units():
    """Days instead of weeks scales alpha by 7 and leaves the rest; cents
    instead of dollars scales gamma by 100."""
    rng = np.random.default_rng(7)
    x, t_x, T = simulate_bgnbd(bgnbd.BgNbd(0.5, 5.0, 0.8, 2.5), 3000, rng)
    weeks, days = bgnbd.fit(x, t_x, T).params, bgnbd.fit(x, t_x * 7, T * 7).params
    assert days.alpha == pytest.approx(weeks.alpha * 7, rel=1e-4)
    assert (days.r, days.a, days.b) == pytest.approx((weeks.r, weeks.a, weeks.b), rel=1e-4)
    x, m = simulate_gamma_gamma(gamma_gamma.GammaGamma(4.0, 3.0, 10.0), 3000, rng)
    dollars, cents = gamma_gamma.fit(x, m).params, gamma_gamma.fit(x, m * 100).params
    assert cents.gamma == pytest.approx(dollars.gamma * 100, rel=1e-4)
    assert (cents.p, cents.q) == pytest.approx((dollars.p, dollars.q), rel=1e-4)


def test_analytic_gradients_match_finite_differences():
    rng = np.random.default_rng(3)
    x, t_x, T = simulate_bgnbd(bgnbd.BgNbd(0.5, 5.0, 0.8, 2.5), 500, rng)
    objective = bgnbd._objective(x, t_x, T, np.ones_like(x))
    theta = np.log([0.7, 3.0, 1.3, 4.0])
    numeric = optimize.approx_fprime(theta, lambda t: objective(t)[0], 1e-7)
    assert objective(theta)[1] == pytest.approx(numeric, rel=1e-4, abs=1e-7)
    xs, m = simulate_gamma_gamma(gamma_gamma.GammaGamma(4.0, 3.0, 10.0), 500, rng)
    objective = gamma_gamma._objective(xs, m / m.mean())
    theta = np.log([2.0, 2.5, 0.6])
    numeric = optimize.approx_fprime(theta, lambda t: objective(t)[0], 1e-7)
    assert objective(theta)[1] == pytest.approx(numeric, rel=1e-4, abs=1e-7)


def test_p_alive():
    params = bgnbd.BgNbd(0.243, 4.414, 0.793, 2.426)
    # No repeat purchase: the model has no dropout to suspect.
    assert bgnbd.p_alive(params, 0, 0, 30) == 1.0
    # The longer the silence since the last purchase, the less likely alive.
    silence = bgnbd.p_alive(params, [3, 3, 3], [10, 10, 10], [12, 25, 50])
    assert silence[0] > silence[1] > silence[2] > 0
    # The textbook ratio form (Fader, Hardie & Lee 2008).
    x, t_x, T = 3.0, 10.0, 25.0
    ratio = params.a / (params.b + x - 1) * ((params.alpha + T) / (params.alpha + t_x)) ** (params.r + x)
    assert silence[1] == pytest.approx(1 / (1 + ratio), rel=1e-12)


def test_expected_purchases_matches_the_paper_form():
    """Euler's transformation changes nothing numerically where the paper's
    form (equation 10) is still computable, and stays finite where it is not."""
    params = bgnbd.BgNbd(0.243, 4.414, 0.793, 2.426)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    x, t_x, T, t = np.array([0.0, 1, 2, 7]), np.array([0.0, 2, 30.43, 35]), np.array([38.86] * 4), 39.0
    z = t / (alpha + T + t)
    paper = (
        (a + b + x - 1)
        / (a - 1)
        * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * special.hyp2f1(r + x, b + x, a + b + x - 1, z))
        / (1 + (x > 0) * a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))
    )
    assert bgnbd.expected_purchases(params, t, x, t_x, T) == pytest.approx(paper, rel=1e-9)
    # The paper's worked example: x=2, t_x=30.43, T=38.86 expects 1.226 in 39 weeks.
    assert bgnbd.expected_purchases(params, 39, 2, 30.43, 38.86) == pytest.approx(1.226, abs=5e-4)
    # A customer buying 20 times a week: the paper's factors overflow, the
    # transformed form does not and stays under what their rate allows.
    x, t_x, T, t = 60_000.0, 2999.95, 3000.0, 52.0
    with np.errstate(over="ignore"):
        assert not np.isfinite(special.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t)))
    heavy = bgnbd.expected_purchases(params, t, x, t_x, T)
    assert 0.9 * (r + x) / (alpha + T) * t < heavy < (r + x) / (alpha + T) * t
    # a = 1 is a removable singularity, stepped around.
    near = [bgnbd.expected_purchases(bgnbd.BgNbd(r, alpha, a_, b), 39, 2, 30.43, 38.86) for a_ in (1 - 1e-4, 1.0)]
    assert near[1] == pytest.approx(near[0], rel=1e-3)


def test_expected_purchases_match_a_simulation():
    """Customers simulated forward from their history buy, on average, what
    the conditional expectation says."""
    rng = np.random.default_rng(11)
    params = bgnbd.BgNbd(0.6, 8.0, 0.9, 3.0)
    x, t_x, T = 4.0, 30.0, 50.0
    n, horizon = 200_000, 52.0
    # Alive at T with P(alive); then a rate from its posterior gamma(r+x, alpha+T).
    alive = rng.random(n) < bgnbd.p_alive(params, x, t_x, T)
    rate = rng.gamma(params.r + x, 1 / (params.alpha + T), n)
    # The dropout probability's posterior given survival of x repeat purchases is beta(a, b+x).
    dropout = rng.beta(params.a, params.b + x, n)
    count, t = np.zeros(n), np.zeros(n)
    active = alive.copy()
    while active.any():
        idx = np.flatnonzero(active)
        t[idx] += rng.exponential(1 / rate[idx])
        bought = idx[t[idx] <= horizon]
        count[bought] += 1
        active[:] = False
        active[bought] = rng.random(bought.size) >= dropout[bought]
    expected = bgnbd.expected_purchases(params, horizon, x, t_x, T)
    assert count.mean() == pytest.approx(expected, rel=0.02)


def test_median_wait_halves_the_survival():
    params = bgnbd.BgNbd(0.6, 8.0, 0.9, 3.0)
    x, T = np.array([0.0, 3.0]), np.array([10.0, 40.0])
    wait = bgnbd.median_wait(params, x, T)
    survival = ((params.alpha + T) / (params.alpha + T + wait)) ** (params.r + x)
    assert survival == pytest.approx([0.5, 0.5])


def test_expected_histogram_accounts_for_everyone():
    params = bgnbd.BgNbd(0.243, 4.414, 0.793, 2.426)
    T = np.random.default_rng(5).uniform(27, 39, 1000)
    expected = bgnbd.expected_repeat_histogram(params, T, 8)
    assert expected.sum() == pytest.approx(1000) and np.all(expected > 0)


def test_gamma_gamma_expected_spend_shrinks_towards_the_population_mean():
    params = gamma_gamma.GammaGamma(6.25, 3.74, 15.44)
    one, many = gamma_gamma.expected_spend(params, [1, 20], [100.0, 100.0])
    assert params.population_mean < one < many < 100
    assert gamma_gamma.expected_spend(params, 0, 0.0) == pytest.approx(params.population_mean)


def test_fits_refuse_impossible_histories():
    with pytest.raises(ValueError):
        bgnbd.fit([1], [5], [3])  # last purchase after the end of observation
    with pytest.raises(ValueError):
        gamma_gamma.fit([2], [0.0])


def test_optimizer_reports_parameters_at_their_limits():
    """Nobody ever drops out: the dropout parameters run to a limit, and the
    fit says which."""
    rng = np.random.default_rng(1)
    T = rng.uniform(20, 60, 2000)
    x = rng.poisson(T / 5.0)
    t_x = np.where(x > 0, T - rng.uniform(0, 0.5, 2000), 0)
    fit = bgnbd.fit(x, t_x, T)
    assert fit.at_bounds and set(fit.at_bounds) <= {"a", "b"}
    assert fit.params.a / (fit.params.a + fit.params.b) < 1e-3
    assert mle.LOG_LIMIT > 10
