#!/usr/bin/env bash
# Builds every benchmark in bench/ optimised and runs each once.
# Extra arguments go to every benchmark binary, e.g.
#   tools/bench.sh --benchmark_repetitions=5 --benchmark_format=json
# With no arguments each benchmark runs briefly (a quick look, not a
# measurement; see the README for how to measure).
set -euo pipefail
cd "$(dirname "$0")/.."

args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--benchmark_min_time=0.05)

mapfile -t targets < <(bazel query 'kind(cc_binary, //bench:*)' 2>/dev/null)
if [ ${#targets[@]} -eq 0 ]; then
  echo "bench: no benchmark targets under //bench" >&2
  exit 1
fi
bazel build --config=opt "${targets[@]}"
# The optimised output tree itself, not the bazel-bin link: any later build
# in another configuration (a plain `bazel test //...`) repoints that link.
bin_dir=$(bazel info --config=opt bazel-bin 2>/dev/null)
pin=()
if command -v taskset >/dev/null && [ "$(nproc)" -gt 1 ]; then pin=(taskset -c 1); fi
for t in "${targets[@]}"; do
  bin="$bin_dir/${t#//}"
  bin="${bin/://}"
  echo "== $t"
  "${pin[@]}" "$bin" "${args[@]}"
done
