#!/usr/bin/env python3
"""End-to-end: `gpusim sweep` and `gpusim merge`.

- a sweep writes one point directory per point, results.csv (one row per point) and a report;
- the same sweep on 1 and on 3 threads writes byte-identical results;
- shards 0..N-1 run separately and merged equal a single run, byte for byte;
- an interrupted sweep (point directories deleted, a stale staging directory left behind, and a
  real kill mid-run) resumes to the same bytes, running only the missing points;
- the emitted Indexed Job is valid batch/v1 for gpusim's own loader and runs as Indexed pods;
- a bad Sweep fails with file:line:col and exit code 2, from `sweep` and from `validate` alike;
- a second sweep or merge on a directory another command holds (its .gpusim-lock flocked) exits 2
  at once and changes nothing; the lock goes with its holder.

usage: sweep_e2e_test.py GPUSIM
"""
import csv
import fcntl
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
        # Identical copies of a point (a shard and the full run overlap) merge fine; two
        # different copies of one point are an error naming it and both directories.
        r = run(["merge", shard_dirs[0], single, "-o", tmp / "overlap", "-q"])
        check(r.returncode == 0 and not r.stdout, f"merge of identical duplicates -q: exit 0, silent: {r}")
        same_tree(single, tmp / "overlap", "overlapping merge vs single run")
        edited = tmp / "edited"
        shutil.copytree(shard_dirs[0], edited)
        pid = sorted(p.name for p in (edited / "points").iterdir() if not p.name.startswith("."))[0]
        pj = edited / "points" / pid / "point.json"
        pj.write_text(pj.read_text().replace('"metrics": {', '"metrics": {"x": 999, ', 1))
        for order in ([edited, *shard_dirs], [*shard_dirs, edited]):
            r = run(["merge", *order, "-o", tmp / "conflict"])
            first, second = (edited, shard_dirs[0]) if order[0] == edited else (shard_dirs[0], edited)
            check(r.returncode == 2 and f"point {pid} differs between {first} and {second} (point.json)" in r.stderr,
                  f"merge of two different copies of a point: exit 2 naming both ({r.returncode}) {r.stderr[-300:]}")
            check(not (tmp / "conflict").exists(), "a conflicting merge writes nothing")
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

        # Another command holds DIR (as a running sweep does): a second sweep or merge into it
        # exits 2 at once, naming it, and touches nothing; once the holder is gone it proceeds.
        before = tree(single)
        with open(single / ".gpusim-lock", "a") as held:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
            for cmd in (["sweep", SWEEP, "-o", single, "-q"], ["merge", *shard_dirs, "-o", single]):
                r = run(cmd)
                check(r.returncode == 2 and f"{single} is in use by another gpusim command" in r.stderr,
                      f"{cmd[0]} on a held directory: exit 2 ({r.returncode}) {r.stderr[-300:]}")
            check(tree(single) == before, "a refused second command changes nothing")
        r = run(["sweep", SWEEP, "-o", single])
        check(r.returncode == 0 and "16 already done" in r.stderr,
              f"released: the sweep proceeds ({r.returncode}) {r.stderr[-300:]}")

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

        demo = str(HERE.parent.parent / "scenarios" / "demo")
        hpa = "hpa/ml-serving/fraud-detector-hpa"

        def sweep_doc(axes, metrics="    - {name: scheduled, summary: /pods/scheduled}\n", scenario=demo):
            return ("apiVersion: gpusim.io/v1alpha1\nkind: Sweep\nmetadata: {name: t}\nspec:\n"
                    f"  scenario: {scenario}\n  until: 10m\n  axes:\n{axes}  metrics:\n{metrics}")

        # Values that clash only together (minReplicas 8 > maxReplicas 4): exit 2 from validate
        # and sweep alike, at the first of the two axes, naming a point and the values; nothing
        # runs and no "retry" is suggested.
        clash = tmp / "clash.yaml"
        clash.write_text(sweep_doc(f"    - name: {hpa}.minReplicas\n      values: [1, 8]\n"
                                   f"    - name: {hpa}.maxReplicas\n      values: [4, 10]\n"))
        for cmd in (["validate", clash], ["sweep", clash, "-o", tmp / "clash-out"]):
            r = run(cmd)
            check(r.returncode == 2 and f"{clash}:8:13:" in r.stderr
                  and "minReplicas 8 would exceed maxReplicas 4" in r.stderr
                  and f"{hpa}.minReplicas=8, {hpa}.maxReplicas=4" in r.stderr and "point 8_4-" in r.stderr
                  and "1 point(s)" in r.stderr and "retry" not in r.stderr,
                  f"{cmd[0]}: clashing axis values: exit 2, located ({r.returncode}) {r.stderr[-500:]}")
        check(not (tmp / "clash-out").exists(), "a clashing sweep writes nothing")
        # Together they may also hold where one alone would not: minReplicas 12 is above the
        # scenario's maxReplicas (10) but not above the axis's 20.
        wide = tmp / "wide.yaml"
        wide.write_text(sweep_doc(f"    - name: {hpa}.minReplicas\n      values: [12]\n"
                                  f"    - name: {hpa}.maxReplicas\n      values: [20]\n"))
        r = run(["validate", wide])
        check(r.returncode == 0, f"minReplicas 12 with maxReplicas 20 is valid: {r.returncode} {r.stderr}")

        # An arrival metric with no trace replay can never have a value: exit 2 at the metric.
        arr = tmp / "arrival.yaml"
        arr.write_text(sweep_doc("    - name: seed\n      values: [1]\n",
                                 "    - {name: u100, arrival: 100}\n"))
        r = run(["validate", arr])
        check(r.returncode == 2 and f"{arr}:11:7:" in r.stderr and "replays a trace" in r.stderr,
              f"arrival metric without a trace: exit 2 at the metric ({r.returncode}) {r.stderr}")
        # A pointer that finds nothing: the sweep runs, and says so.
        nokey = tmp / "nokey.yaml"
        nokey.write_text(sweep_doc("    - name: seed\n      values: [1, 2]\n",
                                   "    - {name: nothing, summary: /no/such/key}\n"
                                   "    - {name: wait_p95, summary: /pods/wait_ms/p95}\n"))
        r = run(["sweep", nokey, "-o", tmp / "nokey-out", "-q"])
        check(r.returncode == 0 and 'warning: metric "nothing" (summary:/no/such/key) is empty in 2 of 2' in r.stderr
              and "wait_p95" not in r.stderr,
              f"an empty metric is warned about ({r.returncode}) {r.stderr}")
        rows = list(csv.DictReader(open(tmp / "nokey-out" / "results.csv")))
        check(all(row["nothing"] == "" and row["wait_p95"] != "" for row in rows),
              f"cluster-wide p95 wait is a number: {rows}")

        # A spec.scenario that is not there: located at the field.
        missing = tmp / "missing.yaml"
        missing.write_text(sweep_doc("    - name: seed\n      values: [1]\n", scenario="nope"))
        r = run(["validate", missing])
        check(r.returncode == 2 and f"{missing}:5:13: error: spec.scenario: scenario not found" in r.stderr,
              f"missing spec.scenario located ({r.returncode}) {r.stderr}")

        # More shards than points: allowed, warned.
        r = run(["sweep", nokey, "--emit-indexed-job", "--image", "img:1", "--shards", "5"])
        check(r.returncode == 0 and "--shards 5 is more than the sweep's 2 point(s)" in r.stderr,
              f"--shards above the points warns ({r.returncode}) {r.stderr}")
        r = run(["sweep", nokey, "--emit-indexed-job", "--image", "img:1", "--shards", "2"])
        check(r.returncode == 0 and "warning" not in r.stderr, f"--shards 2 of 2: no warning {r.stderr}")
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
