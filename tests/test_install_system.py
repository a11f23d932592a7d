"""scripts/install-system.sh: the Debian packages it would install follow DOCDESK_OCR_LANGUAGE, as the settings do."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "install-system.sh"


def packages(cwd: Path, language: str | None = None) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "DOCDESK_OCR_LANGUAGE"}
    if language is not None:
        env["DOCDESK_OCR_LANGUAGE"] = language
    done = subprocess.run([str(SCRIPT), "--list"], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return done.stdout.split()


def test_english_and_orientation_data_by_default(tmp_path):
    listed = packages(tmp_path)
    assert {"tesseract-ocr", "tesseract-ocr-eng", "tesseract-ocr-osd", "poppler-utils"} <= set(listed)
    languages = [p for p in listed if p.startswith("tesseract-ocr-")]
    assert sorted(languages) == ["tesseract-ocr-eng", "tesseract-ocr-osd"]


def test_the_languages_of_the_setting_become_debian_package_names(tmp_path):
    listed = packages(tmp_path, "eng+chi_sim")
    assert "tesseract-ocr-eng" in listed and "tesseract-ocr-chi-sim" in listed


def test_the_setting_is_read_from_dot_env_unless_the_environment_sets_it(tmp_path):
    (tmp_path / ".env").write_text('DOCDESK_SECRET_KEY=x\nDOCDESK_OCR_LANGUAGE="eng+msa"\n')
    assert "tesseract-ocr-msa" in packages(tmp_path)
    assert "tesseract-ocr-msa" not in packages(tmp_path, "eng")
