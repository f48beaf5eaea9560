"""The macros plugin's background work (loaded through
``helpline_register_tasks``)."""

from app.plugin import task


@task()
def run_bulk(job_id):
    """Apply a bulk job's macro to its tickets, recording progress."""
    from .service import run_bulk as run

    return run(job_id)
