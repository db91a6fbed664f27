#!/usr/bin/env bash
# Every faulty variant in tools/mutants/ has the header the mutation report
# reads and still applies, cleanly, to today's core/ and sim/ (a variant
# that rots would silently drop out of the report).
# Args: the patches, then the sources of core/ and sim/.
set -uo pipefail
source "$(dirname "$0")/../patch_tree.sh"
patch_tree_setup "$@"
if [ "${#patches[@]}" -lt 30 ]; then
  echo "FAIL: ${#patches[@]} variants; the report needs at least 30"
  status=1
else
  status=0
fi
for p in "${patches[@]}"; do
  name=$(basename "$p" .patch)
  for key in mutant area profiles upstream bug expect; do
    if ! grep -qE "^# $key: .+" "$p"; then
      echo "FAIL: $name: no '# $key:' header line"; status=1
    fi
  done
  if ! grep -qE "^# mutant: $name\$" "$p"; then
    echo "FAIL: $name: '# mutant:' does not match the file name"; status=1
  fi
  if ! grep -qE "^# profiles: (classic|current|interim|both)\b" "$p"; then
    echo "FAIL: $name: profiles must be classic, current, interim or both"; status=1
  fi
  patch_applies "$name" "$p"
done
[ "$status" -eq 0 ] && echo "mutants: ${#patches[@]} variants, headers complete, all apply"
exit "$status"
