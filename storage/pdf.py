"""Searchable PDFs: each page's image with the words read from it laid over as invisible text.

The text sits where the words are on the image, so a PDF viewer finds and selects them and `pdftotext` reads
them back, outside DocDesk. The words are written row by row (ocr.layout's rows: one baseline and one size per
row, left to right), which is what keeps a receipt's lines in reading order for text extraction.

The invisible text uses Courier, one of the fonts every PDF reader has, so nothing is embedded: its glyphs are
all 600/1000 of the size wide, and each word is stretched (Tz) to its box. Characters outside Windows-1252
become '?'. The page image is a JPEG (DCTDecode): PDF readers decode it as is.
"""

from __future__ import annotations

import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

from ocr.layout import Row, group_rows
from ocr.types import Word

POINTS_PER_INCH = 72.0
COURIER_ADVANCE = 0.6  # every Courier glyph is 600/1000 of the font size wide
# A word's box spans about 0.7 of the font size (capitals, or x-height and descenders), and most boxes end on the
# baseline: the font size is the row's box height / 0.7, which keeps word gaps the size text extraction expects.
BOX_TO_FONT_SIZE = 1 / 0.7
WORD_HEIGHT_IN = 0.12  # a receipt's printed word, capitals to descenders, is about 3 mm high
LEAST_BELIEVABLE_DPI = 100  # phone photos say 72 dpi whatever they show


@dataclass(frozen=True)
class PdfPage:
    jpeg: bytes  # the page image
    width: int  # its pixels; the words' boxes are in these pixels
    height: int
    dpi: float  # how many of those pixels make an inch on paper
    gray: bool
    words: Sequence[Word] = ()


def paper_dpi(loaded_dpi: int | None, rescale_factor: float, words: Sequence[Word]) -> float:
    """How many pixels of the cleaned page make an inch on paper: the file's resolution times the cleaning's
    rescale factor; without a believable resolution, the one that makes the words about 3 mm high."""
    if loaded_dpi and loaded_dpi >= LEAST_BELIEVABLE_DPI:
        return loaded_dpi * rescale_factor
    heights = [word.box.height for word in words if word.box.height > 0]
    return median(heights) / WORD_HEIGHT_IN if heights else 200.0


def searchable_pdf(pages: Sequence[PdfPage]) -> bytes:
    """One PDF: each page its image, full page, with its words as invisible text at their places."""
    writer = _Writer()
    catalog, tree = writer.reserve(), writer.reserve()
    font = writer.add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>")
    kids = [_add_page(writer, page, tree, font) for page in pages]
    writer.put(tree, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids)))
    writer.put(catalog, b"<< /Type /Catalog /Pages %d 0 R >>" % tree)
    return writer.finish(catalog)


def _add_page(writer: _Writer, page: PdfPage, tree: int, font: int) -> int:
    scale = POINTS_PER_INCH / page.dpi
    width, height = page.width * scale, page.height * scale
    image = writer.add_stream(page.jpeg, b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s "
                              b"/BitsPerComponent 8 /Filter /DCTDecode"
                              % (page.width, page.height, b"/DeviceGray" if page.gray else b"/DeviceRGB"))
    drawing = b"q %s 0 0 %s 0 0 cm /Page Do Q\n" % (_num(width), _num(height))
    content = writer.add_stream(zlib.compress(drawing + text_layer(page.words, height, scale)), b"/Filter /FlateDecode")
    return writer.add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %s %s] /Contents %d 0 R "
                      b"/Resources << /XObject << /Page %d 0 R >> /Font << /F1 %d 0 R >> >> >>"
                      % (tree, _num(width), _num(height), content, image, font))


def text_layer(words: Sequence[Word], page_height: float, scale: float) -> bytes:
    """The content-stream operators that write `words` invisibly (render mode 3), row by row; `scale` turns
    pixels into points, `page_height` is in points (PDF's y axis points up)."""
    rows = [row for row in group_rows(words) if _encode(row.text).strip()]
    if not rows:
        return b""
    parts = [b"BT 3 Tr"]
    for row in rows:
        parts.extend(_row_operators(row, page_height, scale))
    parts.append(b"ET\n")
    return b"\n".join(parts)


def _row_operators(row: Row, page_height: float, scale: float) -> list[bytes]:
    """One row: each word stretched (Tz) over its box, then a space stretched over the gap to the next word, so
    that text extraction sees one line of words, not columns (a label far from its amount stays on its line)."""
    size = max(1.0, median(word.box.height for word in row.words) * scale * BOX_TO_FONT_SIZE)
    baseline = page_height - median(word.box.bottom for word in row.words) * scale
    words = [(word, _encode(word.text)) for word in row.words if _encode(word.text).strip()]
    operators = [b"/F1 %s Tf" % _num(size)]
    for position, (word, text) in enumerate(words):
        operators.append(b"%s Tz 1 0 0 1 %s %s Tm (%s) Tj" % (_stretch(word.box.width * scale, len(text), size),
                                                              _num(word.box.left * scale), _num(baseline),
                                                              _escape(text)))
        if position + 1 < len(words):
            gap = max(words[position + 1][0].box.left - word.box.right, 1) * scale
            operators.append(b"%s Tz ( ) Tj" % _stretch(gap, 1, size))
    return operators


def _stretch(width: float, characters: int, size: float) -> bytes:
    """The horizontal scaling (percent) that makes `characters` Courier glyphs `width` points wide."""
    return _num(100.0 * width / (characters * COURIER_ADVANCE * size))


def _encode(text: str) -> bytes:
    """The word as Windows-1252 bytes (the font's encoding): compatibility forms first (ligatures, full-width
    digits), anything else unknown as '?', control characters dropped."""
    text = "".join(ch for ch in unicodedata.normalize("NFKC", text) if unicodedata.category(ch)[0] != "C")
    return text.encode("cp1252", errors="replace")


def _escape(text: bytes) -> bytes:
    """A PDF literal string's body: backslash, parentheses escaped; bytes outside printable ASCII as octal."""
    out = bytearray()
    for byte in text:
        if byte in b"\\()":
            out += b"\\" + bytes([byte])
        elif 32 <= byte < 127:
            out.append(byte)
        else:
            out += b"\\%03o" % byte
    return bytes(out)


def _num(value: float) -> bytes:
    return (b"%.2f" % value).rstrip(b"0").rstrip(b".") or b"0"


class _Writer:
    """Numbered objects, then the cross-reference table and the trailer (PDF 1.4, no object streams)."""

    def __init__(self) -> None:
        self._objects: list[bytes | None] = []

    def reserve(self) -> int:
        self._objects.append(None)
        return len(self._objects)

    def put(self, number: int, body: bytes) -> None:
        self._objects[number - 1] = body

    def add(self, body: bytes) -> int:
        number = self.reserve()
        self.put(number, body)
        return number

    def add_stream(self, data: bytes, dictionary: bytes) -> int:
        return self.add(b"<< %s /Length %d >>\nstream\n%s\nendstream" % (dictionary, len(data), data))

    def finish(self, root: int) -> bytes:
        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")  # the binary comment tells tools the file is binary
        offsets = []
        for number, body in enumerate(self._objects, start=1):
            if body is None:
                raise ValueError(f"PDF object {number} was reserved but never written")
            offsets.append(len(out))
            out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1)
        out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
        out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(offsets) + 1, root, xref)
        return bytes(out)
