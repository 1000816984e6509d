"""Driving the course's JupyterLab in headless Chromium, for tests/test_browser.py.

Everything runs on this machine: the Debian chromium and chromedriver (never a browser
download), a Jupyter server started by the project's own `make` targets in a COPY of the
repository on a free loopback port, and a fresh browser profile in a temporary folder.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
# Generous: CI may run these tests on 2 cores with the rest of the suite beside them.
PAGE_TIMEOUT = 120
# Folders never copied into the repository copy: environments, outputs, the learner's work.
NOT_COPIED = {".git", ".venv", "work", "grading", ".grading", "__pycache__", ".pytest_cache",
              ".hypothesis", "_build", "_cache", ".ipynb_checkpoints", "rnn_course.egg-info"}


def missing_tools() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install selenium)"
    for tool in (CHROMIUM, CHROMEDRIVER):
        if not (os.path.isfile(tool) and os.access(tool, os.X_OK)):
            return f"{tool} is missing (Debian: apt-get install chromium chromium-driver)"
    if sys.prefix == sys.base_prefix or not (Path(sys.prefix) / "bin" / "jupyter").exists():
        return "not running inside the project's virtual environment (make test creates it)"
    if not shutil.which("make"):
        return "make is missing"
    return None


def copy_repository(dest: Path) -> Path:
    """A copy of the repository's sources (no .venv, no work/, no build outputs)."""
    def ignore(folder, names):
        return {n for n in names if n in NOT_COPIED or n.endswith(".pyc")}
    shutil.copytree(ROOT, dest, ignore=ignore, symlinks=True)
    return dest


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A `make` target that runs a Jupyter server, started in its own process group."""

    def __init__(self, repo: Path, target: str, tmp: Path, extra_make_args=()):
        self.repo = repo
        self.port = free_port()
        self.token = os.urandom(16).hex()
        self.url = f"http://127.0.0.1:{self.port}"
        venv = Path(sys.prefix)
        config = tmp / "jupyter-config"
        config.mkdir(parents=True, exist_ok=True)
        (config / "jupyter_server_config.json").write_text(json.dumps(
            {"ServerApp": {"open_browser": False, "ip": "127.0.0.1"}}))
        env = dict(os.environ)
        env.update({
            # the test's own Jupyter state: nothing read from or written to the user's
            "JUPYTER_CONFIG_DIR": str(config),
            "JUPYTER_RUNTIME_DIR": str(tmp / "jupyter-runtime"),
            "JUPYTERLAB_SETTINGS_DIR": str(tmp / "lab-settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "lab-workspaces"),
            "BROWSER": "true",   # should anything try to open a browser: a no-op
            "PYTHONUNBUFFERED": "1",
        })
        # JupyterLab asks whether to fetch news from the internet: answer no up front
        news = tmp / "lab-settings" / "@jupyterlab" / "apputils-extension"
        news.mkdir(parents=True, exist_ok=True)
        (news / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
        self.log_path = tmp / f"{target}.log"
        self.log = open(self.log_path, "wb")
        # VENV: the environment running these tests; -o: never reinstall it from the copy
        stamp = venv / ".installed"
        cmd = ["make", "--no-print-directory", target, f"VENV={venv}", f"PORT={self.port}",
               f"TOKEN={self.token}", "-o", str(stamp), *extra_make_args]
        self.proc = subprocess.Popen(cmd, cwd=repo, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def wait_ready(self, timeout: float = PAGE_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}:\n{self.log_text()}")
            try:
                self.api("api/status")
                return
            except OSError:
                time.sleep(0.5)
        raise TimeoutError(f"no Jupyter server on {self.url} after {timeout} s:\n{self.log_text()}")

    def api(self, path: str):
        req = urllib.request.Request(f"{self.url}/{path}", headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())

    def page(self, path: str) -> str:
        return f"{self.url}/{path}?token={self.token}"

    def log_text(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        """End the server and everything it started (its kernels), by process group."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=10)
        self.log.close()


def start_chromium(profile: Path, width: int = 1400, height: int = 1000):
    """Headless Chromium from the system, with a fresh profile and no network chatter."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}",
                 f"--window-size={width},{height}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(PAGE_TIMEOUT)
    return driver


class Shots:
    """Numbered screenshots of each step, kept in a folder for a person to look at."""

    def __init__(self, driver, folder: Path):
        self.driver, self.folder, self.n = driver, folder, 0
        folder.mkdir(parents=True, exist_ok=True)

    def __call__(self, step: str) -> Path:
        self.n += 1
        path = self.folder / f"{self.n:02d}-{step}.png"
        self.driver.save_screenshot(str(path))
        return path


def wait_for(predicate, timeout: float = PAGE_TIMEOUT, message: str = "condition", poll: float = 0.5):
    """Poll `predicate` until it returns something truthy; return that value."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as exc:  # stale elements while JupyterLab re-renders
            last_error = exc
        time.sleep(poll)
    raise TimeoutError(f"timed out after {timeout} s waiting for {message}"
                       + (f" (last error: {last_error!r})" if last_error else ""))
