#!/usr/bin/env bash
# Lines of code by top folder (C++ sources and headers, shell and Python; blank lines and
# comment-only lines not counted), and the largest source files. The size of the code is a
# feature: `make loc` prints it. Usage: scripts/loc.sh [REV]  (a git revision; default: the
# working tree).
set -euo pipefail
cd "$(dirname "$0")/.."
rev="${1:-}"
if [[ -n "$rev" ]]; then
  files() { git ls-tree -r --name-only "$rev"; }
  show() { git show "$rev:$1"; }
else
  files() { git ls-files --cached --others --exclude-standard; }
  show() { cat "$1"; }
fi
count() {  # code lines of one file: not blank, not only a comment
  show "$1" | grep -cvE '^[[:space:]]*($|//|#[^a-z]|#$|\*|/\*)' || true
}
declare -A by_dir
total=0
largest=()
while IFS= read -r f; do
  case "$f" in
    *.cpp|*.h|*.sh|*.py|*.cmake|CMakeLists.txt|Makefile) ;;
    *) continue ;;
  esac
  [[ "$f" == tests/fixtures/* || "$f" == tests/fuzz/corpus/* ]] && continue
  n=$(count "$f")
  dir="${f%%/*}"; [[ "$dir" == "$f" ]] && dir="(top)"
  by_dir[$dir]=$(( ${by_dir[$dir]:-0} + n ))
  total=$(( total + n ))
  case "$f" in *.cpp|*.h) largest+=("$(wc -l < <(show "$f")) $f") ;; esac
done < <(files)
printf '%-10s %7s\n' folder lines
for d in $(printf '%s\n' "${!by_dir[@]}" | sort); do printf '%-10s %7d\n' "$d" "${by_dir[$d]}"; done
printf '%-10s %7d\n' total "$total"
echo
echo "largest C++ files (all lines):"
printf '%s\n' "${largest[@]}" | sort -rn | head -8 | awk '{printf "  %5d %s\n", $1, $2}'
