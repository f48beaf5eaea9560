"""``helpline predictive fit`` and ``helpline predictive status``."""

import contextlib

import click
from flask.cli import with_appcontext

STAGES = {
    "aggregate": "aggregating orders",
    "fit": "fitting models",
    "score": "scoring customers",
    "write": "writing scores",
    "prune": "pruning old runs",
}


@click.group("predictive")
def predictive_group():
    """Predictive analytics: customer value and churn risk."""


@contextlib.contextmanager
def _ready():
    """A database connection for the command (reusing an open one), refusing
    clearly when the plugin's tables do not exist yet or it is turned off."""
    from app.plugin import db, get_plugins

    opened = db.connect(reuse_if_open=True)
    try:
        if not db.table_exists("predictive_run"):
            raise click.ClickException("The predictive tables do not exist yet: run `helpline migrate` first.")
        if not get_plugins().is_enabled("predictive"):
            raise click.ClickException("The predictive plugin is disabled: `helpline plugins enable predictive` first.")
        yield
    finally:
        if opened and not db.is_closed():
            db.close()


@predictive_group.command("fit")
@with_appcontext
def fit_command():
    """Fit BG/NBD and Gamma-Gamma on all order history now, score every
    customer with orders and make the new scores current."""
    from tqdm import tqdm

    from .refit import FitFailed, refit

    with _ready(), tqdm(desc=STAGES["aggregate"], unit=" customers", leave=False) as bar:

        def progress(stage, done=0, total=0):
            bar.set_description(STAGES[stage])
            if stage == "write":
                if bar.total != total:
                    bar.reset(total=total)
                bar.update(done - bar.n)
            bar.refresh()

        try:
            run = refit(progress=progress)
        except FitFailed as exc:
            bar.close()
            raise click.ClickException(f"The fit failed: {exc}") from None
    click.echo(describe(run))


@predictive_group.command("status")
@with_appcontext
def status_command():
    """Show the current fit run: parameters, goodness of fit, timings."""
    from .refit import current_run

    with _ready():
        run = current_run()
    click.echo(describe(run) if run else "No fit yet: run `helpline predictive fit`.")


def describe(run):
    """A fit run as text for people (the CLI's report)."""
    from .refit import TIMING_ORDER

    lines = [
        f"Run {run.id}: {run.state}, as of {run.as_of}, finished {run.finished_at:%Y-%m-%d %H:%M} UTC",
        f"History: {run.customers:,} customers with orders ({run.repeat_customers:,} repeat buyers), "
        f"{run.orders:,} orders over {run.history_days:,} days, currency {run.currency or '-'}",
    ]
    if run.state == "not_eligible":
        need = run.settings
        lines.append(
            f"Not eligible: needs at least {need['min_customers']:,} customers with orders over at least "
            f"{need['min_history_days']:,} days and {need['min_repeat_customers']:,} repeat buyers."
        )
    bg = run.parameters.get("bgnbd")
    if bg:
        lines.append(
            f"BG/NBD (time in days): r={bg['r']:.4f} alpha={bg['alpha']:.4f} a={bg['a']:.4f} b={bg['b']:.4f}  "
            f"log-likelihood {bg['log_likelihood']:.2f} ({bg['iterations']} iterations)"
        )
    gg = run.parameters.get("gamma_gamma")
    if gg:
        lines.append(
            f"Gamma-Gamma: p={gg['p']:.4f} q={gg['q']:.4f} gamma={gg['gamma']:.4f}  "
            f"log-likelihood {gg['log_likelihood']:.2f} ({gg['iterations']} iterations)"
        )
    check = run.goodness.get("repeat_purchases")
    if check:
        lines.append("Repeat purchases per customer: actual vs expected")
        lines += [
            f"  {row['repeat_purchases']:>3}  {row['actual']:>9,}  {row['expected']:>12,.1f}"
            for row in check["histogram"]
        ]
        p_value = check["p_value"]
        lines.append(
            f"Chi-square {check['chi_square']:.2f} on {check['degrees_of_freedom']} degrees of freedom"
            + (f", p = {p_value:.4f}" if p_value is not None else " (too few cells for a p-value)")
        )
    spend = run.goodness.get("spend")
    if spend:
        lines.append(
            f"Spend per purchase: observed mean {spend['observed_mean_spend']}, model mean {spend['model_mean_spend']}, "
            f"frequency-spend correlation {spend['frequency_spend_correlation']}"
        )
    for warning in run.goodness.get("warnings", []):
        lines.append(f"Warning: {warning}")
    if run.timings:
        # In stage order: PostgreSQL's jsonb does not keep the keys' order.
        timed = sorted(run.timings.items(), key=lambda item: TIMING_ORDER.index(item[0]))
        lines.append("Timings: " + ", ".join(f"{name} {seconds:.3f} s" for name, seconds in timed))
    return "\n".join(lines)
