#!/usr/bin/env python3
"""End-to-end: `gpusim sweep` and `gpusim merge`.

- a sweep writes one point directory per point, results.csv (one row per point) and a report;
- the same sweep on 1 and on 3 threads writes byte-identical results;
- shards 0..N-1 run separately and merged equal a single run, byte for byte;
- an interrupted sweep (point directories deleted, a stale staging directory left behind, and a
  real kill mid-run) resumes to the same bytes, running only the missing points;
- the emitted Indexed Job is valid batch/v1 for gpusim's own loader and runs as Indexed pods;
- a bad Sweep fails with file:line:col and exit code 2, from `sweep` and from `validate` alike.

usage: sweep_e2e_test.py GPUSIM
"""
import csv
import filecmp
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
SWEEP = HERE / "data" / "demo-sweep.yaml"
FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what)


def run(args, **kw):
    return subprocess.run([GPUSIM] + [str(a) for a in args], capture_output=True, text=True, **kw)


def tree(d):
    """Every file under d (relative path -> bytes), hidden staging directories included."""
    d = pathlib.Path(d)
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def same_tree(a, b, what):
    ta, tb = tree(a), tree(b)
    check(sorted(ta) == sorted(tb), f"{what}: same files ({sorted(set(ta) ^ set(tb))[:5]})")
    diff = [k for k in ta if k in tb and ta[k] != tb[k]]
    check(not diff, f"{what}: identical bytes (differ: {diff[:5]})")


def main():
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="gpusim-sweep-"))
    try:
        single = tmp / "single"
        r = run(["sweep", SWEEP, "-o", single, "-j", "1"])
        check(r.returncode == 0, f"sweep exits 0 ({r.returncode}: {r.stderr[-400:]})")
        rows = list(csv.DictReader(open(single / "results.csv")))
        check(len(rows) == 16, f"16 result rows, got {len(rows)}")
        check(len({r["id"] for r in rows}) == 16, "point ids are unique")
        points = sorted(p.name for p in (single / "points").iterdir())
        check(len(points) == 16 and not any(p.startswith(".") for p in points), f"16 point dirs: {points[:3]}")
        for row in rows:
            check((single / "points" / row["id"] / "summary.json").is_file(), f"{row['id']}: summary.json kept")
            check(not (single / "points" / row["id"] / "events.jsonl").exists(), f"{row['id']}: events not kept")
        # The axes change what runs: one a100 node cannot hold what two do.
        gpu = {}
        for row in rows:
            gpu.setdefault(row["nodepool/a100.count"], []).append(float(row["gpu_allocated_mean_milli"]))
        # 4 T4 GPUs plus 8 per a100 node: one a100 node caps the allocation at 12 GPUs.
        check(max(gpu["1"]) <= 12000 and max(gpu["2"]) > max(gpu["1"]),
              f"the a100 pool size bounds GPU allocation: {gpu}")
        seeds = {(r["policy"], r["nodepool/a100.count"], r["hpa/ml-serving/fraud-detector-hpa.targetUtilization"])
                 for r in rows}
        check(len(seeds) == 8, "each non-seed combination has its two seeds")
        md = (single / "report.md").read_text()
        check("## pods_scheduled" in md and "BestFit" in md and "FGD" in md, "report.md: a table per metric per policy")
        check("median" in md, "report.md: seeds aggregated as median")
        html = (single / "report.html").read_text()
        check("<svg" in html and "gpu_allocated_mean_milli" in html, "report.html has charts")

        # Same results on 3 threads.
        threaded = tmp / "threaded"
        r = run(["sweep", SWEEP, "-o", threaded, "-j", "3", "-q"])
        check(r.returncode == 0, f"sweep -j 3 exits 0: {r.stderr[-300:]}")
        same_tree(single, threaded, "-j 1 vs -j 3")

        # Shards, merged.
        shard_dirs = []
        for i in range(3):
            d = tmp / f"shard-{i}"
            r = run(["sweep", SWEEP, "-o", d, "--shard", f"{i}/3", "-j", "2", "-q"])
            check(r.returncode == 0, f"shard {i}/3 exits 0: {r.stderr[-300:]}")
            n = len(list(csv.DictReader(open(d / "results.csv"))))
            check(n in (5, 6), f"shard {i} has a third of the points ({n})")
            shard_dirs.append(d)
        merged = tmp / "merged"
        r = run(["merge", *shard_dirs, "-o", merged])
        check(r.returncode == 0, f"merge exits 0: {r.stderr[-300:]}")
        same_tree(single, merged, "shards merged vs single run")
        r = run(["merge", shard_dirs[0], shard_dirs[1], "-o", tmp / "partial"])
        check(r.returncode == 2 and "in none of the directories" in r.stderr, "merge with a shard missing: exit 2")
        check(not (tmp / "partial").exists(), "merge with a shard missing writes nothing")
        # -o naming a directory of the user's own files: exit 2, nothing added to it.
        users = tmp / "users"
        users.mkdir()
        (users / "notes.txt").write_text("mine\n")
        for cmd in (["sweep", SWEEP, "-o", users, "-q"], ["merge", *shard_dirs, "-o", users]):
            r = run(cmd)
            check(r.returncode == 2 and "gpusim did not write" in r.stderr,
                  f"{cmd[0]} -o a user's directory: exit 2 ({r.returncode}) {r.stderr[-200:]}")
            check(sorted(p.name for p in users.iterdir()) == ["notes.txt"],
                  f"{cmd[0]} -o a user's directory adds nothing to it")

        # Interrupted: points lost, a stale staging directory left behind; rerun resumes.
        resumed = tmp / "resumed"
        shutil.copytree(single, resumed)
        for row in rows[3:9]:
            shutil.rmtree(resumed / "points" / row["id"])
        stale = resumed / "points" / f".{rows[4]['id']}.partial-99999-0"
        stale.mkdir()
        (stale / "summary.json").write_text("{\"half\": ")
        (resumed / "results.csv").unlink()
        r = run(["sweep", SWEEP, "-o", resumed, "-j", "2"])
        check(r.returncode == 0, f"resume exits 0: {r.stderr[-300:]}")
        check("10 already done, running 6" in r.stderr, f"resume runs only the missing points: {r.stderr[:200]}")
        same_tree(single, resumed, "resumed vs uninterrupted")

        # Killed for real, mid-run, then rerun.
        killed = tmp / "killed"
        p = subprocess.Popen([GPUSIM, "sweep", str(SWEEP), "-o", str(killed), "-j", "2"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline:
            pts = killed / "points"
            if pts.is_dir() and len([x for x in pts.iterdir() if not x.name.startswith(".")]) >= 4:
                break
            time.sleep(0.02)
        p.send_signal(signal.SIGKILL)
        p.wait()
        done_before = len([x for x in (killed / "points").iterdir() if not x.name.startswith(".")])
        r = run(["sweep", SWEEP, "-o", killed, "-j", "2"])
        check(r.returncode == 0, f"rerun after kill exits 0: {r.stderr[-300:]}")
        check(f"{done_before} already done" in r.stderr, f"rerun skips the {done_before} finished points")
        same_tree(single, killed, "killed and rerun vs uninterrupted")

        # Reusing a directory for a different sweep is refused.
        other = tmp / "other.yaml"
        other.write_text(SWEEP.read_text().replace("[BestFit, FGD]", "[FGD]")
                         .replace("../../../scenarios/demo", str(HERE.parent.parent / "scenarios" / "demo")))
        r = run(["sweep", other, "-o", single])
        check(r.returncode == 2 and "different sweep" in r.stderr, f"a different sweep in DIR is refused: {r.stderr}")

        # The Indexed Job: valid for gpusim's loader, and it runs as Indexed pods.
        r = run(["sweep", SWEEP, "--emit-indexed-job", "--image", "registry.example/gpusim:0.1", "--shards", "4",
                 "--parallelism", "2", "--cpus", "2"])
        check(r.returncode == 0, f"--emit-indexed-job exits 0: {r.stderr}")
        bad = run(["sweep", SWEEP, "--emit-indexed-job", "--image", "img:1", "--memory", "1Gx"])
        check(bad.returncode == 2 and "--memory" in bad.stderr and not bad.stdout,
              f"--memory 1Gx: exit 2 and no Job: {bad.returncode} {bad.stderr}")
        job = tmp / "job" / "job.yaml"
        job.parent.mkdir()
        job.write_text(r.stdout)
        for needle in ["apiVersion: batch/v1", "kind: Job", "completionMode: Indexed", "completions: 4",
                       "parallelism: 2", "$(JOB_COMPLETION_INDEX)/4", "persistentVolumeClaim", "/results"]:
            check(needle in r.stdout, f"job manifest has {needle!r}")
        v = run(["validate", job])
        check(v.returncode == 0, f"gpusim validate accepts the Job: {v.stdout}{v.stderr}")
        check("warning" not in (v.stdout + v.stderr), f"no warnings on the Job: {v.stdout}{v.stderr}")
        (tmp / "job" / "sim.yaml").write_text("""apiVersion: gpusim.io/v1alpha1
kind: Simulation
metadata:
  name: sweep-job
spec:
  seed: 1
  defaults:
    jobPodDuration: 10m
  nodePools:
    - name: cpu
      count: 1
      template:
        status:
          capacity: {cpu: "4", memory: 16Gi, pods: "110"}
""")
        out = tmp / "job-run"
        r = run(["run", tmp / "job", "-o", out, "-q", "--no-report"])
        check(r.returncode == 0, f"the Job simulates: {r.stderr[-400:]}")
        pods = list(csv.DictReader(open(out / "pods.csv")))
        check(len(pods) == 4, f"4 pods (one per completion index), got {len(pods)}")
        check(all(p["phase"] == "Succeeded" for p in pods), f"all pods succeed: {[p['phase'] for p in pods]}")
        starts = sorted(int(p["started_ms"]) for p in pods if p.get("started_ms"))
        check(len(starts) == 4 and starts[2] >= starts[0] + 600000,
              f"parallelism 2 on a 4-CPU node: the third pod waits for the first pair: {starts}")

        # Bad input: located, exit 2.
        bad = tmp / "bad.yaml"
        bad.write_text(SWEEP.read_text().replace("nodepool/a100.count", "nodepool/a100.size"))
        r = run(["sweep", bad, "-o", tmp / "bad-out"])
        check(r.returncode == 2, f"bad axis exits 2 ({r.returncode})")
        check(f"{bad}:13:13:" in r.stderr and "count or gpuModel" in r.stderr, f"bad axis located: {r.stderr}")
        bad.write_text(SWEEP.read_text().replace("nodepool/a100.count", "nodepool/h100.count")
                       .replace("../../../scenarios/demo", str(HERE.parent.parent / "scenarios" / "demo")))
        r = run(["sweep", bad, "-o", tmp / "bad-out"])
        check(r.returncode == 2 and "no node pool \"h100\"" in r.stderr and f"{bad}:13:13:" in r.stderr,
              f"missing pool located: {r.stderr}")
        check(not (tmp / "bad-out" / "points").exists() or not any((tmp / "bad-out" / "points").iterdir()),
              "nothing ran")
        # `validate` checks a Sweep as `sweep` does before it runs: the same errors, exit 2.
        v = run(["validate", bad])
        check(v.returncode == 2 and "no node pool \"h100\"" in v.stderr and f"{bad}:13:13:" in v.stderr,
              f"validate locates the missing pool as sweep does: {v.returncode} {v.stderr}")
        v = run(["validate", SWEEP])
        check(v.returncode == 0 and "valid: Sweep" in v.stdout and "16 point(s) over 1 base" in v.stdout,
              f"validate accepts the sweep and counts its points: {v.returncode} {v.stdout}{v.stderr}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILURES:
        print(f"{len(FAILURES)} failure(s)")
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    GPUSIM = sys.argv[1]
    sys.exit(main())
