"""What kind of file some bytes are, from their first bytes, never the name: the kinds ocr.load reads, and the
common kinds it does not, with what the uploader should do instead."""

from __future__ import annotations

# Kinds of file that are not receipts we read, by their first bytes, with what to do instead. An archive can hold
# a PDF's header in its first kilobyte (a ZIP that stores a PDF uncompressed): it is still an archive.
_OTHER_KINDS = {
    b"PK\x03\x04": "a ZIP archive (or an Office document): take the receipts out of it and upload them one by one.",
    b"PK\x05\x06": "an empty ZIP archive: upload the receipts themselves.",
    b"Rar!": "a RAR archive: take the receipts out of it and upload them one by one.",
    b"7z\xbc\xaf\x27\x1c": "a 7-Zip archive: take the receipts out of it and upload them one by one.",
    b"\x1f\x8b": "a gzip archive: take the receipts out of it and upload them one by one.",
    b"\xd0\xcf\x11\xe0": "an Office document: save it as PDF and upload that.",
}
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx")
_HEIF_ADVICE = ("a HEIC photo (the iPhone's default): export it as JPEG (Photos: Share > Save as JPEG, or on the "
                "iPhone Settings > Camera > Formats > Most Compatible for the next photos) and upload that.")
_AVIF_BRANDS = (b"avif", b"avis")


def _iso_brands(data: bytes) -> bytes:
    """An ISO media file's major and compatible brands (HEIC, AVIF), or b'' for any other file."""
    if data[4:8] != b"ftyp" or len(data) < 16:
        return b""
    size = int.from_bytes(data[:4], "big")
    return data[8:12] + data[16:min(max(size, 16), 64)]


def sniff(data: bytes) -> str | None:
    """Media type from the first bytes, or None when it is none of the accepted kinds."""
    head = data[:16]
    if any(head.startswith(magic) for magic in _OTHER_KINDS):
        return None
    brands = _iso_brands(data)
    if any(brands[i:i + 4] in _AVIF_BRANDS for i in range(0, len(brands), 4)):
        return "image/avif"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    if head.startswith(b"BM"):
        return "image/bmp"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if b"%PDF-" in data[:1024]:  # the PDF spec allows junk before the header
        return "application/pdf"
    return None


def known_other_kind(data: bytes) -> str | None:
    """'a ZIP archive: ...' (what it is and what to do) for a kind of file we know but do not read, else None."""
    brands = _iso_brands(data)
    if any(brands[i:i + 4] in _HEIF_BRANDS for i in range(0, len(brands), 4)):
        return _HEIF_ADVICE
    return next((advice for magic, advice in _OTHER_KINDS.items() if data.startswith(magic)), None)
