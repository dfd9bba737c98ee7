"""`make serve`: a local Prefect server, the work pool, every deployment and one worker, all offline.

Ctrl-C (or SIGTERM) stops everything it started. The deployment test drives the same class, and the
scale-out test runs it with the server on PostgreSQL and several named workers (as on several machines).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from sanctrace.settings import PROJECT_ROOT

POOL = "sanctrace"


def prefect_env(home: Path, port: int, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_TASK_RUNNER_THREAD_POOL_MAX_WORKERS"}
    env.update({
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",  # else the server sends a heartbeat outside
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT": "false",
    })
    env.update(extra or {})
    return env


class LocalPrefect:
    """``extra_env`` goes to every process (workers and the flow runs they start); ``server_env`` to the
    server alone, e.g. ``PREFECT_API_DATABASE_CONNECTION_URL`` for a server on PostgreSQL."""

    def __init__(self, home: Path, port: int = 4200, extra_env: dict[str, str] | None = None,
                 server_env: dict[str, str] | None = None):
        self.home, self.port = Path(home), port
        self.env = prefect_env(self.home, port, extra_env)
        self.server_env = {**self.env, **(server_env or {})}
        self.processes: list[subprocess.Popen] = []
        self.workers: dict[str, subprocess.Popen] = {}
        self.prefect = str(Path(sys.executable).with_name("prefect"))

    @property
    def api(self) -> str:
        return self.env["PREFECT_API_URL"]

    @property
    def ui(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _spawn(self, *args: str, log: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        self.home.mkdir(parents=True, exist_ok=True)
        out = open(self.home / log, "ab")
        # Its own session: one SIGTERM to the group stops it, even from a non-interactive shell.
        process = subprocess.Popen([self.prefect, *args], env=env or self.env, cwd=PROJECT_ROOT, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(process)
        return process

    def run(self, *args: str, timeout: float = 120) -> str:
        result = subprocess.run([self.prefect, *args], env=self.env, cwd=PROJECT_ROOT, capture_output=True,
                                text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"prefect {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def start_server(self, timeout: float = 120) -> None:
        self._spawn("server", "start", "--host", "127.0.0.1", "--port", str(self.port), log="server.log",
                    env=self.server_env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.api}/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise TimeoutError(f"Prefect server did not answer on {self.api} within {timeout} s")

    def deploy(self) -> None:
        try:
            self.run("work-pool", "create", "--type", "process", POOL)
        except RuntimeError as exc:
            if "already exists" not in str(exc):
                raise
        self.run("deploy", "--all", "--no-prompt")

    def start_worker(self, name: str | None = None, limit: int | None = None) -> subprocess.Popen:
        """A process worker on the pool; a named one logs to worker-<name>.log and labels its runs with
        the name (``prefect.worker.name``). ``limit``: most flow runs it runs at once."""
        args = ["worker", "start", "--pool", POOL, "--type", "process"]
        args += ["--name", name] if name else []
        args += ["--limit", str(limit)] if limit else []
        process = self._spawn(*args, log=f"worker-{name}.log" if name else "worker.log")
        self.workers[name or "worker"] = process
        return process

    def stop_workers(self) -> None:
        self._stop(list(self.workers.values()))
        self.processes = [p for p in self.processes if p not in self.workers.values()]
        self.workers.clear()

    def stop(self) -> None:
        self._stop(self.processes)
        self.processes.clear()
        self.workers.clear()

    @staticmethod
    def _stop(processes: list[subprocess.Popen]) -> None:
        for process in reversed(processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def main() -> int:
    port = int(os.environ.get("SANCTRACE_PREFECT_PORT", "4200"))
    local = LocalPrefect(Path(os.environ.get("PREFECT_HOME", PROJECT_ROOT / "data" / "prefect")), port)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        print(f"starting the Prefect server on {local.ui} (state in {local.home}) ...", flush=True)
        local.start_server()
        local.deploy()
        local.start_worker()
        print(f"\nPrefect UI: {local.ui}\n  deployments: {local.ui}/deployments\n"
              f"  worker on pool {POOL!r}; logs in {local.home}/*.log\nCtrl-C stops everything.", flush=True)
        while all(p.poll() is None for p in local.processes):
            time.sleep(1)
        print("a Prefect process ended; stopping the rest", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopping ...", flush=True)
        return 0
    finally:
        local.stop()


if __name__ == "__main__":
    sys.exit(main())
