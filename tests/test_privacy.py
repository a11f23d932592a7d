"""Privacy: no metadata in derived images, owner-only folders for receipts, no names in logs."""

import io
import logging
import os
import re
import stat
from pathlib import Path

import pytest
from PIL import Image

from services import review
from storage.blobs import BlobStore
from storage.db import session_factory
from tests.seeding import make_document
from tests.signin import add

ROOT = Path(__file__).resolve().parents[1]


def jpeg_with_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    exif[0x0131] = "SecretSoftware"
    buffer = io.BytesIO()
    Image.new("RGB", (800, 1200), "white").save(buffer, format="JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def test_the_page_image_shown_to_reviewers_carries_no_exif(migrated):
    upload = jpeg_with_exif()
    assert Image.open(io.BytesIO(upload)).getexif()  # the upload had EXIF
    with session_factory(migrated).begin() as session:
        document_id = make_document(session, migrated, image=upload).id
    shown = review.page_screen(document_id, cleaned=False, user=add(migrated, "rita"), settings=migrated).jpeg
    image = Image.open(io.BytesIO(shown))
    assert not image.getexif() and "exif" not in image.info
    assert b"PhoneMaker" not in shown and b"SecretSoftware" not in shown


def test_blob_folders_are_created_owner_only(tmp_path):
    store = BlobStore(tmp_path / "fresh" / "data" / "blobs")
    key = store.put(b"receipt bytes")
    folder = store.path(key).parent
    while folder != tmp_path:
        assert stat.S_IMODE(os.stat(folder).st_mode) & 0o077 == 0, folder
        folder = folder.parent


@pytest.mark.backends("sqlite")  # the single-machine default
def test_blobs_and_the_queue_live_in_the_data_folder(settings):
    from services import queue

    assert settings.blob_dir.parent == settings.data_dir
    assert Path(queue.queue_key(settings)).parent == settings.data_dir.resolve()


def test_logging_calls_carry_ids_not_names():
    """No logging call passes a user or file name (they are personal data): document ids only."""
    offenders = []
    for path in [*ROOT.glob("*.py"), *ROOT.glob("services/*.py"), *ROOT.glob("storage/*.py"), *ROOT.glob("ocr/*.py"),
                 *ROOT.glob("pages/*.py")]:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            line = line.split("  #")[0]
            if re.search(r"\blog(ger)?\.(debug|info|warning|error|exception|critical)\(", line) and re.search(
                    r"file_name|original_name|\bname\b|\buser\b|uploaded_by|display_name", line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, offenders


def test_sign_in_logs_nothing_about_the_user(migrated, caplog):
    from services import users

    add(migrated, "alice.private", "reviewer")
    with caplog.at_level(logging.DEBUG):
        users.sign_in("alice.private", "a-long-test-password", settings=migrated)
    assert "alice.private" not in caplog.text
