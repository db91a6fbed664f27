#!/usr/bin/env bash
# Builds the benchmarks in bench/ optimised and runs each one, pinned to one
# core when the machine has more than one.
#
#   tools/bench.sh [--out DIR] [--only NAME[,NAME...]] [BENCHMARK ARGS...]
#
# --out DIR   also writes each binary's results as Google Benchmark JSON to
#             DIR/<binary>.json (sim_bench: DIR/sim_bench.<i>.json, one
#             per benchmark), then DIR/table.md: the W1-W5 medians set
#             against client-go's recorded figures (bench/client_go_reference.json,
#             via tools/bench_table.py). Without benchmark arguments a run
#             with --out uses 5 repetitions, as the workload document asks.
# --only      runs only the named binaries (e.g. --only delta_fifo_bench).
# sim_bench's benchmarks run one process each, so that none inherits
# another's heap.
# Other arguments go to every benchmark binary, e.g.
#   tools/bench.sh --benchmark_repetitions=5 --benchmark_filter=W1
# With neither --out nor arguments each benchmark runs briefly (a quick
# look, not a measurement). Two runs compare with tools/bench_compare.py.
set -euo pipefail
cd "$(dirname "$0")/.."

out_dir=""
only=""
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out_dir="${2:?--out needs a directory}"; shift 2 ;;
    --out=*) out_dir="${1#--out=}"; shift ;;
    --only) only="${2:?--only needs binary names}"; shift 2 ;;
    --only=*) only="${1#--only=}"; shift ;;
    *) args+=("$1"); shift ;;
  esac
done
if [ ${#args[@]} -eq 0 ]; then
  if [ -n "$out_dir" ]; then
    args=(--benchmark_repetitions=5)
  else
    args=(--benchmark_min_time=0.05)
  fi
fi

mapfile -t targets < <(bazel query 'kind(cc_binary, //bench:*)' 2>/dev/null)
if [ -n "$only" ]; then
  wanted=()
  IFS=',' read -r -a names <<< "$only"
  for t in "${targets[@]}"; do
    for n in "${names[@]}"; do
      if [ "${t##*:}" = "$n" ]; then wanted+=("$t"); fi
    done
  done
  targets=("${wanted[@]+"${wanted[@]}"}")
fi
if [ ${#targets[@]} -eq 0 ]; then
  echo "bench: no benchmark targets under //bench${only:+ named $only}" >&2
  exit 1
fi
bazel build --config=opt "${targets[@]}"
# The optimised output tree itself, not the bazel-bin link: any later build
# in another configuration (a plain `bazel test //...`) repoints that link.
bin_dir=$(bazel info --config=opt bazel-bin 2>/dev/null)
pin=()
if command -v taskset >/dev/null && [ "$(nproc)" -gt 1 ]; then pin=(taskset -c 1); fi
if [ -n "$out_dir" ]; then mkdir -p "$out_dir"; fi
for t in "${targets[@]}"; do
  bin="$bin_dir/${t#//}"
  bin="${bin/://}"
  echo "== $t"
  if [ "${t##*:}" != "sim_bench" ]; then
    json=()
    if [ -n "$out_dir" ]; then
      json=(--benchmark_out="$out_dir/${t##*:}.json" --benchmark_out_format=json)
    fi
    "${pin[@]+"${pin[@]}"}" "$bin" "${args[@]}" "${json[@]+"${json[@]}"}"
    continue
  fi
  # The simulator's benchmarks each in a process of their own: a run made
  # after the 100,000-object one inherits its heap (freed, but spread over
  # hundreds of megabytes) and measured up to 1.3x slower than the same
  # scenario in a fresh process, which skews the cost-growth ratios. Each
  # writes its own DIR/sim_bench.<i>.json; the table and
  # tools/bench_compare.py read every JSON file of DIR.
  i=0
  while IFS= read -r name; do
    [ -n "$name" ] || continue
    i=$((i + 1))
    part=()
    if [ -n "$out_dir" ]; then
      part=(--benchmark_out="$out_dir/${t##*:}.$i.json" --benchmark_out_format=json)
    fi
    "${pin[@]+"${pin[@]}"}" "$bin" "${args[@]}" --benchmark_filter="^${name}\$" \
      "${part[@]+"${part[@]}"}"
  done < <("$bin" "${args[@]}" --benchmark_list_tests)
done
if [ -n "$out_dir" ]; then
  {
    # Which machine and which code: figures from different ones do not compare.
    cpu_model=$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo 2>/dev/null | head -n 1 || true)
    commit=$(git rev-parse --short HEAD 2>/dev/null || true)
    echo "Run: $(date -u +%Y-%m-%d) at ${commit:-an unknown commit}, $(nproc) CPUs" \
      "(${cpu_model:-CPU model unknown}), args: ${args[*]}"
    echo
    python3 tools/bench_table.py "$out_dir"
  } > "$out_dir/table.md"
  echo "== $out_dir/table.md"
  cat "$out_dir/table.md"
fi
