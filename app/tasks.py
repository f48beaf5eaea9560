"""Background work on huey.

Plugins declare tasks with :func:`task` and :func:`periodic_task`. The
decorators only record the function; ``init_app`` builds the one Huey
instance from configuration (SqliteHuey by default, RedisHuey for
``redis://`` URLs, in-memory immediate mode for tests) and registers every
recorded task under a stable name ``<plugin>.<function>``. Each run happens
inside an app context with its own database connection and is skipped while
its plugin is disabled.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os

from flask import current_app
from huey import Huey, MemoryHuey, SqliteHuey, crontab  # noqa: F401  (crontab re-exported)
from huey.storage import RedisStorage, SqliteStorage

log = logging.getLogger(__name__)

# Keyed by (module, function name): a module imported again (tests, reloads)
# replaces its tasks instead of adding duplicates.
_SPECS: dict = {}


@dataclasses.dataclass(eq=False)
class TaskSpec:
    func: object
    periodic: object = None  # a huey validate_datetime callable, e.g. crontab(...)
    options: dict = dataclasses.field(default_factory=dict)


class TaskHandle:
    """What the decorators return: call it to enqueue on the current app's
    huey; ``call_local`` runs the body here and now (tests, CLI)."""

    def __init__(self, spec):
        self.spec = spec
        functools.update_wrapper(self, spec.func)

    def _huey_task(self):
        return current_app.extensions["helpline.tasks"][self.spec]

    def __call__(self, *args, **kwargs):
        return self._huey_task()(*args, **kwargs)

    def schedule(self, args=None, kwargs=None, delay=None, eta=None):
        return self._huey_task().schedule(args=args or (), kwargs=kwargs or {}, delay=delay, eta=eta)

    def call_local(self, *args, **kwargs):
        return self.spec.func(*args, **kwargs)

    @property
    def name(self):
        return current_app.extensions["helpline.task_names"][self.spec]


def _declare(periodic, options):
    def decorator(func):
        spec = TaskSpec(func, periodic, options)
        _SPECS[(func.__module__, func.__qualname__)] = spec
        return TaskHandle(spec)

    return decorator


def task(**options):
    """Declare a background task (huey ``task`` options: retries, retry_delay...)."""
    return _declare(None, options)


def periodic_task(validate_datetime, **options):
    """Declare a periodic task, e.g. ``@periodic_task(crontab(minute="*"))``.
    In immediate mode (tests) it never fires: call ``.call_local()``."""
    return _declare(validate_datetime, options)


class PrefixedRedisStorage(RedisStorage):
    """huey's Redis storage with every key under the deployment's prefix
    (``<REDIS_PREFIX>:huey:queue`` ...), so deployments sharing one Redis
    never take each other's tasks."""

    def __init__(self, name="huey", prefix="helpline", **kwargs):
        super().__init__(name=name, **kwargs)
        self.queue_key = f"{prefix}:huey:queue"
        self.schedule_key = f"{prefix}:huey:schedule"
        self.result_key = f"{prefix}:huey:results"
        self.counter_key = f"{prefix}:huey:counters"
        self.notify_prefix = f"{prefix}:huey:notify:"


class SqliteQueueStorage(SqliteStorage):
    """huey's SQLite storage with ``synchronous=NORMAL``, as the main
    database has: in WAL mode a commit then skips its fsync, and survives a
    process crash (only a power cut or OS crash can lose the latest commits,
    the same guarantee the main database gives)."""

    def _create_connection(self):
        conn = super()._create_connection()
        conn.execute("pragma synchronous=NORMAL")
        return conn


def make_huey(app):
    cfg = app.config
    url = cfg.get("HUEY_URL")
    if cfg.get("HUEY_IMMEDIATE"):
        huey = MemoryHuey("helpline", immediate=True, results=False)
        return huey
    if url and str(url).startswith("redis"):
        return Huey("helpline", storage_class=PrefixedRedisStorage, prefix=cfg["REDIS_PREFIX"], url=url, results=False)
    path = (
        url[len("sqlite:///") :]
        if url and url.startswith("sqlite:///")
        else os.path.join(app.instance_path, "huey.sqlite3")
    )
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    return SqliteHuey("helpline", storage_class=SqliteQueueStorage, filename=path, results=False)


def init_app(app):
    from .db import connection
    from .plugins import get_plugins

    plugins = get_plugins(app)
    huey = make_huey(app)
    registered, names = {}, {}
    for spec in list(_SPECS.values()):
        plugin = plugins.plugin_for_module(spec.func.__module__)
        info = plugins.infos.get(plugin)
        if info is not None and not info.loaded:
            continue
        name = f"{plugin}.{spec.func.__name__}"
        body = _wrap(app, plugin, name, spec.func, connection)
        if spec.periodic is not None:
            registered[spec] = huey.periodic_task(spec.periodic, name=name, **spec.options)(body)
        else:
            registered[spec] = huey.task(name=name, **spec.options)(body)
        names[spec] = name
    app.extensions["helpline.huey"] = huey
    app.extensions["helpline.tasks"] = registered
    app.extensions["helpline.task_names"] = names
    return huey


def _wrap(app, plugin, name, func, connection):
    @functools.wraps(func)
    def run(*args, **kwargs):
        from .plugins import get_plugins, start_unit_of_work

        with app.app_context(), connection():
            start_unit_of_work()
            if not get_plugins(app).is_enabled(plugin):
                log.info("task %s skipped: plugin %s is disabled", name, plugin)
                return None
            return func(*args, **kwargs)

    return run


def start_consumer(huey, workers=2):
    """Start a huey consumer in background threads of this process (the
    embedded quickstart); returns it so the caller can ``stop()`` it."""
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=True, check_worker_health=False)
    consumer.start()
    return consumer
