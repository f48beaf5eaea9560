"""The ``helpline`` command: a Flask CLI group, so plugins add commands
through ``helpline_register_commands``."""

import contextlib
import json
import logging
import os
import signal
import sys
import textwrap

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from .makemigration import makemigration


def _create_app():
    from . import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False, add_version_option=False)
def main():
    """Helpline: a self-hosted, plugin-based helpdesk."""


main.add_command(makemigration)


def _plugins():
    from .plugins import get_plugins

    return get_plugins()


@contextlib.contextmanager
def _db():
    """A connection for the command, with a clear message when the database
    has not been migrated yet."""
    from .db import connection, db

    with connection():
        if not db.table_exists("plugin_state"):
            raise click.ClickException("The database has no tables yet: run `helpline migrate` first.")
        yield db


@main.command()
@click.option(
    "--status",
    is_flag=True,
    help="Show applied and pending migrations; exit 1 if any are pending, 2 if the database cannot be reached.",
)
@with_appcontext
def migrate(status):
    """Apply pending migrations of the core and every loaded plugin."""
    import peewee

    from .db import connection, db

    plugins = _plugins()
    try:
        db.connect(reuse_if_open=True)
    except peewee.OperationalError as exc:
        # Deploy scripts tell "pending" (1) from "cannot tell" (2): one line, no traceback.
        first = (str(exc).strip() or type(exc).__name__).splitlines()[0]
        click.echo(f"Cannot connect to the database: {first}", err=True)
        sys.exit(2)
    try:
        with connection():
            _migrate(plugins, status)
    finally:
        db.close()


def _migrate(plugins, status):
    if status:
        pending = False
        for source, directory in plugins.migration_sources():
            for m in plugins.runner(source, directory).status():
                mark = "x" if m.applied else " "
                pending = pending or not m.applied
                click.echo(f"[{mark}] {source}: {m.name}")
        sys.exit(1 if pending else 0)
    applied = plugins.migrate()
    for source, name in applied:
        click.echo(f"applied {source}: {name}")
    if not applied:
        click.echo("Nothing to migrate.")


@main.group("plugins")
def plugins_group():
    """List plugins, turn them on and off, change their settings."""


@plugins_group.command("list")
@click.option("-v", "--verbose", is_flag=True, help="Show load errors in full.")
@with_appcontext
def plugins_list(verbose):
    """One line per plugin: name, state, version, description, and why it
    is not loaded (shortened; in full with --verbose)."""
    plugins = _plugins()
    with _db():
        for name, info in sorted(plugins.infos.items()):
            line = f"{name:<14} {plugins.status(name):<18} {info.version or '':<8} {info.description}".rstrip()
            if info.error and not verbose:
                line += f"  ({textwrap.shorten(info.error, 100, placeholder=' ...')})"
            click.echo(line)
            if info.error and verbose:
                click.echo(textwrap.indent(info.error, "    "))


def _toggle(name, enabled):
    from .plugins import PluginError

    with _db():
        try:
            _plugins().set_enabled(name, enabled)
        except PluginError as exc:
            raise click.ClickException(str(exc))
    click.echo(f"{name} {'enabled' if enabled else 'disabled'}")


@plugins_group.command("enable")
@click.argument("name")
@with_appcontext
def plugins_enable(name):
    _toggle(name, True)


@plugins_group.command("disable")
@click.argument("name")
@with_appcontext
def plugins_disable(name):
    _toggle(name, False)


@plugins_group.command("settings")
@click.argument("name")
@click.option(
    "--set",
    "pairs",
    multiple=True,
    metavar="KEY=VALUE",
    help="Change a setting (VALUE is read as JSON when it parses, else as text).",
)
@with_appcontext
def plugins_settings(name, pairs):
    """Show a plugin's settings, or change them with --set."""
    import marshmallow

    from .plugins import PluginError

    plugins = _plugins()
    with _db():
        try:
            if pairs:
                data = {}
                for pair in pairs:
                    if "=" not in pair:
                        raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--set")
                    key, raw = pair.split("=", 1)
                    try:
                        data[key] = json.loads(raw)
                    except ValueError:
                        data[key] = raw
                try:
                    plugins.set_settings(name, data)
                except marshmallow.ValidationError as err:
                    # In words, as the settings page says them ("line 2: ..."),
                    # never a nested field's bare index or weekday.
                    from .web.forms import error_words

                    fields = plugins.settings_schema(name)().fields
                    for field, messages in err.messages.items():
                        words = error_words(fields[field], messages) if field in fields else messages
                        click.echo(f"{field}: {' '.join(map(str, words))}", err=True)
                    sys.exit(1)
            click.echo(json.dumps(plugins.public_settings(name), indent=2, default=str))
        except PluginError as exc:
            raise click.ClickException(str(exc))


@main.command("create-agent")
@click.option("--email", required=True)
@click.option("--name", default="")
@click.option("--role", default="support", show_default=True)
@click.password_option()
@with_appcontext
def create_agent_cmd(email, name, role, password):
    """Create an agent who can log in."""
    from .services import ServiceError
    from .services.agents import create_agent

    with _db():
        try:
            agent = create_agent(email, name, role, password)
        except ServiceError as exc:
            raise click.ClickException(exc.message)
    click.echo(f"created {agent.email} ({agent.role})")


@main.command()
@click.option("--tickets", default=40, show_default=True)
@with_appcontext
def demo(tickets):
    """Add demo agents, customers and tickets (only into an empty database)."""
    from .demo import seed

    with _db():
        click.echo(seed(tickets=tickets))


def _sqlite_path():
    """The live SQLite file, or a clear exit with PostgreSQL's guidance."""
    from . import backup as backups
    from .db import db, is_postgres

    if is_postgres():
        raise click.ClickException(backups.POSTGRES_GUIDANCE)
    path = db.database
    if not path or path == ":memory:" or not os.path.exists(path):
        raise click.ClickException(f"No database file at {path!r}: nothing to back up or restore into.")
    return path


def _with_progress(label, work):
    """Run ``work(progress)`` behind a progress bar counted in pages."""
    with click.progressbar(length=1, label=label, show_pos=True) as bar:

        def progress(done, total):
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        work(progress)
        bar.update(bar.length - bar.pos)


@main.command("backup")
@click.argument("target", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite TARGET if it exists.")
@with_appcontext
def backup_cmd(target, force):
    """Copy the SQLite database to TARGET while Helpline keeps running
    (SQLite's online backup API). On PostgreSQL, prints how to use pg_dump."""
    from . import backup as backups

    source = _sqlite_path()
    try:
        _with_progress("Backing up", lambda progress: backups.backup(source, target, progress, overwrite=force))
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backed up {source} to {target} ({os.path.getsize(target)} bytes), checked intact.")


@main.command("restore")
@click.argument("source", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_cmd(source, yes):
    """Replace the SQLite database with the backup SOURCE. Stop the web
    server and task workers first. On PostgreSQL, prints how to use pg_restore."""
    from . import backup as backups

    target = _sqlite_path()
    try:
        backups.check_backup(source)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    if not yes:
        click.confirm(f"Replace every ticket and setting in {target} with {source}?", abort=True)
    _with_progress("Restoring", lambda progress: backups.restore(source, target, progress))
    click.echo(f"Restored {target} from {source}. Run `helpline migrate` if the backup is from an older version.")


@main.command()
@click.option("-w", "--workers", default=2, show_default=True)
@with_appcontext
def worker(workers):
    """Run a huey consumer for this deployment's queue."""
    from .heap import freeze_startup_objects

    huey = current_app.extensions["helpline.huey"]
    freeze_startup_objects()
    huey.create_consumer(workers=workers, worker_type="thread").run()


@main.command("streams")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
@click.option(
    "--processes",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Stream server processes sharing the port (SO_REUSEPORT); one per core.",
)
def streams_cmd(host, port, processes):
    """Serve the live streams from asyncio processes: the agents' event
    stream (/events/stream) and the stream routes of plugins (the web chat
    widget's stream): route those paths here from the reverse proxy. Needs
    the Redis event bus (HELPLINE_EVENTS_URL). With --processes N the kernel
    spreads new streams over N processes, each with its own bus
    subscription; when one of them dies the others are stopped and the
    command exits non-zero, so the service manager restarts them together."""
    from aiohttp import web

    from .streams import make_app

    flask_app = current_app._get_current_object()
    try:
        make_app(flask_app)  # configuration errors before any process starts
    except RuntimeError as exc:
        raise click.ClickException(str(exc))

    def serve():
        web.run_app(
            make_app(flask_app),
            host=host,
            port=port,
            reuse_port=processes > 1 or None,
            # Open streams never finish on their own: a stopping server gives
            # them a moment, then closes them (browsers reconnect by themselves).
            shutdown_timeout=3,
            print=lambda line: click.echo(line),
            access_log=None,
        )

    from .heap import freeze_startup_objects

    if processes == 1:
        freeze_startup_objects()
        serve()
        return
    from .db import close_pool

    # No database connection may be shared by forked processes.
    close_pool(flask_app.extensions["helpline.db"])
    freeze_startup_objects()  # before the fork: the children share these pages
    children = []
    for _ in range(processes):
        pid = os.fork()
        if pid == 0:  # a stream server process
            code = 1
            try:
                serve()
                code = 0
            except BaseException:
                logging.getLogger(__name__).exception("stream server process failed")
            finally:
                os._exit(code)
        children.append(pid)
    sys.exit(_supervise(children))


def _supervise(children):
    """Wait for forked server processes; SIGINT/SIGTERM is passed on to them,
    and the first one to exit stops the others. Returns an exit code."""
    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = 0
    remaining = set(children)
    while remaining:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        remaining.discard(pid)
        if not stopping:
            code = os.waitstatus_to_exitcode(status) or 1
            click.echo(f"stream server process {pid} exited; stopping the others", err=True)
            stop(signal.SIGTERM, None)
    return code


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--demo/--no-demo", default=True, show_default=True, help="Seed demo data into an empty database.")
@click.option("--workers", default=2, show_default=True, help="In-process task worker threads.")
def run_cmd(host, port, demo, workers):
    """The embedded quickstart: migrate, seed demo data on first run, start
    task workers in this process and serve on 127.0.0.1. Data goes to the
    instance folder (instance/ beside a checkout; HELPLINE_INSTANCE_PATH
    chooses another)."""
    from werkzeug.serving import run_simple

    from . import create_app
    from .db import connection
    from .demo import seed
    from .heap import freeze_startup_objects
    from .tasks import start_consumer

    os.environ.setdefault("FLASK_DEBUG", "0")
    app = create_app({"AUTO_MIGRATE": True})
    with app.app_context(), connection():
        if demo:
            click.echo(seed())
        stops = app.extensions["helpline.plugins"].start_services()
    freeze_startup_objects()
    consumer = start_consumer(app.extensions["helpline.huey"], workers=workers)

    def stop_serving(signum, frame):
        raise KeyboardInterrupt

    # Ctrl+C and SIGTERM (service managers) both stop workers cleanly, even when
    # the parent started us with SIGINT ignored.
    signal.signal(signal.SIGINT, stop_serving)
    signal.signal(signal.SIGTERM, stop_serving)
    click.echo(f"Helpline is running on http://{host}:{port}/  (Ctrl+C to stop)")
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    except KeyboardInterrupt:
        pass
    finally:
        consumer.stop(graceful=True)
        for stop in stops:
            stop()


def _add_import_commands():
    from .cli_import import import_group

    main.add_command(import_group)


_add_import_commands()


if __name__ == "__main__":
    main()


@main.group("i18n")
def i18n_group():
    """Message catalogs: extract, update, compile and check (see docs/operations.md)."""


def _i18n_targets(path, domain):
    from . import catalogs

    if path:
        if not domain:
            raise click.UsageError("--path needs --domain (the plugin's name)")
        return [catalogs.Target(os.path.abspath(path), domain)]
    return catalogs.first_party_targets()


_path_option = click.option("--path", type=click.Path(exists=True, file_okay=False), help="A plugin package folder.")
_domain_option = click.option("--domain", help="The plugin's catalog domain (its plugin name), with --path.")


@i18n_group.command("extract", with_appcontext=False)
@_path_option
@_domain_option
def i18n_extract(path, domain):
    """Write each domain's .pot template from the source."""
    from . import catalogs

    total = 0
    for target in _i18n_targets(path, domain):
        count = catalogs.write_template(target)
        total += count
        click.echo(f"{target.label}: {count} messages -> {os.path.relpath(target.pot_path)}")
    click.echo(f"extracted {total} messages")


@i18n_group.command("update", with_appcontext=False)
@_path_option
@_domain_option
def i18n_update(path, domain):
    """Extract, then merge new and changed messages into every language's .po."""
    from . import catalogs

    todo = 0
    for target in _i18n_targets(path, domain):
        for language, (total, untranslated, fuzzy) in catalogs.update(target).items():
            todo += untranslated + fuzzy
            click.echo(f"{target.label} [{language}]: {total} messages, {untranslated} untranslated, {fuzzy} fuzzy")
    click.echo(f"{todo} entries to translate" if todo else "every catalog is translated")


@i18n_group.command("compile", with_appcontext=False)
@_path_option
@_domain_option
def i18n_compile(path, domain):
    """Compile every .po to the .mo the app reads."""
    from . import catalogs

    files = 0
    for target in _i18n_targets(path, domain):
        for language, count in catalogs.compile_target(target).items():
            files += 1
            click.echo(f"{target.label} [{language}]: {count} messages compiled")
    click.echo(f"compiled {files} catalogs")


@i18n_group.command("check", with_appcontext=False)
@_path_option
@_domain_option
def i18n_check(path, domain):
    """Exit 1 unless every catalog is current, translated and compiled."""
    from . import catalogs

    found = [p for target in _i18n_targets(path, domain) for p in catalogs.problems(target)]
    for problem in found:
        click.echo(problem)
    if found:
        raise click.ClickException(f"{len(found)} catalog problems")
    click.echo("catalogs complete")


@i18n_group.command("catchup", with_appcontext=False)
@click.pass_context
def i18n_catchup(ctx):
    """After a merge: update every catalog, compile, list what needs translating."""
    from . import catalogs

    ctx.invoke(i18n_update)
    ctx.invoke(i18n_compile)
    todo = [p for t in catalogs.first_party_targets() for p in catalogs.problems(t) if "compile" not in p]
    for problem in todo:
        click.echo(problem)
    if todo:
        raise click.ClickException(
            f"{len(todo)} entries to translate: edit the .po files, then `helpline i18n compile`"
        )
    click.echo("catalogs complete")
