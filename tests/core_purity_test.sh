#!/usr/bin/env bash
# Determinism lint: core/ and sim/ read time, randomness and threads only through what
# is injected into it. Real clocks, sleeps, thread creation and global random
# sources may appear only in the real-environment files named below.
set -uo pipefail

allowed='core/real_env\.(h|cc)$'
forbidden=(
  'std::thread' 'std::jthread' 'std::async' 'pthread_create'
  'absl::Now' 'absl::SleepFor' 'absl::GetCurrentTimeNanos' 'absl::BitGen' 'absl::InsecureBitGen'
  'system_clock' 'steady_clock' 'high_resolution_clock' 'sleep_for' 'sleep_until'
  'usleep' 'nanosleep' 'gettimeofday' 'clock_gettime' 'std::random_device'
  '\brand\(' '\bsrand\(' '\btime\(' '_distribution<' 'std::mt19937'
  # libm's transcendental functions round differently between versions;
  # unordered containers iterate in an order no one promises; local time
  # depends on the machine.
  '\b(std::)?(log|log2|log10|exp|exp2|pow|sin|cos|tan)\(' 'unordered_(map|set)' 'LocalTimeZone'
)

status=0
for f in "$@"; do
  if [[ "$f" =~ $allowed ]]; then continue; fi
  for pat in "${forbidden[@]}"; do
    if hits=$(grep -nE "$pat" "$f"); then
      while IFS= read -r line; do
        echo "$f:$line: '$pat' is not allowed in core/ or sim/ outside the real-environment files"
      done <<< "$hits"
      status=1
    fi
  done
done
[ "$status" -eq 0 ] && echo "purity: $# files of core/ and sim/ clean"
exit "$status"
