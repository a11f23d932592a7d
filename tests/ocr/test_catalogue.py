"""ocr.catalogue: the one list of fields, and what the layers derive from it."""

import pytest

from ocr.catalogue import FIELDS, Catalogue, FieldSpec, Kind


def test_the_fields_in_form_and_export_order():
    assert FIELDS.names == ("vendor", "vendor_address", "vendor_phone", "vendor_tax_id", "date", "time",
                            "receipt_number", "currency", "subtotal", "tax", "rounding", "total", "payment_method")
    assert FIELDS.required == ("vendor", "date", "total")
    assert FIELDS.of_kind(Kind.AMOUNT) == ("subtotal", "tax", "rounding", "total")
    assert FIELDS.get("vendor_address").label == "Address" and FIELDS.get("tip") is None


def test_what_the_evaluation_scores_and_the_extractor_learns():
    assert FIELDS.scored == {"company": "vendor", "address": "vendor_address", "date": "date", "total": "total"}


def test_a_field_exports_under_its_name_unless_given_a_column():
    assert FieldSpec("tip", "Tip", Kind.AMOUNT).column == "tip"
    assert FieldSpec("tip", "Tip", Kind.AMOUNT, column="gratuity").column == "gratuity"


def test_an_added_field_comes_last_and_names_and_columns_stay_unique():
    tip = FieldSpec("tip", "Tip", Kind.AMOUNT, scored_as="tip")
    extended = FIELDS.with_field(tip)
    assert extended.names[-1] == "tip" and "tip" in extended and "tip" not in FIELDS
    assert extended.scored["tip"] == "tip"
    with pytest.raises(ValueError, match="names must be unique; given twice: total"):
        FIELDS.with_field(FieldSpec("total", "Total again", Kind.AMOUNT))
    with pytest.raises(ValueError, match="columns must be unique; given twice: total"):
        Catalogue((FieldSpec("total", "Total", Kind.AMOUNT), FieldSpec("grand_total", "Total", column="total")))
