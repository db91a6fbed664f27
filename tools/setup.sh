#!/usr/bin/env bash
# Installs everything InformerSim needs on a Debian bookworm machine, from
# Debian's package archive only. Safe to run any number of times; returns at
# once when every package is already installed.
set -euo pipefail

packages=(
  bazel-bootstrap        # Bazel 4.2.3
  bazel-rules-java       # local @rules_java
  bazel-rules-proto      # local @rules_proto
  bazel-platforms        # local @platforms
  bazel-skylib           # local @bazel_skylib
  build-essential
  clang                  # thread-safety analysis, fuzzing
  libclang-rt-14-dev     # sanitizer and libFuzzer runtimes for clang
  libabsl-dev
  libprotobuf-dev
  protobuf-compiler
  libgtest-dev
  libgmock-dev
  libbenchmark-dev
  librapidcheck-dev
  python3                # CI's test summary
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root (or sudo) to install packages" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "setup: done" >&2
