#!/usr/bin/env bash
# Runs one fuzz target of tests/fuzz/ with libFuzzer, on its corpus and
# dictionary, then merges the inputs that found new coverage back into the
# corpus (tests/fuzz/corpus/TARGET/, replayed by `bazel test //...`).
#
#   tools/fuzz.sh TARGET [SECONDS] [-- LIBFUZZER_FLAGS...]
#   tools/fuzz.sh scenario_fuzzer 3600 -- -jobs=2 -workers=2
#
# A crash leaves its input as fuzz-out/TARGET/crash-*; once the bug is fixed,
# copy the input into the corpus as its regression test. A world_fuzzer crash
# is an informer bug (a violation): world_to_scenario turns its input into a
# scenario file that informer_sim replays.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 1 ]; then
  echo "usage: tools/fuzz.sh TARGET [SECONDS] [-- LIBFUZZER_FLAGS...]" >&2
  echo "targets: $(ls tests/fuzz/*_fuzzer.cc | xargs -n1 basename | sed 's/\.cc$//' | tr '\n' ' ')" >&2
  exit 2
fi
target="$1"
shift
seconds=60
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
  seconds="$1"
  shift
fi
[ $# -gt 0 ] && [ "$1" = "--" ] && shift
if [ ! -f "tests/fuzz/$target.cc" ]; then
  echo "fuzz: no target tests/fuzz/$target.cc" >&2
  exit 2
fi
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "fuzz: SECONDS must be a positive integer, not \"$seconds\"" >&2
  exit 2
fi

# The world fuzzer hunts violations, not memory errors: coverage only, -O2.
config=fuzz
[ "$target" = world_fuzzer ] && config=worldfuzz
bazel build --config=$config "//tests/fuzz:$target"
bin="$(bazel info --config=$config bazel-bin 2>/dev/null)/tests/fuzz/$target"
corpus="tests/fuzz/corpus/$target"
out="fuzz-out/$target"
new="$out/new"
mkdir -p "$corpus" "$new"
dict=()
[ -f "tests/fuzz/$target.dict" ] && dict=(-dict="tests/fuzz/$target.dict")

status=0
"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -artifact_prefix="$out/" \
  "${dict[@]}" "$@" "$new" "$corpus" || status=$?
# Keep only the inputs that add coverage to the corpus.
"$bin" -merge=1 "$corpus" "$new" >/dev/null 2>&1 || true
rm -rf "$new"
echo "fuzz: $target ran ${seconds}s (exit $status); corpus $(ls "$corpus" | wc -l) inputs"
exit "$status"
