"""cli.py commands for ingestion: ingest (with --wait against a real worker), status, retry."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from tests.services.worker_proc import ROOT, receipt_png, start_worker, stop_worker, tesseract_spy
from tests.signin import add


def _env(settings, path="/usr/bin:/bin") -> dict[str, str]:
    return {"DOCDESK_DATA_DIR": str(settings.data_dir), "PATH": path,  # no OMP_THREAD_LIMIT
            **{f"DOCDESK_{name.upper()}": value for name in ("database_url", "queue_url")
               if (value := getattr(settings, name))}}


def _cli(settings, *args, timeout=120, path="/usr/bin:/bin"):
    return subprocess.run([sys.executable, "cli.py", *args], cwd=ROOT, env=_env(settings, path), capture_output=True,
                          text=True, timeout=timeout)


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
        result = _cli(migrated, "ingest", "--wait", "--user", "ana", str(folder))
    finally:
        stop_worker(worker)

    lines = result.stdout.splitlines()
    assert re.fullmatch(r"#1 queued  .*a\.png", lines[0])
    assert re.fullmatch(r"duplicate of #1  .*b\.png", lines[1])
    assert re.fullmatch(r"refused: This is not a supported file.*notes\.jpg", lines[2])
    assert re.fullmatch(r"processed 1, failed 0 in [\d.]+ s; [\d.]+ / [\d.]+ s per page \(p50 / p95\)", lines[-1])
    assert result.returncode == 1  # a file was refused

    status = _cli(migrated, "status")
    assert status.returncode == 0
    assert re.search(r"needs_review\s+1", status.stdout) and re.search(r"queue depth\s+0", status.stdout)


@pytest.mark.slow
def test_ingest_without_wait_queues_and_exits_zero(migrated, tmp_path):
    path = tmp_path / "r.png"
    path.write_bytes(receipt_png(3))
    result = _cli(migrated, "ingest", str(path))
    assert (result.returncode, result.stdout.strip()) == (0, f"#1 queued  {path}")
    assert re.search(r"queue depth\s+1", _cli(migrated, "status").stdout)


@pytest.mark.slow
def test_retry_needs_ids_or_failed_and_requeues_failed_documents(migrated):
    from services.ingest import ingest_file
    from services.process import process_document

    document_id = ingest_file(receipt_png()[:3000], "cut.png", settings=migrated).document_id
    process_document(document_id, settings=migrated)  # damaged -> failed

    assert _cli(migrated, "retry").returncode == 2
    result = _cli(migrated, "retry", "--failed")
    assert (result.returncode, result.stdout.strip()) == (0, f"re-queued 1: #{document_id}")
    assert _cli(migrated, "retry", str(document_id)).stdout.strip() == "re-queued 0: nothing was failed"


@pytest.mark.slow
@pytest.mark.parametrize("command", ["extract", "eval"])
def test_extract_and_eval_run_tesseract_single_threaded(settings, tmp_path, command):
    env, notes = tesseract_spy(tmp_path / "bin")
    dataset = tmp_path / "dataset"
    (dataset / "img").mkdir(parents=True)
    (dataset / "key").mkdir()
    (dataset / "img" / "001.png").write_bytes(receipt_png())
    (dataset / "key" / "001.json").write_text(json.dumps({"company": "", "address": "", "date": "", "total": ""}))
    args = [str(dataset / "img" / "001.png")] if command == "extract" else [str(dataset), "--workers", "1"]

    result = _cli(settings, command, *args, path=env["PATH"])

    assert result.returncode == 0, result.stderr
    calls = notes.read_text().split()
    assert calls and set(calls) == {"1"}, calls


def test_status_says_what_to_do_while_redis_or_the_database_is_down(migrated, tmp_path):
    redis_down = migrated.model_copy(update={"queue_url": "redis://:s3cret@127.0.0.1:1/0"})
    result = _cli(redis_down, "status")
    assert result.returncode == 1 and "queue depth" not in result.stdout
    assert "Traceback" not in result.stderr and "s3cret" not in result.stderr
    assert "Redis at redis://127.0.0.1:1/0 cannot be read" in result.stderr and "DOCDESK_QUEUE_URL" in result.stderr
    assert re.search(r"needs_review\s+0", result.stdout)  # what the database knows is still shown

    database_down = migrated.model_copy(update={"database_url": f"postgresql+psycopg://docdesk@/none?host={tmp_path}"})
    result = _cli(database_down, "status")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "The database cannot be reached" in result.stderr and "DOCDESK_DATABASE_URL" in result.stderr


def test_pdf_writes_a_read_document_and_export_zips_them(migrated, tmp_path):
    import zipfile

    from storage.db import session_factory
    from storage.models import Status
    from tests.seeding import make_document

    with session_factory(migrated).begin() as session:
        document_id = make_document(session, migrated, status=Status.APPROVED, image=receipt_png()).id
    written = _cli(migrated, "pdf", str(document_id), "--output", str(tmp_path / "one.pdf"))
    assert (written.returncode, written.stdout.strip()) == (0, f"wrote {tmp_path / 'one.pdf'}")
    assert (tmp_path / "one.pdf").read_bytes().startswith(b"%PDF-1.4")

    exported = _cli(migrated, "export", "--csv", str(tmp_path / "a.csv"), "--pdfs", str(tmp_path / "a.zip"))
    assert exported.returncode == 0
    assert exported.stdout.strip() == f"batch 1: 1 documents; wrote {tmp_path / 'a.csv'}, {tmp_path / 'a.zip'}"
    assert len(zipfile.ZipFile(tmp_path / "a.zip").namelist()) == 1

    missing = _cli(migrated, "pdf", "999")
    assert (missing.returncode, missing.stderr.strip()) == (2, "error: There is no document #999.")


@pytest.mark.slow
def test_watch_reports_each_file_it_takes_and_stops_on_sigterm(migrated, tmp_path):
    import os
    import signal

    folder = tmp_path / "scans"
    folder.mkdir()
    watcher = subprocess.Popen([sys.executable, "cli.py", "watch", str(folder), "--settle", "0.5"], cwd=ROOT,
                               env=_env(migrated), stdout=subprocess.PIPE, stderr=open(tmp_path / "watch.log", "w"),
                               text=True)
    try:
        assert watcher.stdout.readline().startswith(f"watching {folder} (after taking: move)")
        (folder / "a.png").write_bytes(receipt_png(11))
        assert watcher.stdout.readline().strip() == "#1 queued  a.png"
    finally:
        watcher.send_signal(signal.SIGTERM)
        assert watcher.wait(timeout=30) == 0
    assert os.listdir(folder / "done") == ["a.png"]

    refused = _cli(migrated, "watch", str(tmp_path / "nowhere"))
    assert refused.returncode == 2 and "is not a folder: create it" in refused.stderr
