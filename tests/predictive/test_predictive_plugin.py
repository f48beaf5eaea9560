"""The plugin as an installed package: loads by default, fails with the
install hint without numpy/scipy, and the demo data makes it eligible."""

import os
import subprocess
import sys
import textwrap

from click.testing import CliRunner
from flask.cli import ScriptInfo

from app.cli import main
from app.models import Agent
from plugins.predictive.refit import current_run

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_installed_first_party_and_enabled_by_default(app):
    plugins = app.extensions["helpline.plugins"]
    info = plugins.infos["predictive"]
    assert info.loaded and info.first_party and plugins.is_enabled("predictive")
    assert "predictive" in plugins.panels and plugins.panels["predictive"].plugin == "predictive"


def test_without_numpy_the_plugin_fails_with_the_install_hint(tmp_path):
    """A fresh interpreter where numpy cannot be imported: the app still
    starts, and the plugin is listed as failed with what to install."""
    script = textwrap.dedent(
        f"""
        import sys
        sys.modules["numpy"] = None  # makes "import numpy" raise ImportError
        from app import create_app
        app = create_app({{"DATABASE_URL": "sqlite:///{tmp_path}/x.sqlite3", "SECRET_KEY": "x", "STRICT_PLUGINS": False}})
        info = app.extensions["helpline.plugins"].infos["predictive"]
        print(info.status, "|", info.error)
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPLINE_")}
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    status, error = result.stdout.strip().splitlines()[-1].split(" | ")
    assert status == "failed"
    assert "needs numpy and scipy" in error and "pip install 'helpline[predictive]'" in error


def test_demo_data_is_eligible_and_fitted_at_once(app):
    result = CliRunner().invoke(main, ["demo", "--tickets", "3"], obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 0, result.output
    assert Agent.select().count() == 5
    run = current_run()
    assert run is not None and run.state == "fitted"
    assert run.customers >= 240 and run.repeat_customers >= 100 and run.history_days >= 400


def test_loading_the_plugin_leaves_the_model_fitting_code_unloaded(tmp_path):
    """Every helpline process loads the plugin (web hosts, workers, CLI
    commands); scipy's optimizers take seconds to import and only the fit
    needs them, so they load with the first fit, not with the app."""
    script = textwrap.dedent(
        f"""
        import sys
        from app import create_app
        app = create_app({{"DATABASE_URL": "sqlite:///{tmp_path}/x.sqlite3", "SECRET_KEY": "x"}})
        assert app.extensions["helpline.plugins"].infos["predictive"].loaded
        print(sorted(m for m in ("scipy.optimize", "scipy.special", "plugins.predictive.refit") if m in sys.modules))
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPLINE_")}
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
