#!/usr/bin/env python3
"""SIGINT and SIGTERM stop a long `gpusim run` cleanly: exit 128+signal, a one-line message,
and no output directory (nor a staging directory) left behind: results are whole or absent.
Then the same run with a small GPUSIM_MAX_MEMORY_MIB stops with the memory-cap message.

usage: signal_test.py GPUSIM SCENARIO"""
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import time


def interrupt(gpusim, scenario, sig):
    with tempfile.TemporaryDirectory() as tmp:
        parent = pathlib.Path(tmp)
        out = parent / "out"
        env = dict(os.environ, GPUSIM_PROGRESS="0")
        p = subprocess.Popen([gpusim, "run", scenario, "-o", str(out), "--no-report", "-q"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        time.sleep(1.0)  # well into the run (a simulated month: over a minute of CPU)
        if p.poll() is not None:
            return f"{sig.name}: the run ended before the signal (exit {p.returncode})"
        p.send_signal(sig)
        try:
            _, err = p.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            return f"{sig.name}: still running 60 s after the signal"
        problems = []
        if p.returncode != 128 + sig.value:
            problems.append(f"exit {p.returncode}, want {128 + sig.value}")
        if f"interrupted by {sig.name}" not in err:
            problems.append(f"stderr lacks 'interrupted by {sig.name}': {err[-400:]!r}")
        left = sorted(x.name for x in parent.iterdir())
        if left:
            problems.append(f"left {left} behind")
        return f"{sig.name}: " + "; ".join(problems) if problems else None


def memory_cap(gpusim, scenario):
    with tempfile.TemporaryDirectory() as tmp:
        parent = pathlib.Path(tmp)
        env = dict(os.environ, GPUSIM_MAX_MEMORY_MIB="1")
        p = subprocess.run([gpusim, "run", scenario, "-o", str(parent / "out"), "--no-report", "-q"],
                           capture_output=True, text=True, env=env, timeout=300)
        problems = []
        if p.returncode != 4:
            problems.append(f"exit {p.returncode}, want 4")
        if "memory cap exceeded" not in p.stderr:
            problems.append(f"stderr lacks the memory-cap message: {p.stderr[-400:]!r}")
        if any(parent.iterdir()):
            problems.append("output left behind")
        return "memory cap: " + "; ".join(problems) if problems else None


def main():
    gpusim, scenario = sys.argv[1], sys.argv[2]
    failures = [f for f in (interrupt(gpusim, scenario, signal.SIGINT),
                            interrupt(gpusim, scenario, signal.SIGTERM),
                            memory_cap(gpusim, scenario)) if f]
    for f in failures:
        print("FAIL", f)
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
