"""services.pdfs: a processed receipt (real Tesseract, database, blob store) out as a searchable PDF, checked with
Poppler's pdftotext; the export's zip of them."""

from __future__ import annotations

import io
import subprocess
import zipfile
from pathlib import Path

import pytest

from errors import InputError
from services import pdfs, review
from services.ingest import ingest_file
from services.process import process_document
from tests.receipts import character_error_rate, encode, rotate, sample_receipt
from tests.signin import add


def _processed(settings, image, name: str = "receipt.png", user: str | None = None) -> int:
    result = ingest_file(encode(image, "PNG"), name, user=user, settings=settings)
    process_document(result.document_id, settings=settings)
    return result.document_id


def _pdftotext(pdf: bytes, tmp_path: Path, *options: str) -> list[str]:
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", *options, str(path), "-"], capture_output=True, text=True, check=True).stdout
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


@pytest.mark.slow
def test_a_read_receipt_comes_back_from_its_pdf_line_by_line_in_reading_order(migrated, tmp_path):
    receipt = sample_receipt()
    document_id = _processed(migrated, rotate(receipt.image, 3))  # read from the straightened page
    lines = _pdftotext(pdfs.document_pdf(document_id, settings=migrated).data, tmp_path, "-layout")

    printed_lines = [" ".join(line.split()) for line in receipt.lines if line.strip()]
    assert len(lines) == len(printed_lines)
    for printed, extracted in zip(printed_lines, lines, strict=True):
        assert character_error_rate(printed, extracted) < 0.15, (printed, extracted)
    assert character_error_rate(receipt.text, "\n".join(lines)) < 0.05
    # without -layout too, a line of words stays one line
    assert " ".join(receipt.lines[0].split()) in _pdftotext(pdfs.document_pdf(document_id, settings=migrated).data,
                                                            tmp_path)


@pytest.mark.slow
def test_an_uploader_gets_the_pdf_of_their_own_documents_only(migrated):
    ana, ben = add(migrated, "ana", "uploader"), add(migrated, "ben", "uploader")
    document_id = _processed(migrated, sample_receipt().image, user=ana)

    pdf = pdfs.document_pdf(document_id, user=ana, settings=migrated)
    values = review.open_document(document_id, settings=migrated).values()
    assert pdf.data.startswith(b"%PDF-1.4") and pdf.name == f"{values['date']}_greenleaf-hardware-sdn-bhd_42.95.pdf"
    with pytest.raises(InputError, match=f"no document #{document_id}") as refused:
        pdfs.document_pdf(document_id, user=ben, settings=migrated)
    assert refused.value.code == "not_found"


def test_a_document_not_read_yet_has_no_pdf_and_says_why(migrated):
    queued = ingest_file(encode(sample_receipt().image, "PNG"), "r.png", settings=migrated).document_id
    with pytest.raises(InputError, match="queued and has not been read yet") as refused:
        pdfs.document_pdf(queued, settings=migrated)
    assert refused.value.code == "not_read"


@pytest.mark.slow
def test_the_zip_names_each_pdf_by_date_vendor_and_total_and_lists_what_it_left_out(migrated, tmp_path):
    first = _processed(migrated, sample_receipt().image, "a.png")
    view = review.open_document(first, settings=migrated)
    review.save(first, view.version, {"vendor": "Café / Bar: 'Ölmühle'"}, settings=migrated)
    second = _processed(migrated, rotate(sample_receipt().image, 1), "b.png")  # the same values, other bytes
    queued = ingest_file(encode(sample_receipt(font_size=30).image, "PNG"), "c.png", settings=migrated).document_id

    target = io.BytesIO()
    assert pdfs.write_pdfs_zip([first, second, queued], target, settings=migrated) == 2
    archive = zipfile.ZipFile(target)
    second_values = review.open_document(second, settings=migrated).values()
    second_name = pdfs.pdf_file_name(second_values["date"], second_values["vendor"], second_values["total"])
    assert archive.namelist()[0] == f"{review.open_document(first, settings=migrated).values()['date']}" \
                                    "_cafe-bar-olmuhle_42.95.pdf"
    assert second_name in archive.namelist()
    assert archive.read("not-included.txt").decode() == f"#{queued} c.png: Document #{queued} is queued and has " \
                                                         "not been read yet: its PDF can be made once it has been " \
                                                         "processed.\n"
    assert "GREENLEAF" in " ".join(_pdftotext(archive.read(archive.namelist()[0]), tmp_path))


@pytest.mark.slow
def test_an_export_batch_zips_the_pdfs_of_its_documents_only(migrated):
    from services import export

    exported = _processed(migrated, sample_receipt().image, "a.png")
    review.approve(exported, review.open_document(exported, settings=migrated).version, settings=migrated)
    batch = export.export_batch(settings=migrated)
    later = _processed(migrated, rotate(sample_receipt().image, 1), "b.png")
    review.approve(later, review.open_document(later, settings=migrated).version, settings=migrated)

    target = io.BytesIO()
    assert export.batch_pdfs(batch.id, target, settings=migrated) == 1
    assert len(zipfile.ZipFile(target).namelist()) == 1


def test_file_names_are_safe_and_say_what_is_missing():
    assert pdfs.pdf_file_name("2024-03-14", "GREENLEAF HARDWARE SDN. BHD.", "42.95") == \
        "2024-03-14_greenleaf-hardware-sdn.-bhd_42.95.pdf"
    assert pdfs.pdf_file_name(None, "../../etc/passwd", "") == "no-date_etc-passwd_no-total.pdf"
    assert pdfs.pdf_file_name("2024-03-14", "咖啡", "1.00") == "2024-03-14_no-vendor_1.00.pdf"
    assert len(pdfs.pdf_file_name("2024-03-14", "A" * 500, "1.00")) < 100
