"""The macros plugin's background work (loaded through
``helpline_register_tasks``). The bulk task is declared in ``service``,
beside the job code it runs; importing it here registers it."""

from .service import run_bulk

__all__ = ["run_bulk"]
