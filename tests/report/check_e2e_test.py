#!/usr/bin/env python3
"""End-to-end: `gpusim check` exit codes (0 all hold, 1 one fails, 2 bad input), JUnit XML,
summary.json `expectations`, re-checking a saved run directory, and the commands that read a run
directory (report, explain, get).

usage: check_e2e_test.py GPUSIM
"""
import csv
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

SIM = """apiVersion: gpusim.io/v1alpha1
kind: Simulation
metadata:
  name: e2e
spec:
  seed: 3
  duration: 4h
  sampleInterval: 5m
  defaults:
    podStartup: 5s
  nodePools:
    - name: a100
      count: 2
      gpuModel: A100
      template:
        metadata:
          labels: {accelerator: nvidia-a100}
        status:
          capacity: {cpu: "64", memory: 512Gi, nvidia.com/gpu: "8", pods: "110"}
  expectations:
{expectations}
"""

JOBS = """apiVersion: v1
kind: Namespace
metadata: {name: team-a}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: train
  namespace: team-a
  annotations: {gpusim.io/duration: 1h}
spec:
  parallelism: 3
  completions: 3
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: t
          image: trainer
          resources:
            requests: {cpu: "8", memory: 64Gi}
            limits: {memory: 64Gi, nvidia.com/gpu: "8"}
"""

PASSING = [
    ("all-jobs-complete", 'all(jobs_complete{namespace="team-a"})'),
    ("gpus-busy-at-first", "max(gpu_allocation) == 100%"),
    ("third-pod-waits-an-hour", 'max(pod_wait{namespace="team-a"}) >= 1h'),
    ("no-quota-rejections", "count(quota_rejections) == 0"),
]
FAILING = PASSING + [("waits-under-10m", 'max(pod_wait{namespace="team-a"}) <= 10m')]


def expectations_yaml(items):
    # Single-quoted YAML scalars keep the double quotes of label values.
    return "\n".join(f"    - name: {n}\n      expr: '{e}'" for n, e in items)


def write_scenario(root, name, items):
    d = pathlib.Path(root) / name
    d.mkdir()
    (d / "simulation.yaml").write_text(SIM.replace("{expectations}", expectations_yaml(items)))
    (d / "jobs.yaml").write_text(JOBS)
    return d


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    return r.returncode, r.stdout, r.stderr


failures = []


def expect(cond, what):
    if not cond:
        failures.append(what)
        print("FAILED:", what)


def quota_waits(gpusim, tmp):
    """The wait with quota (pod_wait_with_quota, the report's "wait with quota") is the wait the
    run's namespaces.csv reports, to the millisecond; the scheduling wait (pod_wait) leaves the
    time quota held team-c's Jobs back out."""
    scenario = tmp / "quota-ci"
    shutil.copytree(pathlib.Path(__file__).resolve().parents[2] / "scenarios" / "quota-ci", scenario)
    first = tmp / "out-quota-ci"
    rc, _, se = run([gpusim, "run", str(scenario), "-o", str(first), "-q"])
    expect(rc == 0, f"quota-ci runs (got {rc}: {se})")
    rows = {r["namespace"]: r for r in csv.DictReader(open(first / "namespaces.csv"))}
    c = rows.get("team-c", {})
    expect(int(c.get("wait_max_ms", "0")) > 3_600_000, f"team-c waited hours for quota: {c}")
    q = 'pod_wait_with_quota{namespace="team-c"}'
    items = [
        ("max-matches", f'max({q}) == {c.get("wait_max_ms")}ms'),
        ("p50-matches", f'p50({q}) == {c.get("wait_p50_ms")}ms'),
        ("p95-matches", f'p95({q}) == {c.get("wait_p95_ms")}ms'),
        ("scheduling-wait-is-shorter", f'max(pod_wait{{namespace="team-c"}}) < {c.get("wait_max_ms")}ms'),
    ]
    sim = scenario / "simulation.yaml"
    sim.write_text(sim.read_text().rstrip("\n") + "\n" + expectations_yaml(items) + "\n")
    out = tmp / "out-quota-ci-check"
    rc, so, se = run([gpusim, "check", str(scenario), "-o", str(out)])
    expect(rc == 0 and all(n in so for n, _ in items),
           f"pod_wait_with_quota agrees with namespaces.csv (got {rc}): {so} {se}")
    md = (out / "report.md").read_text() if (out / "report.md").exists() else ""
    expect("wait with quota p95" in md and "scheduling wait p95" in md,
           "the report's namespace table shows both waits")


def main():
    gpusim = sys.argv[1]
    env_note = "GPUSIM_REPRODUCIBLE"
    os.environ[env_note] = "1"
    with tempfile.TemporaryDirectory() as tmp:
        ok = write_scenario(tmp, "ok", PASSING)
        bad = write_scenario(tmp, "bad", FAILING)
        broken = write_scenario(tmp, "broken", PASSING + [("typo", 'max(pod_wiat{namespace="team-a"}) <= 10m')])

        # 0: every expectation holds.
        junit = os.path.join(tmp, "ok.xml")
        out = os.path.join(tmp, "out-ok")
        rc, so, se = run([gpusim, "check", str(ok), "--junit", junit, "-o", out])
        expect(rc == 0, f"check of a passing scenario exits 0 (got {rc}): {so} {se}")
        suites = ET.parse(junit).getroot()
        expect(suites.tag == "testsuites", "JUnit root is <testsuites>")
        cases = suites.findall("./testsuite/testcase")
        expect(len(cases) == len(PASSING), f"one testcase per expectation ({len(cases)})")
        expect(len({c.get("name") for c in cases}) == len(cases), "testcase names are unique")
        expect(not suites.findall(".//failure"), "no <failure> when all hold")
        summary = json.loads(pathlib.Path(out, "summary.json").read_text())
        exp = summary.get("expectations", [])
        expect([e["name"] for e in exp] == [n for n, _ in PASSING], "summary.json lists the expectations in order")
        expect(all(e["passed"] and "observed" in e and "message" in e for e in exp), "summary.json: passed/observed/message")
        expect(pathlib.Path(out, "report.html").exists() and pathlib.Path(out, "report.md").exists(),
               "the run directory has report.html and report.md")

        # 1: one fails; the failure says observed vs expected and when.
        junit = os.path.join(tmp, "bad.xml")
        out_bad = os.path.join(tmp, "out-bad")
        rc, so, se = run([gpusim, "check", str(bad), "--junit", junit, "-o", out_bad])
        expect(rc == 1, f"check with a failing expectation exits 1 (got {rc}): {se}")
        line = next((l for l in so.splitlines() if "waits-under-10m" in l), "")
        expect("FAIL" in line and "= 1h" in line and "expected <= 10m" in line and " at " in line,
               f"failure printed with observed, expected and time: {line!r}")
        failed = ET.parse(junit).getroot().findall(".//testcase/failure")
        expect(len(failed) == 1 and "expected <= 10m" in failed[0].get("message", ""), "JUnit <failure> with a message")

        # Re-checking the saved run gives the same verdict without running.
        rc2, so2, _ = run([gpusim, "check", out_bad])
        expect(rc2 == 1 and "waits-under-10m" in so2, f"re-check of a saved run exits 1 (got {rc2})")
        rc3, _, _ = run([gpusim, "check", out])
        expect(rc3 == 0, f"re-check of a passing saved run exits 0 (got {rc3})")
        # -q prints the failures only: the failing run's FAIL line, not its PASS lines nor the
        # passing run's header.
        rc4, so4, _ = run([gpusim, "check", out_bad, out, "-q"])
        expect(rc4 == 1 and "FAIL" in so4 and "PASS" not in so4 and so4.count("expectation(s)") == 1,
               f"check -q prints failures only: {so4!r}")

        # 2: a malformed expression is a load error at file:line:column, and nothing runs.
        out_broken = os.path.join(tmp, "out-broken")
        rc, so, se = run([gpusim, "check", str(broken), "-o", out_broken])
        expect(rc == 2, f"malformed expression exits 2 (got {rc})")
        sim_file = str(broken / "simulation.yaml")
        lines = pathlib.Path(sim_file).read_text().splitlines()
        row = next(i for i, l in enumerate(lines) if "pod_wiat" in l) + 1
        col = lines[row - 1].index("pod_wiat") + 1
        expect(f"{sim_file}:{row}:{col}: error:" in se and "did you mean pod_wait" in se,
               f"error located at {row}:{col}: {se!r}")
        expect(not os.path.exists(out_broken), "nothing written for bad input")
        rc, _, se = run([gpusim, "check", os.path.join(tmp, "missing")])
        expect(rc == 2, f"a missing scenario exits 2 (got {rc})")
        # A saved run is checked as recorded; options that shape a run say they do not apply.
        rc, _, se = run([gpusim, "check", out, "--seed", "5"])
        expect(rc == 0 and "is a saved run, checked as recorded" in se,
               f"check of a saved run with --seed warns (got {rc}: {se})")
        # A bad printed format names the flag the user gave (check's -o is the output directory).
        rc, _, se = run([gpusim, "check", out, "--format", "bogus"])
        expect(rc == 2 and "--format bogus: expected table" in se and "-o bogus" not in se,
               f"check --format bogus names --format (got {rc}: {se})")
        # Two scenarios of one metadata.name would share DIR/<name>: exit 2, nothing run.
        out_same = os.path.join(tmp, "out-same")
        rc, _, se = run([gpusim, "check", str(ok), str(bad), "-o", out_same])
        expect(rc == 2 and "both named" in se and not os.path.exists(out_same),
               f"two scenarios of one name exit 2 with nothing written (got {rc}: {se})")

        # The readers of a run directory.
        rc, so, _ = run([gpusim, "get", "nodes", out, "--at", "30m"])
        expect(rc == 0 and "GPU-ALLOCATED" in so and "a100-0" in so, f"get nodes: {so}")
        rc, so, _ = run([gpusim, "get", "pods", out, "--at", "30m", "-o", "json"])
        expect(rc == 0 and json.loads(so)["kind"] == "List", "get pods -o json")
        pods = [p for p in json.loads(so)["items"]]
        waiting = [p["metadata"]["namespace"] + "/" + p["metadata"]["name"] for p in pods if p["status"]["phase"] == "Pending"]
        expect(len(waiting) == 1, f"one of three 8-GPU pods waits for a node at 30m ({waiting})")
        if waiting:
            rc, so, _ = run([gpusim, "explain", out, waiting[0]])
            expect(rc == 0 and "Insufficient nvidia.com/gpu" in so and "<- chosen" in so,
                   f"explain shows the failing filter and the chosen node: {so}")
        rc, _, se = run([gpusim, "explain", out, "team-a/nope"])
        expect(rc == 2 and "no pod team-a/nope" in se, "explain of an unknown pod exits 2")
        cmp_html = os.path.join(tmp, "cmp.html")
        rc, so, se = run([gpusim, "report", out, out_bad, "-o", cmp_html])
        expect(rc == 0 and os.path.exists(cmp_html) and os.path.exists(os.path.join(tmp, "cmp.md")),
               f"report of two runs writes HTML and Markdown: {se}")
        html = pathlib.Path(cmp_html).read_text() if os.path.exists(cmp_html) else ""
        expect("out-ok: cluster" in html and "out-bad: cluster" in html, "both variants overlaid in the charts")
        # -o naming the Markdown: the HTML goes beside it instead of being overwritten by it.
        md = os.path.join(tmp, "one.md")
        rc, so, se = run([gpusim, "report", out, "-o", md, "--quiet"])
        one_html = os.path.join(tmp, "one.html")
        expect(rc == 0 and pathlib.Path(md).read_text().startswith("# gpusim report")
               and os.path.exists(one_html) and pathlib.Path(one_html).read_text().startswith("<!DOCTYPE html>"),
               f"report -o one.md writes one.md (Markdown) and one.html: {se}")
        quota_waits(gpusim, pathlib.Path(tmp))
    print("check end-to-end: " + ("FAILED" if failures else "passed"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
