#!/usr/bin/env python3
"""End-to-end: the CLI as a user meets it, on the bundled scenarios: `run --explain` on a
packing trace replay.

usage: cli_e2e_test.py GPUSIM
"""
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
OPENB = ROOT / "scenarios" / "openb" / "default.yaml"

failures = []


def expect(cond, what):
    if not cond:
        failures.append(what)
        print("FAILED:", what)


def run(cmd):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=600)
    return r.returncode, r.stdout, r.stderr


def table_rows(text):
    return [line.split() for line in text.strip().splitlines()]


def check_packing_explain(gpusim, tmp):
    out = tmp / "openb"
    rc, _, se = run([gpusim, "run", OPENB, "--explain", "-o", out, "-q", "--no-report"])
    expect(rc == 0 and "--explain records nothing on a packing trace replay" in se,
           f"run --explain on a packing replay warns: {rc} {se!r}")
    expect(not (out / "explain.jsonl").exists(), "no empty explain.jsonl")
    pods = (out / "pods.csv").read_text().splitlines()
    pod = pods[1].split(",")[0]
    rc, so, _ = run([gpusim, "explain", out, pod])
    expect(rc == 0 and "packing trace replay" in so and "record it with" not in so,
           f"explain says why nothing was recorded: {so!r}")


def main():
    gpusim = sys.argv[1]
    os.environ["GPUSIM_REPRODUCIBLE"] = "1"
    with tempfile.TemporaryDirectory() as t:
        tmp = pathlib.Path(t)
        check_packing_explain(gpusim, tmp)
    print("cli end-to-end: " + ("FAILED" if failures else "passed"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
