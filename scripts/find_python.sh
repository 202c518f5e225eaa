#!/usr/bin/env bash
# Print the path of a working CPython interpreter of version $1 (e.g. 3.12), or exit 1 with the places looked in.
# Order: pyenv's versions (newest patch release first), then python3.X in /usr/local/bin, /usr/bin and on PATH.
# A pyenv shim is not trusted as is: it fails unless that version is selected, so every candidate is run.
set -uo pipefail
version="$1"
candidates=()
pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
if [ -d "$pyenv_root/versions" ]; then
    while IFS= read -r dir; do
        candidates+=("$dir/bin/python$version")
    done < <(find "$pyenv_root/versions" -maxdepth 1 -name "$version.*" | sort -rV)
fi
candidates+=("/usr/local/bin/python$version" "/usr/bin/python$version")
if on_path="$(command -v "python$version" 2>/dev/null)"; then
    candidates+=("$on_path")
fi
for python in "${candidates[@]}"; do
    if [ -x "$python" ] && "$python" -c "import sys, venv; sys.exit(sys.version_info[:2] != tuple(map(int, '$version'.split('.'))))" \
        >/dev/null 2>&1; then
        echo "$python"
        exit 0
    fi
done
echo "find_python: no working python$version (looked in $pyenv_root/versions/$version.*, /usr/local/bin, /usr/bin, PATH)" >&2
exit 1
