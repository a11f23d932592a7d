"""A corpus of hostile and broken inputs, generated (never committed): one small function per case.

Each `Case` says what the upload path answers (`ingest`: the refusal code, or None when the file is taken) and how
processing ends (`process`: an error code, or "needs_review"). `write_corpus(folder)` writes every case to disk
for `cli.py extract` / `cli.py ingest` and for bench/bad_input_memory.py; the corpus expects
`DOCDESK_MAX_UPLOAD_BYTES=SIZE_LIMIT` (see `ENV`).
"""

from __future__ import annotations

import functools
import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from tests import receipts

SIZE_LIMIT = 300_000  # DOCDESK_MAX_UPLOAD_BYTES while the corpus is used: 'one byte over' is small and fast
ENV = {"DOCDESK_MAX_UPLOAD_BYTES": str(SIZE_LIMIT)}
MANY_PAGES = 300


# --- building blocks (also used by tests/ocr) -------------------------------------------------------

@functools.lru_cache
def small_receipt() -> np.ndarray:
    """A few printed lines: enough for Tesseract, small enough to read in a fraction of a second."""
    return receipts.render(["CORNER SHOP", "TOTAL 12.50", "THANK YOU"], font_size=24).image


def variant(image: np.ndarray, n: int) -> np.ndarray:
    """The same page with one corner pixel changed, so each variant's SHA-256 differs."""
    copy = image.copy()
    copy[0, 0] = 255 - (n % 200)
    return copy


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_with_huge_header(width: int, height: int) -> bytes:
    """A valid-looking PNG whose IHDR claims width x height but carries almost no data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(b"\x00"))
            + png_chunk(b"IEND", b""))


def pdf_bytes(images: list[np.ndarray], resolution: int = 150) -> bytes:
    pil = [Image.fromarray(image) for image in images]
    buffer = io.BytesIO()
    pil[0].save(buffer, format="PDF", save_all=True, append_images=pil[1:], resolution=resolution)
    return buffer.getvalue()


def _pdf(objects: list[bytes], trailer_extra: bytes = b"") -> bytes:
    """A minimal PDF from numbered object bodies (1 = catalog) with a correct xref table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R" % (len(objects) + 1) + trailer_extra
              + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def encrypted_pdf() -> bytes:
    """A one-page PDF whose trailer points at a Standard-security /Encrypt dictionary with a user password
    (random /O and /U, so the empty password does not open it): poppler refuses it as encrypted."""
    return _pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        b"<< /Filter /Standard /V 1 /R 2 /O <" + b"ab" * 32 + b"> /U <" + b"cd" * 32 + b"> /P -4 >>",
    ], b" /Encrypt 4 0 R /ID [<" + b"01" * 16 + b"> <" + b"01" * 16 + b">]")


def pdf_with_empty_pages(pages: int) -> bytes:
    """Hand-written PDF text with `pages` empty Letter pages: fast for any count."""
    first = 3
    kids = b" ".join(b"%d 0 R" % (first + i) for i in range(pages))
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R >>",
                 b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
                 *[b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"] * pages])


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small real JPEG whose SOF header is patched to claim width x height."""
    data = bytearray(receipts.encode(small_receipt(), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def bilevel_png_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A 1-bit PNG of width x height (400 MP by default) whose rows are all zeros: ~50 KB on disk, written chunk
    by chunk with a streaming compressor, so building it never holds the pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte 0, then packed bits
    compressor = zlib.compressobj(9)
    parts = [b"\x89PNG\r\n\x1a\n", png_chunk(b"IHDR", ihdr)]
    block = row * 256
    for _ in range(height // 256):
        parts.append(compressor.compress(block))
    parts.append(compressor.compress(row * (height % 256)) + compressor.flush())
    parts = parts[:2] + [png_chunk(b"IDAT", b"".join(parts[2:]))] + [png_chunk(b"IEND", b"")]
    return b"".join(parts)


def many_page_tiff(pages: int = MANY_PAGES) -> bytes:
    frames = [Image.new("L", (8, 8), 255) for _ in range(pages)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


def tiff_of_tiny_pages(pages: int, *, broken_after: int | None = None) -> bytes:
    """A TIFF of `pages` white 16 x 16 pages written by hand (Pillow takes minutes for tens of thousands), every
    page sharing one strip of pixels: ~110 bytes a page. `broken_after`: that page's next-page link points outside
    the file."""
    entries = [(256, 3, 16), (257, 3, 16), (258, 3, 8), (259, 3, 1), (262, 3, 1), (273, 4, 8), (278, 3, 16),
               (279, 4, 256)]  # width, height, 8 bits, uncompressed, black is zero, strip at 8, 16 rows, 256 bytes
    size = 2 + 12 * len(entries) + 4
    first = 8 + 256
    out = [b"II*\x00", struct.pack("<I", first), b"\xff" * 256]
    for page in range(pages):
        link = first + size * (page + 1) if page + 1 < pages else 0
        if broken_after is not None and page + 1 == broken_after:
            link = 0x7FFFFFF0
        out.append(struct.pack("<H", len(entries)))
        out += [struct.pack("<HHI", tag, kind, 1) + struct.pack("<HH" if kind == 3 else "<I", *(
            (value, 0) if kind == 3 else (value,))) for tag, kind, value in entries]
        out.append(struct.pack("<I", link))
    return b"".join(out)


def tiff_of_tiny_pages_to_the_limit() -> bytes:
    """As many 16 x 16 pages as fit under SIZE_LIMIT (~2,700): counting them all once took quadratic time."""
    return tiff_of_tiny_pages(SIZE_LIMIT // 110)


def zip_holding_a_pdf() -> bytes:
    """A ZIP that stores a PDF uncompressed: the PDF's header sits in its first kilobyte."""
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("receipt.pdf", pdf_with_empty_pages(1))
    return buffer.getvalue()


def animated_png() -> bytes:
    frames = [Image.fromarray(variant(small_receipt(), n)) for n in (3, 4)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="PNG", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


def heic_photo() -> bytes:
    """The start of an iPhone photo: an ISO media 'ftyp' box with the HEIC brand (the rest does not matter here)."""
    return struct.pack(">I", 24) + b"ftypheic" + b"\x00\x00\x00\x00" + b"mif1heic" + b"\x00" * 200


def avif_receipt() -> bytes:
    return receipts.encode(variant(small_receipt(), 5), "AVIF")


# --- the cases ----------------------------------------------------------------------------------------

def zero_bytes() -> bytes:
    return b""


def text_named_jpg() -> bytes:
    return b"Dear accounts,\nplease find the receipt attached.\n"


def truncated_jpeg() -> bytes:
    data = receipts.encode(small_receipt(), "JPEG")
    return data[: len(data) // 2]


def png_broken_crc() -> bytes:
    data = bytearray(receipts.encode(variant(small_receipt(), 1), "PNG"))
    data[data.index(b"IDAT") + 10] ^= 0xFF  # a byte inside the first IDAT chunk: its CRC no longer matches
    return bytes(data)


def huge_jpeg_header() -> bytes:
    return jpeg_claiming(60_000, 60_000)


def many_page_pdf() -> bytes:
    return pdf_with_empty_pages(MANY_PAGES)


def pdf_header_then_garbage() -> bytes:
    rng = np.random.default_rng(7)
    return b"%PDF-1.7\n" + rng.integers(0, 256, 4000, dtype=np.uint8).tobytes()


def png_signature_then_html() -> bytes:
    return b"\x89PNG\r\n\x1a\n<!DOCTYPE html><html><body><h1>Receipt</h1></body></html>\n"


def one_pixel() -> bytes:
    return receipts.encode(np.full((1, 1), 255, np.uint8), "PNG")


def blank_page() -> bytes:
    return receipts.encode(np.full((1100, 850), 255, np.uint8), "PNG", dpi=(100, 100))


def one_byte_over_the_limit() -> bytes:
    """A valid PNG padded after IEND (decoders ignore trailing bytes) to SIZE_LIMIT + 1 bytes."""
    data = receipts.encode(variant(small_receipt(), 2), "PNG")
    return data + b"\x00" * (SIZE_LIMIT + 1 - len(data))


def good_receipt(n: int = 0) -> Callable[[], bytes]:
    def make() -> bytes:
        return receipts.encode(variant(small_receipt(), 10 + n), "PNG")
    make.__name__ = f"good_receipt_{n}"
    return make


@dataclass(frozen=True)
class Case:
    key: str  # also the file name on disk (with the extension)
    make: Callable[[], bytes]
    ingest: str | None  # refusal code at upload, or None when the file is taken
    process: str  # "needs_review", or the error code the document fails with
    upload_name: str | None = None  # the name the uploader's browser sends, when it differs from `key`

    @property
    def name(self) -> str:
        return self.upload_name or self.key

    @property
    def code(self) -> str | None:
        """The error `cli.py extract` reports for this file (None: it is read)."""
        return self.ingest or (None if self.process == "needs_review" else self.process)


CASES: tuple[Case, ...] = (
    Case("zero-bytes.jpg", zero_bytes, "empty_file", "empty_file"),
    Case("text-named.jpg", text_named_jpg, "unsupported_type", "unsupported_type"),
    Case("truncated.jpg", truncated_jpeg, None, "damaged_file"),
    Case("broken-crc.png", png_broken_crc, None, "damaged_file"),
    Case("claims-60000x60000.jpg", huge_jpeg_header, "page_too_large", "page_too_large"),
    Case("bilevel-400-megapixels.png", bilevel_png_bomb, "page_too_large", "page_too_large"),
    Case("300-pages.tif", many_page_tiff, "too_many_pages", "too_many_pages"),
    Case("tiny-pages.tif", tiff_of_tiny_pages_to_the_limit, "too_many_pages", "too_many_pages"),
    Case("300-pages.pdf", many_page_pdf, "too_many_pages", "too_many_pages"),
    Case("encrypted.pdf", encrypted_pdf, "encrypted_pdf", "encrypted_pdf"),
    Case("pdf-header-garbage.pdf", pdf_header_then_garbage, "damaged_file", "damaged_file"),
    Case("png-signature-html.png", png_signature_then_html, "damaged_file", "damaged_file"),
    Case("one-pixel.png", one_pixel, "page_too_small", "page_too_small"),
    Case("blank-page.png", blank_page, None, "needs_review"),
    Case("one-byte-over.png", one_byte_over_the_limit, "too_large", "too_large"),
    Case("dot-dot-name.png", good_receipt(1), None, "needs_review", upload_name="../../etc/passwd.png"),
    Case("control-chars.png", good_receipt(2), None, "needs_review",
         upload_name="rec\x00eipt\x1b[31m\r\n\u202egnp.exe.png"),
    Case("long-name.png", good_receipt(3), None, "needs_review", upload_name="r" * 600 + ".png"),
    Case("markdown-name.png", good_receipt(4), None, "needs_review", upload_name="![b](https:127.0.0.1:9).png"),
    Case("zip-holding-a-pdf.pdf", zip_holding_a_pdf, "unsupported_type", "unsupported_type"),
    Case("animated.png", animated_png, "animated_image", "animated_image"),
    Case("iphone.heic", heic_photo, "unsupported_type", "unsupported_type"),
    Case("phone.avif", avif_receipt, None, "needs_review"),
    Case("good.png", good_receipt(0), None, "needs_review"),
)


def case(key: str) -> Case:
    return next(c for c in CASES if c.key == key)


def write_corpus(folder: Path) -> dict[str, Case]:
    """Every case as a file in `folder`; returns path -> case."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for item in CASES:
        path = folder / item.key
        path.write_bytes(item.make())
        written[str(path)] = item
    return written
