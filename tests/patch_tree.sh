# Sourced by the tests that keep patches applying to the tree
# (//tests/tools:mutants_test, //tests/bench:experiments_test).
#
# patch_tree_setup ARGS...  copies every argument that is not a .patch into
#                           $work (the tree, by its repository path) and
#                           collects the .patch ones in the array `patches`.
# patch_applies NAME FILE   true if FILE applies to $work exactly (no fuzz);
#                           else prints why and sets status=1.
# header_has NAME FILE REGEX WHY
#                           true if a line of FILE matches the extended
#                           REGEX; else prints "FAIL: NAME: WHY" and sets
#                           status=1.
work="${TEST_TMPDIR:-$(mktemp -d)}/tree"
patches=()

patch_tree_setup() {
  mkdir -p "$work"
  local f
  for f in "$@"; do
    case "$f" in
      *.patch) patches+=("$f") ;;
      *) mkdir -p "$work/$(dirname "$f")"; cp -L "$f" "$work/$f" ;;
    esac
  done
}

patch_applies() {
  local out
  if ! out=$(cd "$work" && patch -p1 --dry-run -F0 -i "$OLDPWD/$2" 2>&1); then
    echo "FAIL: $1 does not apply cleanly:"; echo "$out"; status=1
    return 1
  fi
}

header_has() {
  grep -qE "$3" "$2" && return 0
  echo "FAIL: $1: $4"; status=1
  return 1
}
