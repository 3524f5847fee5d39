#!/usr/bin/env python3
"""Loads gpusim HTML reports in headless Chromium: no console errors, and the charts render.

usage: browser_test.py [--gpusim BIN --scenario DIR] [HTML...]

With --gpusim, runs the scenario twice (two policies) and checks the run's report.html and a
comparison report made by `gpusim report` from both runs, besides any HTML files named. For each
page: Chromium's console must stay silent (the reports have no scripts; a Content Security Policy
violation, a failed load or any script error would be logged), the DOM must hold the charts'
SVG paths, and a screenshot must be non-blank with the charts' line colours in it.

Exits 77 (CTest's SKIP_RETURN_CODE) with a message when Chromium is not installed
(scripts/install-deps.sh installs Debian's chromium).
"""
import argparse
import os
import pathlib
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

SKIP = 77
# Chromium as the machines run it headless: no sandbox (root), no GPU, nothing that phones home.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--hide-scrollbars", "--force-device-scale-factor=1"]
# The first two colours of the chart palette (reports/svg_chart.cpp).
CHART_COLOURS = [(0x00, 0x72, 0xB2), (0xE6, 0x9F, 0x00)]


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def chromium(browser, profile, args, url, timeout=90):
    cmd = [browser, *FLAGS, f"--user-data-dir={profile}", *args, url]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def read_png(path):
    """Decodes an 8-bit RGB/RGBA PNG with the standard library: (width, height, rows of pixels)."""
    data = pathlib.Path(path).read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG")
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or colour not in (2, 6) or interlace:
                raise ValueError(f"{path}: unsupported PNG (depth {depth}, colour type {colour})")
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(height):
        f = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        if f == 1:
            for x in range(channels, stride):
                line[x] = (line[x] + line[x - channels]) & 255
        elif f == 2:
            for x in range(stride):
                line[x] = (line[x] + prev[x]) & 255
        elif f == 3:
            for x in range(stride):
                left = line[x - channels] if x >= channels else 0
                line[x] = (line[x] + ((left + prev[x]) >> 1)) & 255
        elif f == 4:
            for x in range(stride):
                a = line[x - channels] if x >= channels else 0
                b = prev[x]
                c = prev[x - channels] if x >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pred) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, channels, rows


def check_page(browser, html, work):
    problems = []
    url = pathlib.Path(html).resolve().as_uri()
    profile = tempfile.mkdtemp(dir=work)
    # 1. Console: any message is a problem (there are no scripts to log anything).
    r = chromium(browser, profile, ["--enable-logging=stderr", "--v=0", "--dump-dom"], url)
    console = [l for l in r.stderr.splitlines() if "CONSOLE" in l or "Refused to" in l or "Uncaught" in l]
    if r.returncode != 0:
        problems.append(f"chromium exited {r.returncode}: {r.stderr[-500:]}")
    problems += [f"console: {l}" for l in console]
    dom = r.stdout
    # 2. The DOM has the charts.
    paths = len(re.findall(r'<path class="series"', dom))
    figures = len(re.findall(r'<figure class="chart"', dom))
    if paths == 0:
        problems.append(f"no chart lines in the DOM ({figures} chart figures)")
    if "<h1>" not in dom:
        problems.append("no <h1> in the DOM: the page did not load")
    # 3. A screenshot is non-blank and shows the chart colours.
    shot = os.path.join(work, pathlib.Path(html).stem + ".png")
    r = chromium(browser, tempfile.mkdtemp(dir=work), [f"--screenshot={shot}", "--window-size=1000,2200"], url)
    if not os.path.exists(shot):
        problems.append(f"no screenshot written: {r.stderr[-500:]}")
        return problems, paths
    width, height, ch, rows = read_png(shot)
    non_white, colours = 0, {c: 0 for c in CHART_COLOURS}
    for row in rows:
        for x in range(0, width * ch, ch):
            px = (row[x], row[x + 1], row[x + 2])
            if px != (255, 255, 255):
                non_white += 1
                if px in colours:
                    colours[px] += 1
    share = non_white / float(width * height)
    if share < 0.01:
        problems.append(f"screenshot is blank ({share:.2%} non-white pixels)")
    if colours[CHART_COLOURS[0]] < 50:
        problems.append(f"no chart line pixels in the screenshot ({colours})")
    print(f"{html}: {figures} charts, {paths} lines in the DOM; screenshot {width}x{height}, "
          f"{share:.1%} non-white, chart-colour pixels {sum(colours.values())}")
    return problems, paths


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gpusim")
    ap.add_argument("--scenario")
    ap.add_argument("html", nargs="*")
    args = ap.parse_args()
    browser = find_chromium()
    if browser is None:
        print("SKIP: Chromium is not installed (scripts/install-deps.sh installs Debian's chromium); "
              "the HTML report was not checked in a browser")
        return SKIP
    with tempfile.TemporaryDirectory() as work:
        pages = list(args.html)
        if args.gpusim:
            runs = []
            for policy in ("BestFit", "GpuPacking"):
                out = os.path.join(work, policy)
                cmd = [args.gpusim, "run", args.scenario, "-o", out, "--policy", policy, "--quiet", "--reproducible"]
                r = subprocess.run(cmd, capture_output=True, text=True)
                if r.returncode not in (0, 1):  # 1: an expectation failed, the report is still there
                    print("command failed:", " ".join(cmd), r.stdout, r.stderr)
                    return 1
                runs.append(out)
            pages.append(os.path.join(runs[0], "report.html"))
            cmp = os.path.join(work, "compare.html")
            r = subprocess.run([args.gpusim, "report", *runs, "-o", cmp, "--quiet"], capture_output=True, text=True)
            if r.returncode != 0:
                print("gpusim report failed:", r.stdout, r.stderr)
                return 1
            pages.append(cmp)
        if not pages:
            print("nothing to check: name HTML files or --gpusim and --scenario")
            return 2
        failed = False
        for page in pages:
            problems, _ = check_page(browser, page, work)
            for p in problems:
                print(f"{page}: {p}")
            failed = failed or bool(problems)
        print("browser check failed" if failed else f"browser check passed ({len(pages)} page(s))")
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
