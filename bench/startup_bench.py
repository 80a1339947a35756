"""Start-up and idle memory, as a user feels them: whole processes, from the shell.

- `yizhan classify`: from process start to its first answer (one question on stdin), wall
  seconds and peak RSS of the process.
- `yizhan serve`: from process start to /healthz answering 200 on a migrated SQLite database,
  then its RSS after a few idle seconds; every channel off, and again with the 服务号 on
  (test credentials; its API is not reached while idle).

Each figure is the median of --runs runs (one warm-up run first, not counted). With
--baseline DIR (another checkout with its own .venv, e.g. a `git worktree` of an older
commit) the same figures are taken for it in turn, run by run, and printed side by side.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "敬老卡怎么办\n"
READY_TIMEOUT = 60.0
IDLE_SECONDS = 3.0


@dataclass
class Figures:
    classify_s: list[float] = field(default_factory=list)
    classify_mib: list[float] = field(default_factory=list)
    ready_s: list[float] = field(default_factory=list)
    idle_mib: list[float] = field(default_factory=list)
    idle_channel_mib: list[float] = field(default_factory=list)


def _yizhan(checkout: Path) -> str:
    return str(checkout / ".venv" / "bin" / "yizhan")


def _classify(checkout: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one `yizhan classify` answering one question."""
    start = time.perf_counter()
    process = subprocess.Popen([_yizhan(checkout), "classify"], cwd=checkout,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL)
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(QUESTION.encode())
    process.stdin.close()
    answer = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0 or b'"intent"' not in answer:
        raise RuntimeError(f"classify gave no answer: {answer!r}")
    return wall, usage.ru_maxrss / 1024


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# The 服务号 switched on with made-up credentials (an API base nobody listens on).
WECHAT_ON = {"YIZHAN_WECHAT_TOKEN": "benchtoken", "YIZHAN_WECHAT_APPID": "wxbench0000000000",
             "YIZHAN_WECHAT_AES_KEY": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
             "YIZHAN_WECHAT_SECRET": "bench-secret"}


def _serve(checkout: Path, database: Path, channel: bool = False) -> tuple[float, float]:
    """Seconds from process start to /healthz 200, and RSS after IDLE_SECONDS idle."""
    port = _free_port()
    env = {**os.environ, "YIZHAN_DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    for name in [n for n in env if n.startswith(("YIZHAN_WECHAT", "YIZHAN_WECOM",
                                                  "YIZHAN_TELEGRAM"))]:
        del env[name]          # every channel off: the same server for both checkouts
    if channel:
        env.update(WECHAT_ON, YIZHAN_WECHAT_API_BASE=f"http://127.0.0.1:{_free_port()}")
    start = time.perf_counter()
    process = subprocess.Popen([_yizhan(checkout), "serve", "--host", "127.0.0.1",
                                "--port", str(port)], cwd=checkout, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz",
                                            timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.perf_counter() - start > READY_TIMEOUT:
                raise RuntimeError(f"yizhan serve in {checkout} did not get ready")
            time.sleep(0.02)
        ready = time.perf_counter() - start
        time.sleep(IDLE_SECONDS)
        return ready, _rss_mib(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _measure(checkout: Path, database: Path, figures: Figures) -> None:
    wall, peak = _classify(checkout)
    figures.classify_s.append(wall)
    figures.classify_mib.append(peak)
    ready, idle = _serve(checkout, database)
    figures.ready_s.append(ready)
    figures.idle_mib.append(idle)
    figures.idle_channel_mib.append(_serve(checkout, database, channel=True)[1])


def _row(name: str, values: list[float], unit: str) -> str:
    return (f"{name:<34}{statistics.median(values):>9.2f} {unit:<4}"
            f"(min {min(values):.2f}, max {max(values):.2f})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="counted runs (default 5)")
    parser.add_argument("--baseline", type=Path, help="another checkout to compare with")
    args = parser.parse_args(argv)
    checkouts = {"this checkout": ROOT}
    if args.baseline is not None:
        checkouts["baseline " + str(args.baseline)] = args.baseline.resolve()
    results = {name: Figures() for name in checkouts}
    with tempfile.TemporaryDirectory() as folder:
        databases = {name: Path(folder) / f"db{n}.sqlite" for n, name in enumerate(checkouts)}
        for name, checkout in checkouts.items():       # warm-up: caches, the migration
            _measure(checkout, databases[name], Figures())
        for _ in range(args.runs):
            for name, checkout in checkouts.items():   # in turn, so drift hits both
                _measure(checkout, databases[name], results[name])
    print(f"Yizhan start-up: python {sys.version.split()[0]}, {os.cpu_count()} cores, "
          f"median of {args.runs} runs after one warm-up")
    for name, figures in results.items():
        print(f"== {name}")
        print(_row("classify: start to first answer", figures.classify_s, "s"))
        print(_row("classify: peak RSS", figures.classify_mib, "MiB"))
        print(_row("serve: start to /healthz 200", figures.ready_s, "s"))
        print(_row(f"serve: RSS idle after {IDLE_SECONDS:.0f} s", figures.idle_mib, "MiB"))
        print(_row("serve: the same, 服务号 on", figures.idle_channel_mib, "MiB"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
