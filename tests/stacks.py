"""Generated stacks: receipts of different shops with their own totals, long receipts printed over several pages, and
the PDF a sheet-feed scanner writes of them. Built on tests/receipts.py; tests never need ../shared."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from tests import receipts

# Invented shops (none from a dataset): name, address, phone.
SHOPS = (
    ("GREENLEAF HARDWARE SDN BHD", "12 JALAN CEMPAKA, 47100 PUCHONG", "03-8061 2345"),
    ("SUNRISE BAKERY SDN BHD", "8 JALAN MAWAR, 50450 KUALA LUMPUR", "03-2142 7788"),
    ("HARBOUR VIEW CAFE", "3 LEBUH PANTAI, 10300 GEORGE TOWN", "04-263 1122"),
    ("BINTANG STATIONERY TRADING", "21 JALAN SULTAN, 80000 JOHOR BAHRU", "07-224 9090"),
    ("PERMATA FRESH MART", "5 JALAN BUNGA RAYA, 75100 MELAKA", "06-282 3456"),
)
GOODS = ("CABLE TIE 100PCS", "SCREWDRIVER SET", "WALL PLUG 6MM", "WHITE BREAD LOAF", "BUTTER CROISSANT", "ICED COFFEE",
         "A4 PAPER 500S", "BLUE PEN BOX", "MASKING TAPE", "FRESH MILK 1L", "EGGS 10PCS", "JASMINE RICE 5KG",
         "PAINT BRUSH 2IN", "SANDPAPER 120", "CHICKEN RICE", "TEH TARIK", "STAPLER NO.10", "GLUE STICK")


@dataclass
class Printed:
    """A receipt as printed: its lines, which of them are centred (the header), and what it adds up to."""

    lines: list[str]
    centred: int  # the first `centred` lines are centred
    total: str
    date: str  # ISO


def shop_receipt(number: int, *, items: int = 3, centred: bool = True, seed: int = 0) -> Printed:
    """Receipt `number` of the stack: shop SHOPS[number % 5], `items` priced lines, subtotal + 6 % SST = total."""
    rng = random.Random(f"{seed}:{number}")
    name, address, phone = SHOPS[number % len(SHOPS)]
    bought = [(rng.randint(1, 4), rng.choice(GOODS), Decimal(rng.randint(150, 4000)) / 100) for _ in range(items)]
    subtotal = sum((qty * price for qty, _, price in bought), Decimal("0"))
    tax = (subtotal * Decimal("0.06")).quantize(Decimal("0.01"), ROUND_HALF_UP)
    total = subtotal + tax
    day = 1 + (number * 7 + seed) % 27
    header = [name, address, f"TEL: {phone}", "TAX INVOICE"]
    lines = [*header, f"INVOICE NO: INV-{40000 + 97 * number + seed}",
             f"DATE: {day:02d}/03/2024  TIME: 1{number % 10}:2{number % 6}", "", "QTY DESCRIPTION               AMOUNT"]
    lines += [f"{qty}   {item:<24}{qty * price:>9.2f}" for qty, item, price in bought]
    lines += ["", f"SUBTOTAL                    {subtotal:>9.2f}", f"SST 6%                      {tax:>9.2f}",
              f"TOTAL                       {total:>9.2f}", "", "THANK YOU, PLEASE COME AGAIN"]
    return Printed(lines, len(header) if centred else 0, f"{total:.2f}", f"2024-03-{day:02d}")


def render(printed: Printed, *, font_size: int = 28, margin: int = 60, line_gap: int = 14) -> np.ndarray:
    """Like receipts.render, with the header centred over the text column."""
    font = ImageFont.truetype(receipts.FONT_PATH, font_size)
    column = max(int(font.getlength(line)) for line in printed.lines if line)
    page = Image.new("L", (column + 2 * margin, len(printed.lines) * (font_size + line_gap) + 2 * margin), 255)
    draw = ImageDraw.Draw(page)
    for i, line in enumerate(printed.lines):
        left = margin + (column - int(font.getlength(line))) // 2 if i < printed.centred else margin
        draw.text((left, margin + i * (font_size + line_gap)), line, font=font, fill=0)
    return np.array(page)


def pages_of(printed: Printed, lines_per_page: int, **render_kwargs) -> list[np.ndarray]:
    """A long receipt printed over pages of `lines_per_page` lines (the header only on the first)."""
    chunks = [printed.lines[i:i + lines_per_page] for i in range(0, len(printed.lines), lines_per_page)]
    return [render(Printed(chunk, printed.centred if i == 0 else 0, printed.total, printed.date), **render_kwargs)
            for i, chunk in enumerate(chunks)]


def blank_page(like: np.ndarray) -> np.ndarray:
    return np.full_like(like, 255)


def pdf(pages: list[np.ndarray], dpi: int = 300) -> bytes:
    """One PDF page per image, as a sheet-feed scanner writes a stack."""
    images = [Image.fromarray(page) for page in pages]
    buffer = io.BytesIO()
    images[0].save(buffer, format="PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return buffer.getvalue()
