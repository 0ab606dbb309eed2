# A Python virtual environment under .cache/venv with the project's pinned tools.
# Usage: ensure_python_tools tools/requirements.txt [more files]

ensure_python_tools() {
  local root venv stamp want
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  venv="$root/.cache/venv"
  stamp="$venv/.installed"
  want=$(cd "$root" && cat "$@" | sha256sum | cut -d' ' -f1)
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
  fi
  if [ ! -f "$stamp" ] || ! grep -qx "$want" "$stamp"; then
    echo "==> installing Python tools ($*)"
    (cd "$root" && PIP_CACHE_DIR="$root/.cache/pip" "$venv/bin/pip" install --quiet --disable-pip-version-check $(printf -- '-r %s ' "$@"))
    echo "$want" >"$stamp"
  fi
  export PATH="$venv/bin:$PATH"
  export VIRTUAL_ENV="$venv"
}
