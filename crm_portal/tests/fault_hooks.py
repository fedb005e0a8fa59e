"""Imported only by the workers of the fault tests (`celery worker --include`): dies on cue.

CRM_KILL_AT names the point: `progress:N` (right after the job's N-th progress report),
`committed` (right after the import's transaction committed, before the task returns) or
`returned` (after the task returned, before its message is acknowledged). CRM_KILL_MARK is a
file: the worker dies only if it does not exist yet, so the worker started next runs through.
Every progress report is appended to CRM_PROGRESS_LOG when it is set.
"""

import os
import signal
from pathlib import Path

from celery.signals import task_postrun

from crm_portal import jobs

KILL_AT = os.environ.get("CRM_KILL_AT", "")
MARK = Path(os.environ.get("CRM_KILL_MARK", "/nonexistent/never"))
PROGRESS_LOG = os.environ.get("CRM_PROGRESS_LOG")


def _die() -> None:
    if not MARK.exists():
        MARK.touch()
        os.kill(os.getpid(), signal.SIGKILL)


_progress = jobs.job_progress
_reports = {"n": 0}


def _reporting(job, percent, message=""):
    _progress(job, percent, message)
    _reports["n"] += 1
    if PROGRESS_LOG:
        with open(PROGRESS_LOG, "a") as log:
            log.write(f"{percent}\n")
    if KILL_AT == f"progress:{_reports['n']}":
        _die()


jobs.job_progress = _reporting

if KILL_AT == "committed":
    from segmentation import services

    _import = services.dataset_import

    def _import_then_die(**kwargs):
        result = _import(**kwargs)
        _die()
        return result

    services.dataset_import = _import_then_die


@task_postrun.connect
def _after_return(**kwargs):
    if KILL_AT == "returned":
        _die()
