#!/usr/bin/env python3
"""SIGINT and SIGTERM stop a long `gpusim run` cleanly: exit 128+signal, a one-line message,
and no output directory (nor a staging directory) left behind: results are whole or absent.
Then the same run with a small GPUSIM_MAX_MEMORY_MIB, or --max-memory, stops with the memory-cap
message. `gpusim sweep` stopped by SIGINT keeps the points it finished whole (and results.csv of
them) and leaves no half-written point; `gpusim compare` stopped by SIGTERM writes no partial
variant.

usage: signal_test.py GPUSIM SCENARIO [QUICK_SCENARIO]"""
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import time


def signal_and_wait(p, sig, what):
    """Sends `sig` to the running process `p` and waits for it: (stderr, None), or (None, why
    not) when it had already ended or did not stop within 60 s."""
    if p.poll() is not None:
        return None, f"{what}: ended before the signal (exit {p.returncode})"
    p.send_signal(sig)
    try:
        _, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        return None, f"{what}: still running 60 s after {sig.name}"
    return err, None


def interrupt(gpusim, scenario, sig):
    with tempfile.TemporaryDirectory() as tmp:
        parent = pathlib.Path(tmp)
        out = parent / "out"
        env = dict(os.environ, GPUSIM_PROGRESS="0")
        p = subprocess.Popen([gpusim, "run", scenario, "-o", str(out), "--no-report", "-q"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        time.sleep(1.0)  # well into the run (a simulated month: over a minute of CPU)
        err, failed = signal_and_wait(p, sig, f"{sig.name}: the run")
        if failed:
            return failed
        problems = []
        if p.returncode != 128 + sig.value:
            problems.append(f"exit {p.returncode}, want {128 + sig.value}")
        if f"interrupted by {sig.name}" not in err:
            problems.append(f"stderr lacks 'interrupted by {sig.name}': {err[-400:]!r}")
        left = sorted(x.name for x in parent.iterdir())
        if left:
            problems.append(f"left {left} behind")
        return f"{sig.name}: " + "; ".join(problems) if problems else None


def memory_cap(gpusim, scenario, flag=False):
    with tempfile.TemporaryDirectory() as tmp:
        parent = pathlib.Path(tmp)
        env = dict(os.environ)
        args = [gpusim, "run", scenario, "-o", str(parent / "out"), "--no-report", "-q"]
        if flag:
            args += ["--max-memory", "1"]
            env.pop("GPUSIM_MAX_MEMORY_MIB", None)
        else:
            env["GPUSIM_MAX_MEMORY_MIB"] = "1"
        p = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300)
        problems = []
        if p.returncode != 4:
            problems.append(f"exit {p.returncode}, want 4")
        want = "(--max-memory)" if flag else "(GPUSIM_MAX_MEMORY_MIB)"
        if "memory cap exceeded" not in p.stderr or want not in p.stderr:
            problems.append(f"stderr lacks the memory-cap message {want}: {p.stderr[-400:]!r}")
        if any(parent.iterdir()):
            problems.append("output left behind")
        return f"memory cap{' --max-memory' if flag else ''}: " + "; ".join(problems) if problems else None


def sweep_interrupt(gpusim, scenario, quick):
    """A sweep of a quick point then a long one, on one thread: SIGINT once the quick point is
    written stops the long one unwritten, and keeps the quick one and results.csv of it."""
    with tempfile.TemporaryDirectory() as tmp:
        parent = pathlib.Path(tmp)
        sweep = parent / "sweep.yaml"
        sweep.write_text(f"""apiVersion: gpusim.io/v1alpha1
kind: Sweep
metadata:
  name: stop
spec:
  axes:
    - name: scenario
      values: [{pathlib.Path(quick).resolve()}, {pathlib.Path(scenario).resolve()}]
  metrics:
    - {{name: pods_created, summary: /pods/created}}
""")
        out = parent / "out"
        p = subprocess.Popen([gpusim, "sweep", str(sweep), "-o", str(out), "-j", "1", "--no-report"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 120
        while time.time() < deadline and p.poll() is None:
            if len(list((out / "points").glob("*/point.json"))) >= 1:
                break
            time.sleep(0.05)
        time.sleep(0.5)  # into the long point
        err, failed = signal_and_wait(p, signal.SIGINT, "sweep")
        if failed:
            return failed
        problems = []
        if p.returncode != 130:
            problems.append(f"exit {p.returncode}, want 130")
        if "interrupted by SIGINT" not in err or "1 of 2 points finished" not in err:
            problems.append(f"stderr lacks the sweep's stop message: {err[-400:]!r}")
        points = sorted(x.name for x in (out / "points").iterdir())
        if len(points) != 1 or not (out / "points" / points[0] / "point.json").is_file():
            problems.append(f"points/ holds {points}, want the one finished point, whole")
        rows = (out / "results.csv").read_text().splitlines() if (out / "results.csv").exists() else []
        if len(rows) != 2:
            problems.append(f"results.csv has {len(rows)} lines, want a header and one row")
        return "sweep: " + "; ".join(problems) if problems else None


def compare_interrupt(gpusim, scenario):
    """SIGTERM during `gpusim compare` writes no partial variant directory and no report."""
    with tempfile.TemporaryDirectory() as tmp:
        parent = pathlib.Path(tmp)
        out = parent / "out"
        p = subprocess.Popen([gpusim, "compare", scenario, "--policy", "BestFit,FGD", "-o", str(out)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)
        err, failed = signal_and_wait(p, signal.SIGTERM, "compare")
        if failed:
            return failed
        problems = []
        if p.returncode != 143:
            problems.append(f"exit {p.returncode}, want 143")
        if "interrupted by SIGTERM" not in err:
            problems.append(f"stderr lacks 'interrupted by SIGTERM': {err[-400:]!r}")
        left = sorted(str(x.relative_to(parent)) for x in parent.rglob("*"))
        if any(x != "out" for x in left):
            problems.append(f"left {left} behind")
        return "compare: " + "; ".join(problems) if problems else None


def main():
    gpusim, scenario = sys.argv[1], sys.argv[2]
    checks = [interrupt(gpusim, scenario, signal.SIGINT),
              interrupt(gpusim, scenario, signal.SIGTERM),
              memory_cap(gpusim, scenario),
              memory_cap(gpusim, scenario, flag=True),
              compare_interrupt(gpusim, scenario)]
    if len(sys.argv) > 3:
        checks.append(sweep_interrupt(gpusim, scenario, sys.argv[3]))
    failures = [f for f in checks if f]
    for f in failures:
        print("FAIL", f)
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
