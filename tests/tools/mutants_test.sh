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
    header_has "$name" "$p" "^# $key: .+" "no '# $key:' header line"
  done
  header_has "$name" "$p" "^# mutant: $name\$" "'# mutant:' does not match the file name"
  header_has "$name" "$p" "^# profiles: (classic|current|interim|both)\b" \
    "profiles must be classic, current, interim or both"
  patch_applies "$name" "$p"
done
[ "$status" -eq 0 ] && echo "mutants: ${#patches[@]} variants, headers complete, all apply"
exit "$status"
