"""commands/export.py: export writes a batch and writes it again; pdf writes a read document; export zips them."""

from __future__ import annotations

from tests.commands.run import cli
from tests.exported import csv_rows
from tests.seeding import seed_export_mix
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


def test_export_writes_a_batch_and_writes_it_again_byte_for_byte(migrated, tmp_path):
    seed_export_mix(migrated)
    out, items, xlsx = tmp_path / "docs.csv", tmp_path / "items.csv", tmp_path / "docs.xlsx"
    march = ("--since", "2024-03-01", "--until", "2024-03-31")
    written = cli(migrated, "export", "--csv", str(out), "--status", "approved", *march, "--items", str(items),
                  "--xlsx", str(xlsx))
    assert written.returncode == 0, written.stderr
    assert "batch 1: 2 documents" in written.stdout
    assert len(csv_rows(out.read_bytes())) == 2 and len(csv_rows(items.read_bytes())) == 6
    assert xlsx.read_bytes().startswith(b"PK")
    nothing = cli(migrated, "export", "--csv", str(out), *march)
    assert nothing.returncode == 1 and "Nothing to export" in nothing.stdout + nothing.stderr
    again = tmp_path / "again.xlsx"
    assert cli(migrated, "export", "--batch", "1", "--xlsx", str(again)).returncode == 0
    assert again.read_bytes() == xlsx.read_bytes()
    listed = cli(migrated, "batches")
    assert listed.returncode == 0 and "2 documents" in listed.stdout
    assert cli(migrated, "export", "--csv", str(out), "--since", "14/03/2024").returncode == 2
    assert cli(migrated, "export", "--since", "2024-03-01").returncode == 2  # nowhere to write
