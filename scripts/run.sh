#!/usr/bin/env bash
# Starts the worker and the web app together; Ctrl-C (or either one exiting) stops both.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

$PY cli.py worker &
worker=$!
$PY -m streamlit run app.py --server.port "${PORT:-8501}" &
app=$!

stop() { kill -TERM "$worker" "$app" 2>/dev/null; wait "$worker" "$app" 2>/dev/null; }
trap 'stop; exit 130' INT TERM
wait -n "$worker" "$app"
status=$?
stop
exit $status
