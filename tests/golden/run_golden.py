#!/usr/bin/env python3
"""Golden-output test for a bundled scenario.

Runs `gpusim run SCENARIO --reproducible` twice with the same seed and output path, checks the
two run directories (reports included) are byte-identical, then compares them with the expected files in GOLDEN_DIR.
Expected files are rewritten only with GPUSIM_UPDATE_GOLDEN=1 (scripts/update-golden).
Files larger than HASH_ABOVE_BYTES are kept as FILE.sha256 (the repository stays small; a
mismatch then says only that the file changed: rerun the scenario to see how).

usage: run_golden.py GPUSIM SCENARIO GOLDEN_DIR [extra gpusim run args...]
"""
import difflib
import hashlib
import filecmp
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

# Every file of the run directory is a golden file (a new output is covered the day it appears),
# except the reports, compared between the two runs only: byte-identical too, but not kept.
REPORTS = ["report.md", "report.html"]
HASH_ABOVE_BYTES = 128 * 1024


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


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
        # Both runs write to one path (the reports name it), the first then moved aside.
        a, b = pathlib.Path(tmp) / "a", pathlib.Path(tmp) / "b"
        run(gpusim, scenario, a, extra)
        a.rename(b)
        run(gpusim, scenario, a, extra)
        files = sorted(p.name for p in a.iterdir()
                       if p.is_file() and p.name not in REPORTS and not p.name.startswith("."))
        if not files:
            print("no output files were written")
            return 1
        for f in files + [r for r in REPORTS if (a / r).exists()]:
            if not filecmp.cmp(a / f, b / f, shallow=False):
                print(f"{f}: two runs with the same seed differ")
                return 1
        if os.environ.get("GPUSIM_UPDATE_GOLDEN") == "1":
            golden.mkdir(parents=True, exist_ok=True)
            for old in golden.iterdir():
                old.unlink()
            for f in files:
                if (a / f).stat().st_size > HASH_ABOVE_BYTES:
                    (golden / (f + ".sha256")).write_text(sha256(a / f) + "\n")
                else:
                    shutil.copyfile(a / f, golden / f)
            print(f"updated {golden} ({', '.join(files)})")
            return 0
        failed = False
        expected_names = {p.name.removesuffix(".sha256") for p in golden.glob("*")} if golden.exists() else set()
        for f in sorted(expected_names - set(files)):
            print(f"{f}: expected in the run directory but not written")
            failed = True
        for f in files:
            expected = golden / f
            hashed = golden / (f + ".sha256")
            if hashed.exists():
                if hashed.read_text().strip() != sha256(a / f):
                    print(f"{f}: differs from the recorded sha256 ({hashed})")
                    failed = True
                continue
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
