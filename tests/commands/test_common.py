"""commands/common.py: what every command shares (Tesseract on one thread)."""

from __future__ import annotations

import json

import pytest

from tests.commands.run import cli
from tests.services.worker_proc import receipt_png, tesseract_spy


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

    result = cli(settings, command, *args, path=env["PATH"])

    assert result.returncode == 0, result.stderr
    # Pages are read by libtesseract, which loads on one thread whatever the environment (tests/ocr/
    # test_libtesseract.py); a `tesseract` command still started (its version, OSD) gets the limit too.
    calls = notes.read_text().split() if notes.exists() else []
    assert set(calls) <= {"1"}, calls
