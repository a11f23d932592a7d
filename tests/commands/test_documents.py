"""commands/documents.py: ingest (with --wait against a real worker), watch, status, retry."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from cli import app
from services import users
from tests.commands.run import cli, env
from tests.services.worker_proc import ROOT, receipt_png, start_worker, stop_worker
from tests.signin import add


@pytest.mark.slow
def test_ingest_wait_reports_each_file_and_waits_for_the_worker(migrated, tmp_path):
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.png").write_bytes(receipt_png(1))
    (folder / "sub" / "b.png").write_bytes(receipt_png(1))  # same bytes: a duplicate
    (folder / "sub" / "notes.jpg").write_text("not a picture")
    add(migrated, "ana", "uploader")  # --user must be an account allowed to upload
    worker = start_worker(migrated.data_dir, workers=1)
    try:
        result = cli(migrated, "ingest", "--wait", "--user", "ana", str(folder))
    finally:
        stop_worker(worker)

    lines = result.stdout.splitlines()
    assert re.fullmatch(r"#1 queued  .*a\.png", lines[0])
    assert re.fullmatch(r"duplicate of #1  .*b\.png", lines[1])
    assert re.fullmatch(r"refused: This is not a supported file.*notes\.jpg", lines[2])
    assert re.fullmatch(r"processed 1, failed 0 in [\d.]+ s; [\d.]+ / [\d.]+ s per page \(p50 / p95\)", lines[-1])
    assert result.returncode == 1  # a file was refused

    status = cli(migrated, "status")
    assert status.returncode == 0
    assert re.search(r"needs_review\s+1", status.stdout) and re.search(r"queue depth\s+0", status.stdout)


@pytest.mark.slow
def test_ingest_without_wait_queues_and_exits_zero(migrated, tmp_path):
    path = tmp_path / "r.png"
    path.write_bytes(receipt_png(3))
    result = cli(migrated, "ingest", str(path))
    assert (result.returncode, result.stdout.strip()) == (0, f"#1 queued  {path}")
    assert re.search(r"queue depth\s+1", cli(migrated, "status").stdout)


@pytest.mark.slow
def test_retry_needs_ids_or_failed_and_requeues_failed_documents(migrated):
    from services.ingest import ingest_file
    from services.process import process_document

    document_id = ingest_file(receipt_png()[:3000], "cut.png", settings=migrated).document_id
    process_document(document_id, settings=migrated)  # damaged -> failed

    assert cli(migrated, "retry").returncode == 2
    result = cli(migrated, "retry", "--failed")
    assert (result.returncode, result.stdout.strip()) == (0, f"re-queued 1: #{document_id}")
    assert cli(migrated, "retry", str(document_id)).stdout.strip() == "re-queued 0: nothing was failed"


def test_status_says_what_to_do_while_redis_or_the_database_is_down(migrated, tmp_path):
    redis_down = migrated.model_copy(update={"queue_url": "redis://:s3cret@127.0.0.1:1/0"})
    result = cli(redis_down, "status")
    assert result.returncode == 1 and "queue depth" not in result.stdout
    assert "Traceback" not in result.stderr and "s3cret" not in result.stderr
    assert "Redis at redis://127.0.0.1:1/0 cannot be read" in result.stderr and "DOCDESK_QUEUE_URL" in result.stderr
    assert re.search(r"needs_review\s+0", result.stdout)  # what the database knows is still shown

    database_down = migrated.model_copy(update={"database_url": f"postgresql+psycopg://docdesk@/none?host={tmp_path}"})
    result = cli(database_down, "status")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "The database cannot be reached" in result.stderr and "DOCDESK_DATABASE_URL" in result.stderr


@pytest.mark.slow
def test_watch_reports_each_file_it_takes_and_stops_on_sigterm(migrated, tmp_path):
    import os
    import signal

    folder = tmp_path / "scans"
    folder.mkdir()
    watcher = subprocess.Popen([sys.executable, "cli.py", "watch", str(folder), "--settle", "0.5"], cwd=ROOT,
                               env=env(migrated), stdout=subprocess.PIPE, stderr=open(tmp_path / "watch.log", "w"),
                               text=True)
    try:
        assert watcher.stdout.readline().startswith(f"watching {folder} (after taking: move)")
        (folder / "a.png").write_bytes(receipt_png(11))
        assert watcher.stdout.readline().strip() == "#1 queued  a.png"
    finally:
        watcher.send_signal(signal.SIGTERM)
        assert watcher.wait(timeout=30) == 0
    assert os.listdir(folder / "done") == ["a.png"]

    refused = cli(migrated, "watch", str(tmp_path / "nowhere"))
    assert refused.returncode == 2 and "is not a folder: create it" in refused.stderr


def test_ingest_as_a_user_needs_an_account_allowed_to_upload(migrated, tmp_path):
    receipt = tmp_path / "r.png"
    receipt.write_bytes(b"\x89PNG not really")
    refused = CliRunner().invoke(app, ["ingest", "--user", "nobody", str(receipt)])
    assert refused.exit_code == 2 and "--user nobody" in refused.output
    users.add_user("ulla", "uploader", "a-long-password")
    assert CliRunner().invoke(app, ["ingest", "--user", "ulla", str(receipt)]).exit_code == 1  # refused file, not user
