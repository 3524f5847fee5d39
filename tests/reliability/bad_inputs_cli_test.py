#!/usr/bin/env python3
"""`gpusim run` on every malformed scenario of tests/data/scenarios/bad: exit code 2, the first
expected diagnostic printed as file:line:col, and nothing left in the output's parent directory
(no output directory, no staging directory). Warning-only files must run (exit 0). Also a missing
input file, a directory without YAML and an out-of-range --threads.

usage: bad_inputs_cli_test.py GPUSIM"""
import fcntl
import os
import pathlib
import re
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
BAD = HERE.parent / "data" / "scenarios" / "bad"
# `L:C` in the file itself, or `other/file:L:C` in a file it names (an arrival trace).
EXPECT = re.compile(r"^# expect (error|warning) (?:(\S+):)?(\d+):(\d+) ")


def run(gpusim, inputs, parent):
    out = parent / "out"
    p = subprocess.run([gpusim, "run", *inputs, "-o", str(out), "--no-report", "-q"],
                       capture_output=True, text=True, timeout=120)
    return p, out


def main():
    gpusim = sys.argv[1]
    failures = []
    files = sorted(BAD.glob("*.yaml"))
    for f in files:
        expects = [EXPECT.match(l) for l in f.read_text().splitlines()]
        expects = [m for m in expects if m]
        errors = [m for m in expects if m.group(1) == "error"]
        with tempfile.TemporaryDirectory() as tmp:
            parent = pathlib.Path(tmp)
            p, out = run(gpusim, [str(f)], parent)
            left = sorted(x.name for x in parent.iterdir())
            if errors:
                e = errors[0]
                at = os.path.normpath(f.parent / e.group(2)) if e.group(2) else str(f)
                where = f"{at}:{e.group(3)}:{e.group(4)}: error: "
                if p.returncode != 2:
                    failures.append(f"{f.name}: exit {p.returncode}, want 2\n{p.stderr[-800:]}")
                elif where not in p.stderr:
                    failures.append(f"{f.name}: stderr lacks {where!r}:\n{p.stderr[-800:]}")
                if left:
                    failures.append(f"{f.name}: left {left} behind")
            elif p.returncode != 0:
                failures.append(f"{f.name} (warnings only): exit {p.returncode}\n{p.stderr[-800:]}")
            # `validate` agrees with `run` on every file.
            v = subprocess.run([gpusim, "validate", str(f)], capture_output=True, text=True, timeout=60)
            if v.returncode != (2 if errors else 0):
                failures.append(f"validate {f.name}: exit {v.returncode}, run gave {p.returncode}")
    with tempfile.TemporaryDirectory() as tmp:
        parent = pathlib.Path(tmp)
        missing = parent / "nope.yaml"
        p, out = run(gpusim, [str(missing)], parent / "o")
        if p.returncode != 2 or str(missing) not in p.stderr:
            failures.append(f"missing file: exit {p.returncode}\n{p.stderr[-400:]}")
        empty_dir = parent / "no-yaml"
        empty_dir.mkdir()
        (empty_dir / "README.txt").write_text("no scenario here\n")
        p, out = run(gpusim, [str(empty_dir)], parent / "o")
        if p.returncode != 2:
            failures.append(f"directory without YAML: exit {p.returncode}\n{p.stderr[-400:]}")
        if (parent / "o").exists() and any((parent / "o").iterdir()):
            failures.append("an output was left for a missing input")
        # Option values out of range: exit 2 naming the option, no output.
        demo = HERE.parent.parent / "scenarios" / "demo"
        for threads in ("-1", "300"):
            p, out = run(gpusim, [str(demo), "--threads", threads], parent / "t")
            if p.returncode != 2 or "--threads" not in p.stderr or out.exists():
                failures.append(f"--threads {threads}: exit {p.returncode}\n{p.stderr[-400:]}")
        # An input with no end: a located error, not an allocation failure.
        if pathlib.Path("/dev/zero").exists():
            p = subprocess.run([gpusim, "validate", "/dev/zero"], capture_output=True, text=True, timeout=120)
            if p.returncode != 2 or "/dev/zero: error: input larger than" not in p.stderr:
                failures.append(f"validate /dev/zero: exit {p.returncode}\n{p.stderr[-400:]}")
        # A seed that is not a 64-bit unsigned number (CLI11 alone wrapped -1 round).
        for seed in ("-1", "18446744073709551616", "1e3"):
            p, out = run(gpusim, [str(demo), "--seed", seed], parent / "s")
            if p.returncode != 2 or "--seed" not in p.stderr or out.exists():
                failures.append(f"--seed {seed}: exit {p.returncode}\n{p.stderr[-400:]}")
    # -o naming what gpusim did not write (a user's directory, a file, the input itself):
    # exit 2 before running, and it is left exactly as it was.
    with tempfile.TemporaryDirectory() as tmp:
        parent = pathlib.Path(tmp)
        demo = HERE.parent.parent / "scenarios" / "demo"
        mine = parent / "mine"
        mine.mkdir()
        (mine / "precious.txt").write_text("keep\n")
        afile = parent / "afile"
        afile.write_text("keep\n")
        scenario_copy = parent / "scenario"
        scenario_copy.mkdir()
        for f in demo.iterdir():
            (scenario_copy / f.name).write_bytes(f.read_bytes())
        before = {x: sorted(y.name for y in x.iterdir()) for x in (mine, scenario_copy)}
        for inputs, out in (([demo], mine), ([demo], afile), ([scenario_copy], scenario_copy)):
            p = subprocess.run([gpusim, "run", *map(str, inputs), "-o", str(out), "--no-report", "-q"],
                               capture_output=True, text=True, timeout=120)
            if p.returncode != 2 or "refusing to replace" not in p.stderr:
                failures.append(f"-o {out.name}: exit {p.returncode}\n{p.stderr[-400:]}")
        after = {x: sorted(y.name for y in x.iterdir()) for x in (mine, scenario_copy)}
        if before != after or afile.read_text() != "keep\n":
            failures.append(f"-o replaced what gpusim did not write: {before} -> {after}")
        left = sorted(x.name for x in parent.iterdir() if x.name.startswith("."))
        if left:
            failures.append(f"refused -o left {left} behind")
        # compare: every policy is checked before the first run writes anything; a policy listed
        # twice would run twice into one directory.
        for policies in ("FGD,Bogus", "FGD,fgd"):
            p = subprocess.run([gpusim, "compare", str(demo), "--policy", policies, "-o", str(parent / "cmp")],
                               capture_output=True, text=True, timeout=120)
            if p.returncode != 2 or (parent / "cmp").exists():
                failures.append(f"compare --policy {policies}: exit {p.returncode}, output {(parent / 'cmp').exists()}")
        # Contradicting flags, and a memory cap in the environment that is no number.
        p, out = run(gpusim, [str(demo), "--explain", "--no-explain"], parent / "x")
        if p.returncode != 2 or out.exists():
            failures.append(f"--explain --no-explain: exit {p.returncode}")
        p = subprocess.run([gpusim, "run", str(demo), "-o", str(parent / "m"), "-q"], capture_output=True,
                           text=True, timeout=120, env={**os.environ, "GPUSIM_MAX_MEMORY_MIB": "abc"})
        if p.returncode != 2 or "GPUSIM_MAX_MEMORY_MIB" not in p.stderr or (parent / "m").exists():
            failures.append(f"GPUSIM_MAX_MEMORY_MIB=abc: exit {p.returncode}\n{p.stderr[-300:]}")
        # What `run` rejects before running, `validate` rejects too: an expectation over an
        # unknown metric, a policy that is no score plugin.
        for name, spec, want in (
                ("expectation", "  expectations: [{name: w, expr: max(pod_wiat) <= 10m}]\n",
                 'unknown metric "pod_wiat"'),
                ("policy", "  policy: NodeName\n", 'plugin "NodeName" does not implement the score')):
            f = parent / f"{name}.yaml"
            f.write_text("apiVersion: gpusim.io/v1alpha1\nkind: Simulation\nmetadata: {name: v}\nspec:\n"
                         "  nodePools: [{name: cpu, count: 1, template: {status: {capacity: {cpu: 8}}}}]\n"
                         + spec)
            for cmd in ("validate", "run"):
                p = subprocess.run([gpusim, cmd, str(f), *(["-o", str(parent / "v")] if cmd == "run" else [])],
                                   capture_output=True, text=True, timeout=60)
                if p.returncode != 2 or want not in p.stderr:
                    failures.append(f"{cmd} {name}: exit {p.returncode}\n{p.stderr[-300:]}")
        # sweep -o naming a file: bad input (exit 2) before anything runs, the file untouched.
        afile = parent / "afile"
        afile.write_text("keep\n")
        sweep = HERE.parent.parent / "scenarios" / "sweeps" / "fgd-matrix.yaml"
        p = subprocess.run([gpusim, "sweep", str(sweep), "-o", str(afile)], capture_output=True, text=True,
                           timeout=60)
        if p.returncode != 2 or "is not a directory" not in p.stderr or afile.read_text() != "keep\n":
            failures.append(f"sweep -o FILE: exit {p.returncode}\n{p.stderr[-300:]}")
        # compare -o a directory of the user's own files: exit 2 before any run, nothing added.
        users = parent / "users"
        users.mkdir()
        (users / "notes.txt").write_text("mine\n")
        p = subprocess.run([gpusim, "compare", str(demo), "--policies", "FGD,BestFit", "-o", str(users)],
                           capture_output=True, text=True, timeout=120)
        if p.returncode != 2 or "gpusim did not write" not in p.stderr or \
                [f.name for f in users.iterdir()] != ["notes.txt"]:
            failures.append(f"compare -o a user's directory: exit {p.returncode}\n{p.stderr[-300:]}")
        # compare -o a directory another gpusim command is writing (its lock held): exit 2 before
        # any run, nothing added.
        held = parent / "held"
        held.mkdir()
        (held / ".gpusim-output").write_text("written by gpusim\n")
        with open(held / ".gpusim-lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            p = subprocess.run([gpusim, "compare", str(demo), "--policies", "FGD,BestFit", "-o", str(held)],
                               capture_output=True, text=True, timeout=120)
        if p.returncode != 2 or "is in use by another gpusim command" not in p.stderr or \
                sorted(f.name for f in held.iterdir()) != [".gpusim-lock", ".gpusim-output"]:
            failures.append(f"compare -o a held directory: exit {p.returncode}\n{p.stderr[-300:]}")
        # A mistyped command is named, with the nearest one, rather than "A subcommand is required".
        p = subprocess.run([gpusim, "rnu", str(demo)], capture_output=True, text=True, timeout=60)
        if p.returncode != 2 or 'unknown command "rnu" (did you mean "run"?)' not in p.stderr:
            failures.append(f"gpusim rnu: exit {p.returncode}\n{p.stderr[-300:]}")
    for msg in failures:
        print("FAIL", msg)
    print(f"{len(files)} bad inputs, {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
