"""``flask tickets worker``: one process that runs every background job (SPEC §16)."""

import signal
import threading
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import jobs
from ..mail.worker import deliver_outbox
from ..sla.alerts import send_sla_alerts
from ..sla.autoclose import run_autoclose
from ..tickets.sweep import sweep_storage

#: The jobs this package brings (importing them registers them); a feature registers its own
#: jobs in the modules it loads at start-up.
BUILT_IN_JOBS = (send_sla_alerts, run_autoclose, sweep_storage, deliver_outbox)

#: Runs last in each pass, so the emails the other jobs queued go out in the same pass.
DELIVERY_JOB = "outbox"


class JobRunner:
    """Run the registered jobs pass after pass until stopped; each job claims its own rows."""

    def __init__(self, app, names=None):
        self.app = app
        self.names = names
        self.stop_event = threading.Event()

    def selected(self):
        """Return the jobs this runner runs."""
        chosen = [entry for entry in jobs.registered() if not self.names or entry.name in self.names]
        return sorted(chosen, key=lambda entry: entry.name == DELIVERY_JOB)

    def run_pass(self):
        """Run each job once; return ``({name: handled}, {name: error})``; a failing job does not stop the rest."""
        results, errors = {}, {}
        for entry in self.selected():
            if self.stop_event.is_set():
                break
            try:
                with self.app.app_context():
                    results[entry.name] = entry.run(self.app) or 0
            except Exception as error:  # one broken job must not stop the outbox
                self.app.logger.exception("job %s failed", entry.name)
                errors[entry.name] = f"{type(error).__name__}: {error}"
        return results, errors

    def run_forever(self, interval, report=None):
        """Run passes every ``interval`` seconds (at once again while there was work) until stopped."""
        while not self.stop_event.is_set():
            started = time.monotonic()
            results, errors = self.run_pass()
            if report is not None and (any(results.values()) or errors):
                report(results, errors)
            if not any(results.values()):
                self.stop_event.wait(max(0.0, interval - (time.monotonic() - started)))


def _line(results, errors):
    parts = [f"{name} {count}" for name, count in results.items()]
    parts += [f"{name} FAILED ({error})" for name, error in errors.items()]
    return ", ".join(parts) or "no jobs"


@click.command("worker")
@click.option("--once", is_flag=True, help="Run every job once, then exit (for cron or tests).")
@click.option("--interval", type=click.FloatRange(0.1, 3600), default=None, help="Seconds between idle passes.")
@click.option("--job", "names", multiple=True, help="Run only this job (repeatable); default: all.")
@with_appcontext
def worker(once, interval, names):
    """Run the background jobs: outbox, SLA warnings, auto-close, storage sweep, … (SIGTERM stops it cleanly)."""
    app = current_app._get_current_object()
    known = [entry.name for entry in jobs.registered()]
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise click.BadParameter(f"unknown job {', '.join(unknown)}; known: {', '.join(known)}", param_hint="--job")
    runner = JobRunner(app, names=set(names) or None)
    interval = interval if interval is not None else float(app.config["TICKETS_WORKER_INTERVAL"])

    def stop(signum, frame):
        if runner.stop_event.is_set():
            raise KeyboardInterrupt
        runner.stop_event.set()
        click.echo("Stopping after the current job…", err=True)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        if once:
            results, errors = runner.run_pass()
            click.echo(f"Jobs: {_line(results, errors)}.")
            if errors:
                raise SystemExit(1)
            return
        names = ", ".join(entry.name for entry in runner.selected())
        click.echo(f"Worker running {names} every {interval:g} s. Ctrl-C stops it.")
        runner.run_forever(interval, report=lambda results, errors: click.echo(f"Jobs: {_line(results, errors)}."))
        click.echo("Worker stopped.")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
