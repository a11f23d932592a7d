"""The words of a language that receipts print (labels, legal suffixes, address words), read from data files, one
per locale (ocr/fields/locales/<code>.toml). Several locales merge: their lists add up."""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

LOCALES = Path(__file__).parent / "locales"
DEFAULT_LOCALES = ("en", "ms")


@dataclass(frozen=True)
class Lexicon:
    locales: tuple[str, ...]
    lists: dict[str, tuple[str, ...]]  # every list of every section, by its (unique) name
    payment: tuple[tuple[str, tuple[str, ...]], ...]  # (method, the words that name it), most specific first
    postcode: re.Pattern[str] | None

    def __getattr__(self, name: str) -> tuple[str, ...]:
        lists = self.__dict__.get("lists", {})
        if name not in lists:
            raise AttributeError(f"no word list '{name}' in the locales {self.__dict__.get('locales')}")
        return lists[name]

    def __hash__(self) -> int:  # the label caches key on it
        return hash(self.locales)


def available_locales() -> list[str]:
    return sorted(path.stem for path in LOCALES.glob("*.toml"))


@functools.cache
def load_lexicon(locales: tuple[str, ...] = DEFAULT_LOCALES) -> Lexicon:
    """The merged vocabulary of `locales` (codes of files in ocr/fields/locales)."""
    files = {code: tomllib.loads((LOCALES / f"{code}.toml").read_text(encoding="utf-8"))
             for code in available_locales()}
    unknown = [code for code in locales if code not in files]
    if unknown:
        raise ValueError(f"unknown locale '{unknown[0]}': choose from {', '.join(files)}")
    # A list no chosen locale fills is empty, so a locale set without English still reads receipts
    lists: dict[str, list[str]] = {name: [] for data in files.values() for section, entries in data.items()
                                   if section != "payment" for name in entries if name != "postcode"}
    payment: dict[str, list[str]] = {}
    postcodes: list[str] = []
    for code in locales:
        for section, entries in files[code].items():
            for name, value in entries.items():
                if section == "payment":
                    payment.setdefault(name, []).extend(value)
                elif name == "postcode":
                    postcodes.append(value)
                else:
                    lists[name].extend(word for word in value if word not in lists[name])
    return Lexicon(tuple(locales), {name: tuple(words) for name, words in lists.items()},
                   tuple((method, tuple(words)) for method, words in payment.items() if method != "not_payment"),
                   re.compile("|".join(postcodes)) if postcodes else None)
