#!/usr/bin/env bash
# Installs the Debian packages gpusim needs, only those missing. Idempotent; prints nothing when
# everything is already there. Run as root (or with sudo available).
#   scripts/install-deps.sh            build + test dependencies
#   scripts/install-deps.sh --browser  (kept for old scripts: Chromium is in the default set now)
#   scripts/install-deps.sh --fuzz     also clang's fuzzing runtime
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config python3
  libyaml-cpp-dev libboost-graph-dev libeigen3-dev libthrust-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev libfmt-dev nlohmann-json3-dev libtbb-dev libsqlite3-dev librapidcheck-dev
  chromium  # the test suite loads the HTML reports in headless Chromium (tests/report/browser_test.py)
)
for arg in "$@"; do
  case "$arg" in
    --browser) ;;
    --fuzz) packages+=(clang libclang-rt-14-dev) ;;
    *) echo "install-deps.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
((${#missing[@]} == 0)) && exit 0

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps.sh: run as root (missing: ${missing[*]})" >&2; exit 1; }
  SUDO=sudo
fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# The package lists may be stale or absent on a fresh machine.
$SUDO apt-get update -qq >/dev/null || true
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
