"""Start the web server and a real Celery worker side by side; Ctrl-C stops both.

`make run` calls this after migrating and loading the demo data.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PORT = os.environ.get("PORT", "8000")


def start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([PYTHON, *args], cwd=ROOT, start_new_session=True)


def stop(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    # Explicit handlers: a shell that starts us in the background would leave SIGINT ignored.
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    env_note = "SQLite file var/portal.sqlite3, folder broker var/broker"
    # -B runs the periodic schedule (daily recomputations) inside this single worker.
    worker = start(
        [
            "-m",
            "celery",
            "-A",
            "crm_portal",
            "worker",
            "-B",
            "--loglevel=INFO",
            "--concurrency=2",
            "--schedule",
            str(ROOT / "var" / "celerybeat-schedule"),
        ]
    )
    web = start(["manage.py", "runserver", f"127.0.0.1:{PORT}", "--noreload"])
    time.sleep(2)
    print(
        "\n"
        f"  The portal runs at http://127.0.0.1:{PORT}/  ({env_note})\n"
        "  Demo logins, password portal-demo:\n"
        "    demo-manager  (manager)\n"
        "    demo-head     (sales head)\n"
        "    demo-analyst  (analyst)\n"
        "    demo-admin    (administrator)\n"
        "    demo-consultant (analyst in both demo organizations)\n"
        "  A Celery worker runs beside it. Press Ctrl-C to stop both.\n",
        flush=True,
    )
    processes = [web, worker]
    try:
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
    failed = [p for p in processes if p.returncode not in (0, -signal.SIGTERM, None)]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
