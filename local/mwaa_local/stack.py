"""Where the local stack is and how to reach it: env.json written by local/stack.sh up."""

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

LOCAL_DIR = Path(__file__).resolve().parent.parent
STATE_DIR = Path(os.environ.get("MWAA_LOCAL_STATE_DIR") or LOCAL_DIR / ".state").resolve()
PIDS_DIR = STATE_DIR / "pids"
LOGS_DIR = STATE_DIR / "logs"
STACK_SCRIPT = LOCAL_DIR / "stack.sh"
ENV_JSON = STATE_DIR / "env.json"


class StackNotRunning(RuntimeError):
    pass


def stack_info() -> Dict[str, Any]:
    """The contents of local/.state/env.json: ports, URLs, venv paths and client env vars."""
    if not ENV_JSON.exists():
        raise StackNotRunning("%s not found: the local stack is not up; run local/stack.sh up" % ENV_JSON)
    return json.loads(ENV_JSON.read_text())


def _stack_status_ok() -> bool:
    result = subprocess.run(["bash", str(STACK_SCRIPT), "status"], capture_output=True, text=True)
    return result.returncode == 0


def ensure_stack(airflow_versions: Optional[str] = None) -> Dict[str, Any]:
    """Starts the stack (local/stack.sh up) unless it already runs, then returns stack_info().

    airflow_versions ("2.8.1,2.11.0") limits which Airflow venvs are built ahead of time.
    """
    if ENV_JSON.exists() and _stack_status_ok():
        return stack_info()
    env = dict(os.environ)
    if airflow_versions:
        env["MWAA_LOCAL_AIRFLOW_VERSIONS"] = airflow_versions
    result = subprocess.run(["bash", str(STACK_SCRIPT), "up"], env=env)
    if result.returncode != 0:
        raise StackNotRunning("local/stack.sh up failed (exit %d); its messages above say why" % result.returncode)
    return stack_info()


def client_env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """os.environ plus the stack's AWS endpoint, fake credentials and ports."""
    env = dict(os.environ)
    env.update(stack_info()["env"])
    if extra:
        env.update(extra)
    return env


def port_in_use(port: int) -> bool:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def stop_pidfile(pidfile: Path, timeout: float = 15.0) -> bool:
    """Stops the process group led by the pid in pidfile; True when something was running."""
    try:
        pid = int(pidfile.read_text().strip())
    except (OSError, ValueError):
        pidfile.unlink(missing_ok=True)
        return False
    running = _alive(pid)
    if running:
        _signal_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        # Workers that outlive the leader share its process group.
        _signal_group(pid, signal.SIGKILL)
    # Also after the leader died on its own (a crashed scheduler): what is left of its session,
    # including processes in groups of their own (the scheduler's DagFileProcessorManager). The
    # leader's pid is not reused while its session has members, so this reaches only those.
    for member in _session_members(pid):
        try:
            os.kill(member, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    pidfile.unlink(missing_ok=True)
    return running


def _session_members(sid: int) -> List[int]:
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            stat = Path("/proc", entry, "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid pgrp session ...": comm may hold spaces and parentheses.
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[3]) == sid:
            members.append(int(entry))
    return members


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of this process still answers kill(0); reap it if it is ours.
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True


def dump_process_group_stacks(pidfile: Path, out: Path) -> None:
    """Writes the Python stacks of every process in the group led by pidfile's pid to out
    (py-spy from the tools venv); a note instead when py-spy or the group is not there."""
    import shutil
    import sys

    py_spy = Path(sys.executable).parent / "py-spy"
    tool = str(py_spy) if py_spy.exists() else shutil.which("py-spy")
    try:
        leader = int(pidfile.read_text().strip())
    except (OSError, ValueError):
        out.write_text("no process: %s is missing or empty\n" % pidfile)
        return
    if tool is None:
        out.write_text("py-spy is not installed next to %s; no stacks for pid %d\n" % (sys.executable, leader))
        return
    listed = subprocess.run(["pgrep", "-g", str(leader)], capture_output=True, text=True).stdout.split()
    with open(out, "w") as handle:
        for pid in [str(leader)] + [p for p in listed if p != str(leader)]:
            handle.write("=== pid %s\n" % pid)
            handle.flush()
            dump = [tool, "dump", "--nonblocking", "--pid", pid]
            subprocess.run(dump, stdout=handle, stderr=subprocess.STDOUT, timeout=30)


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def stop_all(stack: bool = False) -> None:
    """Stops every Airflow process of this stack; with stack=True also PostgreSQL and moto."""
    if PIDS_DIR.exists():
        for pidfile in sorted(PIDS_DIR.glob("airflow-*.pid")):
            stop_pidfile(pidfile)
    if stack:
        subprocess.run(["bash", str(STACK_SCRIPT), "down"], check=False)
