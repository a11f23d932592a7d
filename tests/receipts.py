"""Generated receipts with known truth, and the ways real scans go wrong. Tests never need ../shared."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_PATH = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"


@dataclass
class Receipt:
    """A rendered receipt: the grayscale image (uint8, white paper) and the text and fields printed on it."""

    image: np.ndarray
    lines: list[str]
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


SAMPLE_FIELDS = {
    "vendor": "GREENLEAF HARDWARE SDN BHD",
    "vendor_address": "12 JALAN CEMPAKA, 47100 PUCHONG, SELANGOR",
    "vendor_phone": "03-8061 2345",
    "date": "2024-03-14",
    "time": "14:32",
    "receipt_number": "INV-000482",
    "subtotal": "40.50",
    "tax": "2.43",
    "total": "42.95",
    "rounding": "0.02",
    "currency": "MYR",
    "payment_method": "CASH",
}


def sample_lines(fields: dict[str, str] = SAMPLE_FIELDS) -> list[str]:
    """A plausible receipt layout around the given field values (ISO date printed day-first)."""
    year, month, day = fields["date"].split("-")
    return [
        fields["vendor"],
        fields["vendor_address"],
        f"TEL: {fields['vendor_phone']}",
        "",
        "TAX INVOICE",
        f"INVOICE NO: {fields['receipt_number']}",
        f"DATE: {day}/{month}/{year}   TIME: {fields['time']}",
        "",
        "QTY DESCRIPTION            AMOUNT",
        "2   CABLE TIE 100PCS        12.00",
        "1   SCREWDRIVER SET         18.50",
        "4   WALL PLUG 6MM           10.00",
        "",
        f"SUBTOTAL                   {fields['subtotal']}",
        f"SST 6%                      {fields['tax']}",
        f"ROUNDING                    {fields['rounding']}",
        f"TOTAL                      {fields['total']}",
        f"{fields['payment_method']}                       50.00",
        "CHANGE                      7.05",
        "",
        "THANK YOU, PLEASE COME AGAIN",
    ]


def render(lines: list[str], *, font_size: int = 28, margin: int = 60, line_gap: int = 14,
           fields: dict[str, str] | None = None) -> Receipt:
    """Render text lines in black on white at roughly a 300-dpi receipt's scale."""
    font = ImageFont.truetype(FONT_PATH, font_size)
    width = max(int(font.getlength(line)) for line in lines if line) + 2 * margin
    height = len(lines) * (font_size + line_gap) + 2 * margin
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    for i, line in enumerate(lines):
        draw.text((margin, margin + i * (font_size + line_gap)), line, font=font, fill=0)
    return Receipt(np.array(page), list(lines), dict(fields or {}))


def sample_receipt(**kwargs) -> Receipt:
    return render(sample_lines(), fields=SAMPLE_FIELDS, **kwargs)


# --- degradations: each takes and returns a uint8 grayscale image -------------------------------

def rotate(image: np.ndarray, degrees: float) -> np.ndarray:
    """Skew by a small angle (counter-clockwise positive), growing the canvas and filling with paper white."""
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w, new_h = int(h * sin + w * cos), int(h * cos + w * sin)
    matrix[0, 2] += new_w / 2 - w / 2
    matrix[1, 2] += new_h / 2 - h / 2
    return cv2.warpAffine(image, matrix, (new_w, new_h), flags=cv2.INTER_CUBIC, borderValue=255)


def turn(image: np.ndarray, degrees: int) -> np.ndarray:
    """Turn by a multiple of 90 degrees clockwise, as a sideways or upside-down scan."""
    return np.ascontiguousarray(np.rot90(image, k=-(degrees // 90) % 4))


def add_noise(image: np.ndarray, sigma: float = 25.0, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noisy = image.astype(np.float32) + rng.normal(0, sigma, image.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def blur(image: np.ndarray, kernel: int = 3) -> np.ndarray:
    return cv2.GaussianBlur(image, (kernel, kernel), 0)


def uneven_light(image: np.ndarray, strength: float = 0.55) -> np.ndarray:
    """Darken one side of the page, as a phone photo lit from the other side."""
    h, w = image.shape[:2]
    gradient = np.linspace(1.0 - strength, 1.0, w, dtype=np.float32)[None, :]
    return np.clip(image.astype(np.float32) * gradient, 0, 255).astype(np.uint8)


def shrink(image: np.ndarray, factor: float = 0.5) -> np.ndarray:
    h, w = image.shape[:2]
    return cv2.resize(image, (int(w * factor), int(h * factor)), interpolation=cv2.INTER_AREA)


def faint(image: np.ndarray, ink: int = 170) -> np.ndarray:
    """Grey print: black becomes `ink`, as worn thermal paper."""
    return (255 - (255 - image.astype(np.float32)) * (255 - ink) / 255).astype(np.uint8)


def dark_strip(image: np.ndarray, share: float = 0.05) -> np.ndarray:
    """A near-black band across the top `share` of the page, as a scanner lid left open."""
    out = image.copy()
    out[: int(out.shape[0] * share)] = 15
    return out


def encode(image: np.ndarray, fmt: str = "PNG", **save_kwargs) -> bytes:
    """Encode to file bytes (PNG, JPEG, TIFF, BMP, WEBP, PDF) with Pillow."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format=fmt, **save_kwargs)
    return buffer.getvalue()


def character_error_rate(expected: str, got: str) -> float:
    """Levenshtein distance over the expected length, ignoring whitespace differences."""
    from rapidfuzz.distance import Levenshtein

    a, b = " ".join(expected.split()), " ".join(got.split())
    return Levenshtein.distance(a, b) / max(1, len(a))
