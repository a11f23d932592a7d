"""Words with boxes (two readings per line) -> receipt fields: candidates -> features -> learned ranker ->
cross-field selection -> checks (ocr.fields.extract)."""

from ocr.fields.checks import check_fields
from ocr.fields.extract import extract_fields

__all__ = ["check_fields", "extract_fields"]
