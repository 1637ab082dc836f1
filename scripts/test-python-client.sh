#!/usr/bin/env bash
# Installs the Python client (clients/python, its message code generated from recserve.proto) into
# a virtual environment with pip, and runs its tests against real suites started by `recctl up`:
# plain and CURVE-protected gateways, error replies, and the NumPy model written from docs/model.md.
. "$(dirname "$0")/lib.sh"
find_release
venv=run/venv-client
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --upgrade pip >/dev/null
"$venv/bin/pip" install -q numpy ./clients/python
RECCTL="$bin/recctl" "$venv/bin/python" -m unittest discover -s clients/python/tests -v
