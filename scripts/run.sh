#!/usr/bin/env bash
# Starts the worker and the web app together, and the folder watcher when DOCDESK_WATCH_DIR is set (in the
# environment or .env); Ctrl-C (or any of them exiting) stops them all.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

# The web server's upload limit is DOCDESK_MAX_UPLOAD_BYTES, the same as the upload box's (settings.py).
upload_mb=$($PY -c 'from settings import get_settings; print(get_settings().upload_limit_mb)') || exit 1

$PY cli.py worker &
pids=($!)
$PY -m streamlit run serve.py --server.port "${PORT:-8501}" --server.maxUploadSize "$upload_mb" &
pids+=($!)
if [ -n "$($PY -c 'from settings import get_settings; print(get_settings().watch_dir or "")')" ]; then
  $PY cli.py watch &
  pids+=($!)
fi

stop() { kill -TERM "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null; }
trap 'stop; exit 130' INT TERM
wait -n "${pids[@]}"
status=$?
stop
exit $status
