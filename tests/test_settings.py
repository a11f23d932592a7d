from pathlib import Path

import pytest
from pydantic import ValidationError

from settings import Settings


def test_defaults_put_everything_in_the_data_folder(monkeypatch):
    for name in ("DOCDESK_DATA_DIR", "DOCDESK_DATABASE_URL", "DOCDESK_QUEUE_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert settings.data_dir == Path("data")
    assert settings.sqlalchemy_url == f"sqlite:///{Path('data/docdesk.db').resolve()}"
    assert settings.blob_dir == Path("data/blobs")
    assert settings.queue_url is None


def test_environment_overrides_with_prefix(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCDESK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DOCDESK_MAX_UPLOAD_BYTES", "1024")
    monkeypatch.setenv("DOCDESK_MAX_PAGES", "3")
    monkeypatch.setenv("DOCDESK_OCR_LANGUAGE", "eng+msa")
    monkeypatch.setenv("DOCDESK_DATABASE_URL", "postgresql://docdesk@localhost/docdesk")
    settings = Settings(_env_file=None)
    assert settings.data_dir == tmp_path
    assert settings.max_upload_bytes == 1024
    assert settings.max_pages == 3
    assert settings.ocr_language == "eng+msa"
    assert settings.sqlalchemy_url == "postgresql://docdesk@localhost/docdesk"


@pytest.mark.parametrize("name, value", [("DOCDESK_MAX_PAGES", "0"), ("DOCDESK_MAX_UPLOAD_BYTES", "lots"),
                                         ("DOCDESK_DATE_ORDER", "DDMM"), ("DOCDESK_DEFAULT_CURRENCY", "RINGGIT"),
                                         ("DOCDESK_SPLIT_PAGES", "sometimes")])
def test_invalid_values_are_refused(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings(_env_file=None)


def test_the_reading_is_accurate_fast_or_tesseract_and_the_locales_have_word_lists():
    assert Settings(_env_file=None).reading == "accurate"
    assert Settings(reading="fast").ocr_config().reading == "fast"
    assert Settings(reading="tesseract").ocr_config().reading == "tesseract"
    with pytest.raises(ValidationError):
        Settings(reading="thorough")
    assert Settings(locales="ms, en").ocr_config().extraction.locales == ("ms", "en")
    with pytest.raises(ValueError, match="no word list for xx; choose from en, ms"):
        Settings(locales="en,xx")


def test_the_ocr_layer_is_told_the_settings_as_one_config(monkeypatch):
    from ocr.config import OcrConfig

    assert Settings(_env_file=None).ocr_config() == OcrConfig()  # the same defaults
    for name, value in [("OCR_LANGUAGE", "eng+msa"), ("OCR_PAGE_TIMEOUT_S", "5"), ("MAX_PAGES", "3"),
                        ("PDF_DPI", "150"), ("DEFAULT_CURRENCY", "SGD"), ("DATE_ORDER", "MDY"),
                        ("LOW_CONFIDENCE", "0.65"), ("LOW_LABEL_CONFIDENCE", "0.6"), ("UNREADABLE_BELOW", "0"),
                        ("READING", "fast"),
                        ("VENDOR_MEMORY_SIMILARITY", "90"), ("SPLIT_PAGES", "never")]:
        monkeypatch.setenv(f"DOCDESK_{name}", value)
    config = Settings(_env_file=None).ocr_config()
    assert (config.language, config.page_timeout_s, config.reading) == ("eng+msa", 5.0, "fast")
    assert (config.limits.max_pages, config.limits.pdf_dpi, config.split_pages) == (3, 150, "never")
    extraction = config.extraction
    assert (extraction.default_currency, extraction.date_order, extraction.low_confidence) == ("SGD", "MDY", 0.65)
    assert extraction.low_label_confidence == 0.6
    assert (extraction.unreadable_below, extraction.vendor_similarity, extraction.today) == (0.0, 90.0, None)
