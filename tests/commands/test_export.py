"""commands/export.py: pdf writes a read document; export zips them."""

from __future__ import annotations

from tests.commands.run import cli
from tests.services.worker_proc import receipt_png


def test_pdf_writes_a_read_document_and_export_zips_them(migrated, tmp_path):
    import zipfile

    from storage.db import session_factory
    from storage.models import Status
    from tests.seeding import make_document

    with session_factory(migrated).begin() as session:
        document_id = make_document(session, migrated, status=Status.APPROVED, image=receipt_png()).id
    written = cli(migrated, "pdf", str(document_id), "--output", str(tmp_path / "one.pdf"))
    assert (written.returncode, written.stdout.strip()) == (0, f"wrote {tmp_path / 'one.pdf'}")
    assert (tmp_path / "one.pdf").read_bytes().startswith(b"%PDF-1.4")

    exported = cli(migrated, "export", "--csv", str(tmp_path / "a.csv"), "--pdfs", str(tmp_path / "a.zip"))
    assert exported.returncode == 0
    assert exported.stdout.strip() == f"batch 1: 1 documents; wrote {tmp_path / 'a.csv'}, {tmp_path / 'a.zip'}"
    assert len(zipfile.ZipFile(tmp_path / "a.zip").namelist()) == 1

    missing = cli(migrated, "pdf", "999")
    assert (missing.returncode, missing.stderr.strip()) == (2, "error: There is no document #999.")
