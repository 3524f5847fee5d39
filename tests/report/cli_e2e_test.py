#!/usr/bin/env python3
"""End-to-end: the CLI as a user meets it, on the bundled demo scenario and small ones written
here: `compare` with scheduler configurations and Simulation overrides as variants (and its
figures table for a scenario that is not a trace replay), `get deployments|hpa|quota|nodes` as
kubectl prints them (-n, -l, -o wide, -o json), and `run --explain` on a packing trace replay.

usage: cli_e2e_test.py GPUSIM
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEMO = ROOT / "scenarios" / "demo"
OPENB = ROOT / "scenarios" / "openb" / "default.yaml"

BINPACK = """apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
  - schedulerName: default-scheduler
    pluginConfig:
      - name: NodeResourcesFit
        args:
          scoringStrategy:
            type: MostAllocated
"""

# One cordoned node that joined NotReady (a manifest's spec and status) and one pool node.
NODES = """apiVersion: gpusim.io/v1alpha1
kind: Simulation
metadata: {name: nodes}
spec:
  duration: 10m
  nodePools:
    - name: cpu
      count: 1
      template: {status: {capacity: {cpu: "8", memory: 32Gi}}}
---
apiVersion: v1
kind: Node
metadata: {name: old-0}
spec: {unschedulable: true}
status:
  capacity: {cpu: "8", memory: 32Gi}
  conditions: [{type: Ready, status: "False"}]
"""

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


def check_get(gpusim, tmp):
    out = tmp / "demo"
    rc, _, se = run([gpusim, "run", DEMO, "-o", out, "-q", "--no-report"])
    expect(rc == 0, f"run demo: {rc} {se}")
    # Deployments: kubectl's columns; -n filters (an unknown namespace lists none).
    rc, so, _ = run([gpusim, "get", "deployments", out, "--at", "3h", "-n", "ml-serving"])
    rows = table_rows(so)
    expect(rc == 0 and rows[0] == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
           and rows[1][0] == "fraud-detector" and "/" in rows[1][1], f"get deployments -n: {so!r}")
    rc, so, _ = run([gpusim, "get", "deployments", out, "-n", "ml-training"])
    expect(rc == 0 and so.startswith("No deployments found"), f"get deployments -n ml-training: {so!r}")
    rc, so, _ = run([gpusim, "get", "hpa", out, "-n", "nonexistent"])
    expect(rc == 0 and so.startswith("No hpa found"), f"get hpa -n nonexistent: {so!r}")
    rc, wide, _ = run([gpusim, "get", "deploy", out, "--at", "3h", "-o", "wide"])
    rc2, table, _ = run([gpusim, "get", "deploy", out, "--at", "3h"])
    expect(rc == 0 and rc2 == 0 and wide != table and "OFFERED-RPS" in wide, f"-o wide differs: {wide!r}")
    # -l selects by the labels the Deployment's manifest gives it.
    rc, so, _ = run([gpusim, "get", "deployments", out, "-l", "app=fraud-detector"])
    expect(rc == 0 and "fraud-detector" in so, f"get deployments -l app=fraud-detector: {so!r} ")
    rc, so, _ = run([gpusim, "get", "deployments", out, "-l", "app=nope"])
    expect(rc == 0 and so.startswith("No deployments found"), f"get deployments -l app=nope: {so!r}")
    # JSON: Kubernetes objects with typed fields, in a List with an apiVersion.
    rc, so, _ = run([gpusim, "get", "deployments", out, "--at", "3h", "-o", "json"])
    doc = json.loads(so)
    d = doc["items"][0]
    expect(doc["apiVersion"] == "v1" and doc["kind"] == "List", f"List header: {doc.keys()}")
    expect(d["apiVersion"] == "apps/v1" and d["kind"] == "Deployment"
           and d["metadata"] == {"name": "fraud-detector", "namespace": "ml-serving",
                                 "labels": {"app": "fraud-detector", "version": "v1"}}
           and isinstance(d["spec"]["replicas"], int)
           and isinstance(d["gpusim"]["offered_rps"], float), f"Deployment object: {d}")
    rc, so, _ = run([gpusim, "get", "hpa", out, "--at", "3h"])
    rows = table_rows(so)
    expect(rows[0][:4] == ["NAMESPACE", "NAME", "REFERENCE", "TARGETS"] and "Deployment/fraud-detector" in so
           and "cpu:" in so and "%/" in so, f"get hpa: {so!r}")
    rc, so, _ = run([gpusim, "get", "hpa", out, "--at", "3h", "-o", "json"])
    h = json.loads(so)["items"][0]
    expect(h["apiVersion"] == "autoscaling/v2" and h["spec"]["minReplicas"] == 2
           and h["spec"]["maxReplicas"] == 10 and h["spec"]["scaleTargetRef"]["name"] == "fraud-detector"
           and isinstance(h["status"]["currentReplicas"], int), f"HPA object: {h}")
    rc, so, _ = run([gpusim, "get", "quota", out, "--at", "1h"])
    rows = table_rows(so)
    expect(rc == 0 and rows[0] == ["NAMESPACE", "NAME", "AGE", "REQUEST", "LIMIT"]
           and "requests.nvidia.com/gpu:" in so, f"get quota: {so!r}")
    rc, so, _ = run([gpusim, "get", "quota", out, "-o", "yaml"])
    expect(rc == 0 and "kind: ResourceQuota" in so and "hard:" in so, f"get quota -o yaml: {so!r}")

    # Node STATUS: the state a manifest node joined in, as kubectl shows it.
    scn = tmp / "nodes.yaml"
    scn.write_text(NODES)
    nout = tmp / "nodes"
    rc, _, se = run([gpusim, "run", scn, "-o", nout, "-q", "--no-report"])
    expect(rc == 0, f"run nodes scenario: {se}")
    rc, so, _ = run([gpusim, "get", "nodes", nout, "--at", "5m"])
    status = {r[0]: r[1] for r in table_rows(so)[1:]}
    expect(status.get("old-0") == "NotReady,SchedulingDisabled" and status.get("cpu-0") == "Ready",
           f"get nodes STATUS: {so!r}")


def check_compare(gpusim, tmp):
    cfg = tmp / "binpack.yaml"
    cfg.write_text(BINPACK)
    out = tmp / "cmp"
    rc, so, se = run([gpusim, "compare", DEMO, "--policy", "FGD", "--scheduler-config", cfg,
                      "--set", "nodepool/a100.count=1,2", "--set", "load.multiplier=2", "-o", out])
    expect(rc == 0, f"compare with variants: {rc} {se}")
    labels = ["FGD", "scheduler-config=binpack.yaml", "nodepool/a100.count=1", "nodepool/a100.count=2",
              "load.multiplier=2"]
    lines = [l for l in so.splitlines() if not l.startswith("outputs in ")]
    rows = {r[0]: r for r in table_rows("\n".join(lines))[2:] if r}
    expect(list(rows) == labels, f"one table row per variant, labelled: {so!r}")
    header = table_rows(so)[1]
    expect(header[:4] == ["VARIANT", "PODS-SCHEDULED", "WAIT-P95", "GPU-ALLOCATION-MEAN"]
           and "EXPECTATIONS" in header, f"figures of a non-trace scenario: {so!r}")
    expect(all(r[1] != "-" and "/" in r[1] for r in rows.values()), f"figures, not '-': {so!r}")
    for d in ["FGD", "scheduler-config=binpack.yaml", "nodepool_a100.count=1", "nodepool_a100.count=2",
              "load.multiplier=2"]:
        expect((out / d / "summary.json").exists(), f"variant directory {d}")
    md = (out / "report.md").read_text() if (out / "report.md").exists() else ""
    expect("| figure | FGD | scheduler-config=binpack.yaml | nodepool/a100.count=1 |" in md,
           f"report columns name the variants: {md[:600]!r}")
    one = json.loads((out / "nodepool_a100.count=1" / "summary.json").read_text())
    two = json.loads((out / "nodepool_a100.count=2" / "summary.json").read_text())
    expect(one["resources"]["nvidia.com/gpu"]["capacity"] < two["resources"]["nvidia.com/gpu"]["capacity"],
           "the nodepool override changed the cluster")
    expect("expectations" in one, "variants' expectations are evaluated into summary.json")
    # Without -o: the same figures, and nothing left behind.
    rc, so, se = run([gpusim, "compare", DEMO, "--set", "nodepool/a100.count=1"])
    expect(rc == 0 and "PODS-SCHEDULED" in so and "nodepool/a100.count=1" in so, f"compare without -o: {so!r} {se}")
    # Bad variants: exit 2 before any run, nothing written.
    ns_only = tmp / "ns.yaml"
    ns_only.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n")
    mixed = tmp / "mixed.yaml"
    mixed.write_text(BINPACK + "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n")
    for args, want in ((["--set", "nodepool/nope.count=1"], 'no node pool "nope"'),
                       (["--set", "bogus=1"], 'unknown axis "bogus"'),
                       (["--set", "load.multiplier"], "expected AXIS=VALUE"),
                       (["--scheduler-config", ns_only], "no KubeSchedulerConfiguration"),
                       (["--scheduler-config", mixed], "holds other documents"),
                       (["--set", "policy=FGD", "--policy", "BestFit", "--set", "policy=FGD"], "listed twice")):
        bad = tmp / "bad"
        rc, _, se = run([gpusim, "compare", DEMO, *args, "-o", bad])
        expect(rc == 2 and want in se and not bad.exists(), f"compare {args}: exit {rc}, {se!r}")


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
        check_get(gpusim, tmp)
        check_compare(gpusim, tmp)
        check_packing_explain(gpusim, tmp)
    print("cli end-to-end: " + ("FAILED" if failures else "passed"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
