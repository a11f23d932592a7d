"""What a user name looks like: two names that read alike on screen (`admin`, `Admin`, Cyrillic `аdmin`, full-width
`ａdmin`) have the same key, so a second one can be refused.

The key is Unicode's idea of a skeleton (UTS #39), simplified: NFKC, case folded, accents dropped, then every
character that has a look-alike in ASCII (Unicode's confusables list, shipped by the confusable-homoglyphs package)
replaced by one chosen ASCII character of its group.
"""

from __future__ import annotations

import functools
import json
import unicodedata
from importlib import resources


@functools.lru_cache(maxsize=1)
def _to_ascii() -> dict[str, str]:
    groups = json.loads(resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8"))
    table: dict[str, str] = {}
    for char, lookalikes in groups.items():
        ascii_forms = {form.casefold() for form in (char, *(entry["c"] for entry in lookalikes))
                       if len(form) == 1 and form.isascii()}
        if ascii_forms:
            table[char.casefold()] = min(ascii_forms)
    return table


def name_key(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).casefold()
    text = "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))
    table = _to_ascii()
    return "".join(table.get(ch, ch) for ch in text)
