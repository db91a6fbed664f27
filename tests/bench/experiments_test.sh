#!/usr/bin/env bash
# Every measurement patch in bench/experiments/ names itself and how to use
# it, and still applies cleanly to today's tree (a patch that rots would
# leave a documented bound that no one can reproduce).
# Args: the patches, then the sources they touch.
set -uo pipefail
source "$(dirname "$0")/../patch_tree.sh"
patch_tree_setup "$@"
if [ "${#patches[@]}" -eq 0 ]; then
  echo "FAIL: no patches given"
  exit 1
fi
status=0
for p in "${patches[@]}"; do
  name=$(basename "$p" .patch)
  header_has "$name" "$p" "^# experiment: $name\$" "no '# experiment: $name' header line"
  header_has "$name" "$p" "^#   patch -p1 < bench/experiments/$name.patch\$" \
    "the header does not say how to apply it"
  patch_applies "$name" "$p"
done
[ "$status" -eq 0 ] && echo "experiments: ${#patches[@]} patches, all apply"
exit "$status"
