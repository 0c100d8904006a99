# Sourced by the scripts: create .venv and install the project with its dev extra.
#
# The install is redone only when pyproject.toml changed (the project is installed in
# editable mode, so code changes need nothing). A lock keeps two scripts started at
# the same time from installing into .venv together.
exec 9<pyproject.toml
flock 9
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys' 2>/dev/null; then
    rm -rf .venv
    python3 -m venv .venv
    .venv/bin/python -m pip install -q --upgrade pip >/dev/null
fi
_xt_deps_stamp="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ "$(cat .venv/.xobito-installed 2>/dev/null)" != "$_xt_deps_stamp" ]; then
    .venv/bin/python -m pip install -q -e '.[dev]'
    echo "$_xt_deps_stamp" >.venv/.xobito-installed
fi
unset _xt_deps_stamp
flock -u 9
exec 9<&-
