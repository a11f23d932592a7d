#!/usr/bin/env bash
# Starts the worker and the web app together; Ctrl-C (or either one exiting) stops both.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

# The web server's upload limit is DOCDESK_MAX_UPLOAD_BYTES, the same as the upload box's (settings.py).
upload_mb=$($PY -c 'from settings import get_settings; print(get_settings().upload_limit_mb)') || exit 1

$PY cli.py worker &
worker=$!
$PY -m streamlit run app.py --server.port "${PORT:-8501}" --server.maxUploadSize "$upload_mb" &
app=$!

stop() { kill -TERM "$worker" "$app" 2>/dev/null; wait "$worker" "$app" 2>/dev/null; }
trap 'stop; exit 130' INT TERM
wait -n "$worker" "$app"
status=$?
stop
exit $status
