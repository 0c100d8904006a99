"""The background jobs that ``flask tickets worker`` runs: a registry, filled by the features.

A job is a function ``run(app) -> int`` that makes one idempotent pass (deliver what is
due, warn what is about to breach, …) inside the app context and returns how many
items it handled. Several workers may run the same job at once: each job claims its
rows itself, so running it twice, or in two processes, changes nothing the second time.
"""

from dataclasses import dataclass

_JOBS = {}


@dataclass(frozen=True)
class Job:
    """A registered job: its name (shown by the worker) and its function."""

    name: str
    run: object


def job(name):
    """Register the decorated function as the background job ``name``."""

    def register(func):
        _JOBS[name] = Job(name, func)
        return func

    return register


def registered():
    """Return the registered jobs, in registration order."""
    return list(_JOBS.values())


def run_once(app, names=None):
    """Run every registered job (or those named) once; return ``{name: items handled}``."""
    results = {}
    for entry in registered():
        if names is not None and entry.name not in names:
            continue
        with app.app_context():
            results[entry.name] = entry.run(app) or 0
    return results
