#!/usr/bin/env python3
"""`gpusim plan` and `gpusim import` end to end.

plan: tests/plan/data/steady needs exactly 6 nodes of pool a (5 make a pod wait); with
--load-multiplier 1.3 it needs 8. The planner must find them, show N-1 failing, write plan.json
and plan.md, give the same plan.json on 1 and 2 threads, exit 1 when the upper bound fails and 2
on bad input. A grid over two pools with --objective min-cost picks the cheaper pool.

import: tests/data/import/dump.yaml imported, validated and run; the run has the dump's nodes
and pods where they were (controller pods kept, not recreated), the HPA's load; the fragmented
dump keeps its placement (defrag bound) and `plan` varies its imported node pool;
and GPU allocation (two 2-GPU serving replicas, a 4-GPU training Job, a 1-GPU notebook bound).

usage: plan_e2e_test.py GPUSIM
"""
import fcntl
import json
import pathlib
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
STEADY = HERE / "data" / "steady"
DUMP = HERE.parent / "data" / "import" / "dump.yaml"
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def gpusim(*args):
    r = subprocess.run([sys.argv[1], *map(str, args)], capture_output=True, text=True)
    return r.returncode, r.stdout, r.stderr


def verdicts(plan):
    return {int(c["values"]["nodepool/a.count"]): c["feasible"] for c in plan["candidates"]
            if "nodepool/a.count" in c["values"]}


def main():
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        # --- monotone search: the answer is 6 and 5 fails.
        rc, out, err = gpusim("plan", STEADY, "--vary", "nodepool/a.count=1..16", "--seeds", "1,2",
                              "-o", tmp / "p1", "-j", "1")
        check(rc == 0, f"plan exit 0 (got {rc}: {err})")
        plan = json.loads((tmp / "p1" / "plan.json").read_text())
        check(plan["method"] == "monotone", "one range: monotone search")
        check(plan["result"]["values"] == {"nodepool/a.count": "6"}, f"answer 6: {plan['result']}")
        v = verdicts(plan)
        check(v.get(5) is False, f"5 nodes evaluated and failing: {v}")
        check(v.get(16) is True and v.get(1) is False, f"bounds evaluated: {v}")
        check(len(v) < 16, f"binary search, not every value: {sorted(v)}")
        five = [c for c in plan["candidates"] if c["values"]["nodepool/a.count"] == "5"][0]
        check({f["expectation"] for f in five["failed"]} == {"no-waiting"},
              f"5 nodes fail no-waiting only: {five['failed']}")
        check({f["seed"] for f in five["failed"]} == {1, 2}, "failures listed per seed")
        check(plan["result"]["delta"] == {"nodepool/a.count": 2}, f"delta vs 4: {plan['result']}")
        # Another command holds the directory: a second plan on it exits 2 at once.
        with open(tmp / "p1" / ".gpusim-lock", "a") as held:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
            rc, out, err = gpusim("plan", STEADY, "--vary", "nodepool/a.count=1..16", "-o", tmp / "p1")
            check(rc == 2 and "is in use by another gpusim command" in err, f"plan on a held -o: exit 2 ({rc}) {err}")
        # Two --vary on one HPA whose values clash in some candidate: exit 2 before anything runs.
        hpa = "hpa/ml-serving/fraud-detector-hpa"
        rc, out, err = gpusim("plan", HERE.parent.parent / "scenarios" / "demo", "--vary", f"{hpa}.minReplicas=1,8",
                              "--vary", f"{hpa}.maxReplicas=4,10", "-o", tmp / "p-clash")
        check(rc == 2 and f"{hpa}.minReplicas=8, {hpa}.maxReplicas=4" in err
              and "minReplicas 8 would exceed maxReplicas 4" in err and not (tmp / "p-clash").exists(),
              f"clashing --vary values: exit 2, nothing written ({rc}) {err[-300:]}")
        # A step, ":1" too, asks for the grid (every value, no monotonicity assumed).
        rc, out, err = gpusim("plan", STEADY, "--vary", "nodepool/a.count=4..7:1", "-o", tmp / "p-step", "-j", "2")
        step_plan = json.loads((tmp / "p-step" / "plan.json").read_text())
        check(rc == 0 and step_plan["method"] == "grid" and sorted(verdicts(step_plan)) == [4, 5, 6, 7],
              f"lo..hi:1 runs the grid: {rc} {step_plan.get('method')} {sorted(verdicts(step_plan))}")
        check(plan["result"]["cost_per_hour"] == 60.0, "cost 6 x 10 per hour")
        check("answer: nodepool/a.count=6" in out and "+2 (4 -> 6)" in out, f"printed: {out}")
        md = (tmp / "p1" / "plan.md").read_text()
        check("| 5 |" in md and "no-waiting" in md, "plan.md lists the candidates")
        check((tmp / "p1" / "runs" / five["id"] / "seed-2" / "summary.json").exists(),
              "each run's summary.json is kept")
        # Same plan on 2 threads, byte for byte.
        rc, _, err = gpusim("plan", STEADY, "--vary", "nodepool/a.count=1..16", "--seeds", "1,2",
                            "-o", tmp / "p2", "-j", "2", "-q")
        check(rc == 0, f"plan -j 2 exit 0 ({err})")
        check((tmp / "p1" / "plan.json").read_bytes() == (tmp / "p2" / "plan.json").read_bytes(),
              "plan.json identical on 1 and 2 threads")

        # --- 30 % more traffic: 8 nodes, 7 fail.
        rc, out, err = gpusim("plan", STEADY, "--vary", "nodepool/a.count=4..16",
                              "--load-multiplier", "1.3", "-o", tmp / "p3")
        check(rc == 0, f"plan 1.3 exit 0 ({err})")
        plan = json.loads((tmp / "p3" / "plan.json").read_text())
        check(plan["result"]["values"] == {"nodepool/a.count": "8"}, f"answer 8: {plan['result']}")
        check(verdicts(plan).get(7) is False, "7 nodes fail at 1.3x")
        check(plan["result"]["delta"] == {"nodepool/a.count": 4}, "delta +4 vs the scenario's 4")
        check("+4 (4 -> 8)" in out, f"delta printed: {out}")

        # --- the upper bound fails: exit 1, said so.
        # -o naming a directory of the user's own files: exit 2 before any run, nothing added.
        users = tmp / "users"
        users.mkdir()
        (users / "notes.txt").write_text("mine\n")
        rc, _, err = gpusim("plan", STEADY, "--vary", "nodepool/a.count=1..5", "-o", users)
        check(rc == 2 and "gpusim did not write" in err, f"plan -o a user's directory: exit 2 ({rc}) {err[-200:]}")
        check(sorted(p.name for p in users.iterdir()) == ["notes.txt"], "plan -o a user's directory adds nothing")
        rc, out, err = gpusim("plan", STEADY, "--vary", "nodepool/a.count=1..5", "-o", tmp / "p4")
        plan = json.loads((tmp / "p4" / "plan.json").read_text())
        check(rc == 1, f"no feasible candidate: exit 1 (got {rc})")
        check(plan["result"] == {"feasible": False}, "result infeasible")
        check(any("upper bound" in n and "fails" in n for n in plan["notes"]), plan["notes"])
        check("upper bound" in out, "the note is printed")

        # --- grid, min-cost: pool b is cheaper.
        rc, out, err = gpusim("plan", STEADY, "--vary", "nodepool/a.count=0,3,6",
                              "--vary", "nodepool/b.count=0,3,6", "--objective", "min-cost",
                              "-o", tmp / "p5")
        check(rc == 0, f"grid exit 0 ({err})")
        plan = json.loads((tmp / "p5" / "plan.json").read_text())
        check(plan["method"] == "grid" and len(plan["candidates"]) == 9, "grid of 9")
        check(plan["result"]["values"] == {"nodepool/a.count": "0", "nodepool/b.count": "6"},
              f"cheapest: b=6 ({plan['result']})")
        feas = {(c["values"]["nodepool/a.count"], c["values"]["nodepool/b.count"]): c["feasible"]
                for c in plan["candidates"]}
        check(feas[("3", "3")] and not feas[("3", "0")] and not feas[("0", "3")], f"grid: {feas}")

        # --- bad input: exit 2, nothing run.
        for args, text in [(["--vary", "nodepool/gpu.count=1..4"], "no node pool \"gpu\""),
                           (["--vary", "nodepool/a.count=9..4"], "9 > 4"),
                           (["--vary", "nodepool/a.count=1..4", "--seeds", "x"], "--seeds"),
                           (["--vary", "nodepool/a.count=1..4", "--load-multiplier", "0"],
                            "greater than 0")]:
            rc, out, err = gpusim("plan", STEADY, *args, "-o", tmp / "bad")
            check(rc == 2 and text in err, f"{args}: exit 2 with {text!r} (got {rc}: {err})")
            check(not (tmp / "bad").exists(), f"{args}: nothing written")

        # --- import, validate, run.
        scen = tmp / "prod"
        rc, out, err = gpusim("import", "-f", DUMP, "-o", scen)
        check(rc == 0, f"import exit 0 ({err})")
        check("3 node(s) in 2 pool(s), 5 running pod(s) bound" in out, f"import summary: {out}")
        check("Deployment(s) with 1 ReplicaSet(s)" in out, f"import summary: {out}")
        rc, out, err = gpusim("validate", scen)
        check(rc == 0, f"validate the import exit 0 ({out} {err})")
        rc, out, err = gpusim("run", scen, "-o", tmp / "run", "--reproducible", "--quiet")
        check(rc == 0, f"run the import exit 0 ({out} {err})")
        summary = json.loads((tmp / "run" / "summary.json").read_text())
        check(summary["nodes"] == 3, f"3 nodes: {summary['nodes']}")
        gpu = summary["resources"]["nvidia.com/gpu"]
        check(gpu["capacity"] == 16000, f"16 GPUs: {gpu}")
        # 2 serving replicas x 2 + the Job's 4 + the notebook's 1, all still running at 1h.
        check(gpu["allocated_final"] == 9000, f"9 GPUs allocated: {gpu}")
        check(summary["pods"]["pending"] == 0, f"nothing pending: {summary['pods']}")
        check("defrag_bound" in summary, "summary.json has defrag_bound")
        pods = (tmp / "run" / "pods.csv").read_text()
        check("jupyter-alice" in pods and "gpu-a100-0" in pods, "the notebook ran on its node")
        # The Deployment's and the Job's pods are the live ones, on their live nodes.
        rows = {line.split(",")[0].split("/")[-1]: line for line in pods.splitlines()[1:]}
        for name, node in (("llm-serving-5c8f9b7d64-7qj2m", "gpu-a100-0"),
                           ("llm-serving-5c8f9b7d64-p8x4z", "gpu-a100-1"),
                           ("finetune-llama-h7c2x", "gpu-a100-1")):
            check(name in rows and f",{node}," in rows[name], f"{name} ran on {node}")
        check(len(rows) == 5, f"no pod recreated: {sorted(rows)}")
        # The HPA's target gets the load its status showed.
        workloads = (tmp / "run" / "workloads.csv").read_text().splitlines()
        head = workloads[0].split(",")
        served = [r.split(",")[head.index("offered_rps")] for r in workloads[1:]
                  if "llm-serving" in r]
        check(served and all(v == "2" or v.startswith("2.") for v in served),
              f"llm-serving offered 2 requests/s: {served[:3]}")

        # --- G1/G2: the fragmented dump keeps its placement, and plan varies its pool.
        frag = HERE.parent / "data" / "import" / "frag-dump.yaml"
        rc, out, err = gpusim("import", "-f", frag, "-o", tmp / "fragp", "--pool-label",
                              "nvidia.com/gpu.product")
        check(rc == 0 and "1 pool(s)" in out, f"import frag exit 0 with a pool ({out} {err})")
        rc, out, err = gpusim("run", tmp / "fragp", "--until", "5m", "-o", tmp / "fragr",
                              "--reproducible", "--quiet")
        check(rc == 0, f"run frag exit 0 ({err})")
        bound = json.loads((tmp / "fragr" / "summary.json").read_text())["defrag_bound"]
        check(bound["pending_gpu_pods"] == 1 and bound["placeable_after_repacking_max"] == 1,
              f"the live fragmentation: 1 pending pod, repacking could place it ({bound})")
        fr = {line.split(",")[0].split("/")[-1]: line for line in
              (tmp / "fragr" / "pods.csv").read_text().splitlines()[1:]}
        check(",a," in fr.get("inf-abc-1", "") and ",b," in fr.get("inf-abc-2", ""),
              f"inf-abc-1 on a, inf-abc-2 on b: {fr}")
        sim = tmp / "fragp" / "00-simulation.yaml"
        sim.write_text(sim.read_text() +
                       "  expectations:\n  - name: all-placed\n    expr: none(pod_unscheduled)\n")
        rc, out, err = gpusim("plan", tmp / "fragp", "--vary", "nodepool/a100.count=1..4",
                              "--until", "5m", "-o", tmp / "fragplan")
        check(rc == 0, f"plan the imported pool exit 0 ({out} {err})")
        if rc == 0:
            result = json.loads((tmp / "fragplan" / "plan.json").read_text())["result"]
            check(result["values"] == {"nodepool/a100.count": "3"} and
                  result["delta"] == {"nodepool/a100.count": 1},
                  f"one more A100 node places the waiting pod: {result}")
        # Bad dumps: located error, exit 2, no directory.
        bad = tmp / "bad.yaml"
        bad.write_text("apiVersion: v1\nkind: List\nitems:\n- kind: Node\n  metadata: {name: n}\n")
        rc, out, err = gpusim("import", "-f", bad, "-o", tmp / "bad-import")
        check(rc == 2 and "bad.yaml:4:3" in err and "apiVersion" in err,
              f"bad dump: exit 2 at file:line ({rc}: {err})")
        check(not (tmp / "bad-import").exists(), "bad dump: nothing written")
        # A directory name that is no valid object name still gives a scenario that loads; bad
        # --name and --duration values are exit 2, with nothing written.
        rc, out, err = gpusim("import", "-f", DUMP, "-o", tmp / "Prod_EU", "-q")
        check(rc == 0, f"import into Prod_EU exit 0 ({err})")
        rc, out, err = gpusim("validate", tmp / "Prod_EU")
        check(rc == 0, f"validate the import into Prod_EU exit 0 ({out} {err})")
        for flag, value in (("--name", "Bad_Name"), ("--duration", "abc"), ("--duration", "-5m")):
            rc, out, err = gpusim("import", "-f", DUMP, "-o", tmp / "flags", flag, value)
            check(rc == 2 and flag in err, f"import {flag} {value}: exit 2 naming it ({rc}: {err})")
            check(not (tmp / "flags").exists(), f"import {flag} {value}: nothing written")

    if failures:
        print(f"{len(failures)} failure(s)")
        return 1
    print("plan and import: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
