"""The bad-input corpus (tests/badfiles.py) through every entry point: ocr.load, the upload service (as the Upload
page calls it) plus processing, `cli.py extract` and `cli.py ingest`. Each file gets its own code and a message
that says what to do, leaves a record, and never stops the other files of the batch."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from errors import InputError
from ocr.config import LoadLimits
from ocr.load import inspect, load_pages
from services.ingest import MAX_NAME_CHARS, ingest_files
from services.process import process_document
from settings import Settings, get_settings
from storage import repository
from storage.db import session_factory
from storage.models import AuditEvent
from tests import badfiles
from tests.badfiles import CASES
from tests.signin import add

ROOT = Path(__file__).resolve().parents[1]


def _actionable(message: str) -> bool:
    """A message says what happened and what to do: a sentence with a colon or an imperative, ending properly."""
    return bool(message) and message.rstrip()[-1] in ".)" and re.search(
        r"\b(upload|scan|save|split|remove|export)\b", message, re.IGNORECASE) is not None


@pytest.fixture
def corpus_settings(migrated, monkeypatch) -> Settings:
    add(migrated, "ana", "uploader")
    for name, value in badfiles.ENV.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    return get_settings()


@pytest.mark.parametrize("case", CASES, ids=[c.key for c in CASES])
def test_ocr_load_gives_each_file_its_code(case):
    limits = LoadLimits(max_upload_bytes=badfiles.SIZE_LIMIT)
    data = case.make()
    if case.ingest:
        with pytest.raises(InputError) as caught:
            inspect(data, limits)
        assert caught.value.code == case.ingest and _actionable(caught.value.message)
    else:
        inspect(data, limits)
    if case.code:
        with pytest.raises(InputError) as caught:
            list(load_pages(data, limits))
        assert caught.value.code == case.code and _actionable(caught.value.message), caught.value.message
    else:
        assert [page.index for page in load_pages(data, limits)] == [0]


@pytest.mark.slow
def test_upload_then_processing_answers_and_records_every_file(corpus_settings):
    settings = corpus_settings
    results = ingest_files([(c.name, c.make()) for c in CASES], user="ana", settings=settings)

    assert len(results) == len(CASES)
    for case, result in zip(CASES, results, strict=True):
        if case.ingest:
            assert (result.outcome, result.code) == ("refused", case.ingest), (case.key, result)
            assert result.message.startswith("refused: ") and _actionable(result.message)
        else:
            assert result.outcome == "queued", (case.key, result)
        assert len(result.name) <= MAX_NAME_CHARS and "/" not in result.name
        assert not any(ord(ch) < 32 or ch == "\u202e" for ch in result.name)
    assert results[[c.key for c in CASES].index("dot-dot-name.png")].name == "passwd.png"

    with session_factory(settings).begin() as session:
        events = session.query(AuditEvent).filter_by(action="upload_refused").order_by(AuditEvent.id)
        refused = [e.details for e in events]
    assert [(d["code"], bool(d["message"])) for d in refused] == [(c.ingest, True) for c in CASES if c.ingest]

    for result in results:  # the worker's task, in this process; each file in its own child
        if result.outcome == "queued":
            process_document(result.document_id, settings=settings)
    with session_factory(settings).begin() as session:
        for case, result in zip(CASES, results, strict=True):
            if result.outcome != "queued":
                continue
            document = repository.get_document(session, result.document_id)
            if case.process == "needs_review":
                assert document.status == "needs_review", (case.key, document.error_code, document.error_message)
            else:
                assert (document.status, document.error_code) == ("failed", case.process), case.key
                assert _actionable(document.error_message) and document.attempts == 1  # never retried
        blank = repository.get_document(session, results[[c.key for c in CASES].index("blank-page.png")].document_id)
        assert "no_text" in [flag.code for flag in blank.flags] and blank.page_count == 1


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "cli.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=240,
                          env={**os.environ, **env})


@pytest.mark.slow
def test_cli_extract_and_ingest_over_the_corpus(corpus_settings, tmp_path):
    written = badfiles.write_corpus(tmp_path / "corpus")
    env = {**badfiles.ENV, "DOCDESK_DATA_DIR": str(corpus_settings.data_dir)}

    extract = _cli("extract", "--jsonl", "--workers", "2", *written, env=env)
    lines = [json.loads(line) for line in extract.stdout.splitlines()]
    assert [line["file"] for line in lines] == list(written)  # every file answered, in order
    for line in lines:
        case = written[line["file"]]
        if case.code is None:
            assert line["error"] is None and line["pages"] == [1], line
        else:
            assert line["error"]["code"] == case.code, line
            assert _actionable(line["error"]["message"]), line
    assert extract.returncode == 1

    ingest = _cli("ingest", "--user", "ana", str(tmp_path / "corpus"), env=env)
    by_file = {line.rsplit("  ", 1)[-1]: line for line in ingest.stdout.splitlines()}
    for path, case in written.items():
        if case.ingest:
            assert by_file[path].startswith("refused: ") and f"[{case.ingest}]  " in by_file[path], by_file[path]
        else:
            assert re.match(r"#\d+ queued", by_file[path]), by_file[path]
    assert ingest.returncode == 1
