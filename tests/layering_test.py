#!/usr/bin/env python3
"""Fails when an #include points up the layer graph (see docs/architecture.md).

core -> model -> {scheduler, controllers, engine} -> scenario -> reports -> cli; gpu/ is a leaf
of plain structs; reports/ reads run outputs, so it may use only core.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
ALLOWED = {
    "core": {"core"},
    "model": {"core", "model"},
    "scheduler": {"core", "model", "scheduler", "gpu"},
    "controllers": {"core", "model", "scheduler", "controllers"},
    "engine": {"core", "model", "scheduler", "controllers", "engine"},
    "scenario": {"core", "model", "scheduler", "controllers", "engine", "scenario"},
    "reports": {"core", "reports"},
    "cli": {"core", "model", "scheduler", "controllers", "engine", "scenario", "reports", "cli", "gpu"},
    "gpu": {"gpu"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_of_include(path: str):
    first = path.split("/", 1)[0]
    if first == "gpusim" and path.startswith("gpusim/gpu/"):
        return "gpu"
    if first in ALLOWED:
        return first
    return None  # same-directory or third-party include


def main() -> int:
    problems = []
    sources = [(p, p.relative_to(ROOT / "sim").parts[0]) for p in (ROOT / "sim").rglob("*")
               if p.suffix in {".hpp", ".cpp", ".h"}]
    sources += [(p, "gpu") for p in (ROOT / "gpu").rglob("*") if p.suffix in {".hpp", ".cpp", ".cu", ".cuh", ".h"}]
    sources += [(p, "reports") for p in (ROOT / "reports").rglob("*") if p.suffix in {".hpp", ".cpp", ".h"}]
    for path, layer in sources:
        if layer not in ALLOWED:
            continue
        for inc in INCLUDE.findall(path.read_text(errors="replace")):
            target = layer_of_include(inc)
            if target is not None and target not in ALLOWED[layer]:
                problems.append(f"{path.relative_to(ROOT)}: layer '{layer}' includes '{inc}' (layer '{target}')")
    for p in problems:
        print(p)
    print(f"checked {len(sources)} files: {len(problems)} layering violation(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
