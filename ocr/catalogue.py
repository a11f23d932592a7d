"""The field catalogue: every field a receipt yields, described once.

The review form (its labels and widgets), the CSV export's columns and numeric columns, the required-field checks
and the evaluation's scored (and learned) fields are all derived from `FIELDS`, so adding a field is one entry here
plus its extraction in ocr/fields/ (docs/architecture.md, "Adding a field"). Consumers read it as
`catalogue.FIELDS` when they run, never copy it at import: one entry reaches all of them, and a test can add one.

Also here: the currencies DocDesk knows, the one list the parsers, the extractor and the review form share.

Pure data: this module imports nothing from the project, so every layer may import it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field


class Kind(enum.StrEnum):
    """What a value is: how it is stored, validated, edited, exported and scored."""

    TEXT = "text"
    AMOUNT = "amount"  # '12.50': a '.' decimal, a number column in the CSV
    DATE = "date"  # ISO '2024-03-14'
    TIME = "time"  # '14:32', 24-hour
    CURRENCY = "currency"  # ISO 4217 'MYR'


@dataclass(frozen=True)
class FieldSpec:
    """One field: its name (in Extraction.fields, the database and the flags), the form's label, its kind, whether
    a receipt without it is flagged, its CSV column (default: the name) and the key a labelled folder (sroie-dev's
    key/*.json) gives it under, if the evaluation scores it (and the extractor learns it)."""

    name: str
    label: str
    kind: Kind = Kind.TEXT
    required: bool = False
    column: str = ""
    scored_as: str | None = None
    wide: bool = False  # takes a whole row of the review form (long text), instead of a cell of its grid

    def __post_init__(self) -> None:
        if not self.column:
            object.__setattr__(self, "column", self.name)


@dataclass(frozen=True)
class Catalogue:
    """The fields in form and CSV order, with what the layers derive from them."""

    specs: tuple[FieldSpec, ...]
    _by_name: dict[str, FieldSpec] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for attribute in ("name", "column"):
            values = [getattr(spec, attribute) for spec in self.specs]
            twice = sorted({value for value in values if values.count(value) > 1})
            if twice:
                raise ValueError(f"field {attribute}s must be unique; given twice: {', '.join(twice)}")
        object.__setattr__(self, "_by_name", {spec.name: spec for spec in self.specs})

    def __iter__(self) -> Iterator[FieldSpec]:
        return iter(self.specs)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def get(self, name: str) -> FieldSpec | None:
        return self._by_name.get(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.specs)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.specs if spec.required)

    def of_kind(self, kind: Kind) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.specs if spec.kind is kind)

    @property
    def scored(self) -> dict[str, str]:
        """The labelled folder's key -> our field name, for the fields the evaluation scores."""
        return {spec.scored_as: spec.name for spec in self.specs if spec.scored_as}

    def with_field(self, spec: FieldSpec) -> Catalogue:
        return Catalogue((*self.specs, spec))


FIELDS = Catalogue((
    FieldSpec("vendor", "Vendor", required=True, scored_as="company", wide=True),
    FieldSpec("vendor_address", "Address", scored_as="address", wide=True),
    FieldSpec("vendor_phone", "Phone"),
    FieldSpec("vendor_tax_id", "Tax id"),
    FieldSpec("date", "Date", Kind.DATE, required=True, scored_as="date"),
    FieldSpec("time", "Time", Kind.TIME),
    FieldSpec("receipt_number", "Receipt number"),
    FieldSpec("currency", "Currency", Kind.CURRENCY),
    FieldSpec("subtotal", "Subtotal", Kind.AMOUNT),
    FieldSpec("tax", "Tax", Kind.AMOUNT),
    FieldSpec("rounding", "Rounding", Kind.AMOUNT),
    FieldSpec("total", "Total", Kind.AMOUNT, required=True, scored_as="total"),
    FieldSpec("payment_method", "Payment method"),
))


# --- currencies ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Currency:
    """An ISO 4217 code, the signs receipts print for it besides the code, and whether a bare '$' can mean it."""

    code: str
    signs: tuple[str, ...] = ()
    dollar: bool = False


# In the review form's order: the region's currencies first.
CURRENCIES: tuple[Currency, ...] = (
    Currency("MYR", ("RM",)), Currency("SGD", ("S$",), dollar=True), Currency("USD", ("US$",), dollar=True),
    Currency("EUR", ("€",)), Currency("GBP", ("£",)), Currency("IDR", ("RP",)), Currency("THB"), Currency("PHP"),
    Currency("VND"), Currency("CNY"), Currency("JPY", ("¥",)), Currency("AUD", ("A$",), dollar=True),
    Currency("INR"), Currency("HKD", ("HK$",), dollar=True), Currency("NZD", dollar=True),
    Currency("CAD", dollar=True), Currency("CHF"),
)
CURRENCY_CODES: tuple[str, ...] = tuple(currency.code for currency in CURRENCIES)
