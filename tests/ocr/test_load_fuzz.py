"""Fuzzing ocr.load: valid generated files (every accepted type), mutated with a seeded RNG (byte flips,
truncations, insertions, deletions, header-field overwrites), through inspect() and load_pages().
The only exception allowed is InputError. ~300 cases in CI; `make fuzz` runs DOCDESK_FUZZ_CASES of them."""

from __future__ import annotations

import functools
import os
import random

import numpy as np
import pytest

from errors import InputError
from ocr.config import LoadLimits
from ocr.load import inspect, load_pages
from tests import receipts
from tests.badfiles import pdf_bytes

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # PIL's notes on damaged TIFF tags
CASES = int(os.environ.get("DOCDESK_FUZZ_CASES", "300"))
SEED = int(os.environ.get("DOCDESK_FUZZ_SEED", "20261128"))
# Small limits keep a mutated header that claims a big page cheap to refuse or to decode.
LIMITS = LoadLimits(max_page_pixels=4_000_000, max_pages=5, pdf_dpi=72)


@functools.lru_cache
def seeds() -> tuple[tuple[str, bytes], ...]:
    page = receipts.render(["SHOP 1", "TOTAL 9.90"], font_size=16).image
    rgb = np.dstack([page, 255 - page, page])
    made = [(fmt, receipts.encode(page, fmt)) for fmt in ("PNG", "JPEG", "BMP", "WEBP", "TIFF")]
    made += [("PNG-RGB", receipts.encode(rgb, "PNG")), ("JPEG-RGB", receipts.encode(rgb, "JPEG", dpi=(300, 300))),
             ("PDF", pdf_bytes([page, page], resolution=72))]
    return tuple(made)


def mutate(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        kind = rng.choice(["flip", "flip", "truncate", "insert", "delete", "overwrite_head"])
        if not out:
            break
        at = rng.randrange(len(out))
        if kind == "flip":
            out[at] ^= 1 << rng.randrange(8)
        elif kind == "truncate":
            del out[rng.randrange(1, len(out) + 1):]
        elif kind == "insert":
            out[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        elif kind == "delete":
            del out[at:at + rng.randint(1, 16)]
        else:  # the first 64 bytes hold the dimensions, counts and offsets decoders trust
            head = rng.randrange(min(64, len(out)))
            out[head] = rng.choice([0x00, 0xFF, 0x7F, 0x80, rng.randrange(256)])
    return bytes(out)


def _cases() -> list[tuple[int, str]]:
    names = ["PNG", "JPEG", "BMP", "WEBP", "TIFF", "PNG-RGB", "JPEG-RGB", "PDF"]
    return [(i, names[i % len(names)]) for i in range(CASES)]


def _one(index: int, name: str) -> None:
    data = mutate(dict(seeds())[name], random.Random(SEED * 100_003 + index))
    try:
        info = inspect(data, LIMITS)
        assert 1 <= info.pages <= LIMITS.max_pages
    except InputError as error:
        assert error.code and error.message
    try:
        for page in load_pages(data, LIMITS):
            assert page.image.dtype == np.uint8 and page.image.ndim in (2, 3) and page.image.size > 0
    except InputError as error:
        assert error.code and error.message


@pytest.mark.slow
@pytest.mark.parametrize("chunk", range(10))
def test_mutated_files_raise_nothing_but_input_error(chunk):
    """Ten chunks of cases (a failure names the case index, name and seed to reproduce it)."""
    for index, name in _cases()[chunk::10]:
        try:
            _one(index, name)
        except Exception as error:  # noqa: BLE001 - report which case, then fail
            raise AssertionError(f"case {index} ({name}, seed {SEED}): {type(error).__name__}: {error}") from error
