"""commands/field_model.py: train and eval on a small labelled folder of generated receipts (real pipeline, real
LightGBM), and retrain from approvals."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from ocr.fields.ranker import Ranker
from tests import labelled
from tests.services.worker_proc import ROOT


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Six receipts of three invented shops, laid out like sroie-dev: img/, key/ (printed values)."""
    return labelled.write_folder(tmp_path_factory.mktemp("labelled"))


def _cli(*args, timeout=600):
    return subprocess.run([sys.executable, "cli.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
def test_train_writes_a_model_with_its_card_and_eval_reports_seen_and_unseen_shops(folder, tmp_path):
    model, cache = tmp_path / "model.json", tmp_path / "cache"
    trained = _cli("train", str(folder), "--folds", "2", "--out", str(model), "--cache", str(cache),
                   "--workers", "1", "--report", str(tmp_path / "report.md"))
    assert trained.returncode == 0, trained.stderr
    assert "read 6 of 6 receipts" in trained.stderr and f"model written to {model}" in trained.stdout
    assert "| metric | all | seen shops | unseen shops | replay all |" in trained.stdout
    card = Ranker.load(model).card
    assert card["command"].startswith("python cli.py train") and "--folds 2" in card["command"]
    assert card["receipts"] == 6 and card["shops"] == 3 and card["seed"] == 0
    assert sorted(card["validation_fold"]) == [f"{folder.name}/{n:03d}.png" for n in range(6)]
    assert set(card["figures"]["all"]) >= {"f1", "accuracy", "flagged_mistakes", "flagged_correct"}
    assert "## Mistakes" in (tmp_path / "report.md").read_text()
    assert len(list(cache.glob("*.json"))) == 6  # the readings, kept

    evaluated = _cli("eval", str(folder), "--folds", "2", "--cache", str(cache), "--workers", "1")
    assert evaluated.returncode == 0, evaluated.stderr
    assert "**F1 (4 fields)**" in evaluated.stdout and "read 6 of 6" in evaluated.stderr


@pytest.mark.slow
def test_eval_over_several_folders_reports_each_folder_too(folder, tmp_path):
    second = tmp_path / "second"
    shutil.copytree(folder, second)
    evaluated = _cli("eval", str(folder), str(second), "--folds", "2", "--workers", "1", "--cache", str(tmp_path / "c"))
    assert evaluated.returncode == 0, evaluated.stderr
    assert "read 12 of 12" in evaluated.stderr
    assert f"| unseen shops | {folder.name} | second | replay all |" in evaluated.stdout


def test_a_folder_that_is_not_labelled_is_refused_with_what_it_needs(tmp_path):
    result = _cli("eval", str(tmp_path))
    assert result.returncode == 2 and "needs img/ and key/" in result.stderr


def test_retrain_refuses_too_few_approvals_saying_how_many(migrated):
    result = _cli("retrain")
    assert result.returncode == 1, result.stderr
    assert "run 1: refused" in result.stdout and "0 approved with a vendor, 30 needed" in result.stdout


@pytest.mark.slow
def test_retrain_from_approvals_prints_its_progress_and_both_figures_then_goes_back_to_shipped(migrated):
    from storage.db import session_factory
    from tests import approvals

    with session_factory(migrated).begin() as session:
        approvals.approve_all(session, approvals.readings())
    result = _cli("retrain")
    assert result.returncode == 0, result.stderr
    assert "collecting approved documents 33 of 33" in result.stderr
    assert "reading the training documents 24 of 24" in result.stderr
    assert "measuring the candidate 9 of 9" in result.stderr
    assert "run 1: adopted." in result.stdout
    assert "held out: 9 of 33 approved documents, 3 of 11 shops" in result.stdout
    lines = result.stdout.splitlines()
    assert lines[lines.index(next(line for line in lines if line.startswith("field")))].split() == [
        "field", "shipped", "candidate"]
    assert next(line for line in lines if line.startswith("total")).split() == ["total", "0.000", "1.000"]

    back = _cli("retrain", "--use-shipped")
    assert back.returncode == 0 and "was reading with the run 1 model; now with the shipped one" in back.stdout
