#!/usr/bin/env python3
"""Golden-output test for a bundled scenario.

Runs `gpusim run SCENARIO --reproducible` twice with the same seed, checks the two run
directories are byte-identical, then compares them with the expected files in GOLDEN_DIR.
Expected files are rewritten only with GPUSIM_UPDATE_GOLDEN=1 (scripts/update-golden).

usage: run_golden.py GPUSIM SCENARIO GOLDEN_DIR [extra gpusim run args...]
"""
import difflib
import filecmp
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

COMPARED = ["summary.json", "events.jsonl", "timeseries.csv", "arrival.csv"]


def run(gpusim, scenario, out, extra):
    cmd = [gpusim, "run", scenario, "-o", str(out), "--reproducible", "--quiet", *extra]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        print("command failed:", " ".join(cmd), "\n", r.stdout, r.stderr)
        sys.exit(1)


def main():
    gpusim, scenario, golden = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
    extra = sys.argv[4:]
    with tempfile.TemporaryDirectory() as tmp:
        a, b = pathlib.Path(tmp) / "a", pathlib.Path(tmp) / "b"
        run(gpusim, scenario, a, extra)
        run(gpusim, scenario, b, extra)
        files = [f for f in COMPARED if (a / f).exists()]
        if not files:
            print("no output files were written")
            return 1
        for f in files:
            if not filecmp.cmp(a / f, b / f, shallow=False):
                print(f"{f}: two runs with the same seed differ")
                return 1
        if os.environ.get("GPUSIM_UPDATE_GOLDEN") == "1":
            golden.mkdir(parents=True, exist_ok=True)
            for f in files:
                shutil.copyfile(a / f, golden / f)
            print(f"updated {golden} ({', '.join(files)})")
            return 0
        failed = False
        for f in files:
            expected = golden / f
            if not expected.exists():
                print(f"{expected} is missing (run scripts/update-golden after checking the output)")
                failed = True
                continue
            if not filecmp.cmp(a / f, expected, shallow=False):
                failed = True
                diff = difflib.unified_diff(expected.read_text().splitlines(), (a / f).read_text().splitlines(),
                                            str(expected), "actual", lineterm="", n=2)
                print("\n".join(list(diff)[:60]))
        print("golden outputs match" if not failed else "golden outputs differ")
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
