#!/usr/bin/env bash
# Every measurement patch in bench/experiments/ names itself and how to use
# it, and still applies cleanly to today's tree (a patch that rots would
# leave a documented bound that no one can reproduce).
# Args: the patches, then the sources they touch.
set -uo pipefail
work="${TEST_TMPDIR:-$(mktemp -d)}/tree"
mkdir -p "$work"
patches=()
for f in "$@"; do
  case "$f" in
    *.patch) patches+=("$f") ;;
    *) mkdir -p "$work/$(dirname "$f")"; cp -L "$f" "$work/$f" ;;
  esac
done
if [ "${#patches[@]}" -eq 0 ]; then
  echo "FAIL: no patches given"
  exit 1
fi
status=0
for p in "${patches[@]}"; do
  name=$(basename "$p" .patch)
  if ! grep -qE "^# experiment: $name\$" "$p"; then
    echo "FAIL: $name: no '# experiment: $name' header line"; status=1
  fi
  if ! grep -qE "^#   patch -p1 < bench/experiments/$name.patch\$" "$p"; then
    echo "FAIL: $name: the header does not say how to apply it"; status=1
  fi
  if ! out=$(cd "$work" && patch -p1 --dry-run -F0 -i "$OLDPWD/$p" 2>&1); then
    echo "FAIL: $name does not apply cleanly:"; echo "$out"; status=1
  fi
done
[ "$status" -eq 0 ] && echo "experiments: ${#patches[@]} patches, all apply"
exit "$status"
