"""ocr.fields.names: a name or an address as text, OCR's stray marks off and misread legal forms spelled right."""

import pytest

from ocr.fields.lexicon import load_lexicon
from ocr.fields.names import clean_address, clean_vendor, repaired_legal_form

LEXICON = load_lexicon(("en", "ms"))


@pytest.mark.parametrize(("read", "name"), [
    ("GREENLEAF HARDWARE SON BHD (682288-V)", "GREENLEAF HARDWARE SDN BHD"),  # O for D
    ("Greenleaf Trading Sdn Bhi", "Greenleaf Trading Sdn Bhd"),  # the case is kept
    ("GREENLEAF (M) SON. BHD.", "GREENLEAF (M) SDN. BHD."),  # and the dots
    ("GREENLEAF MART 5/8 (123456-X)", "GREENLEAF MART S/B"),  # look-alike digits
    ("GREENLEAF SDN DHD TAMAN JAYA", "GREENLEAF SDN BHD"),  # repaired, then what follows the form is dropped
])
def test_a_misread_legal_form_is_spelled_right(read, name):
    assert clean_vendor(read, LEXICON) == name


@pytest.mark.parametrize("name", [
    "KING BED CENTRE",  # one word a letter off a form ('BHD') is a word of the name
    "GREENLEAF SDN BHD", "Greenleaf Pte Ltd", "THE PLACE",
    "GREENLEAF SON BID",  # both words of the form off: not a legal form
])
def test_names_without_a_misread_form_are_left_alone(name):
    assert repaired_legal_form(name, LEXICON) == name


def test_an_address_loses_ocr_spacing_before_a_comma_but_keeps_its_own_punctuation():
    assert clean_address("| NO. 5 , JALAN MAJU , 43000 KAJANG .") == "NO. 5, JALAN MAJU, 43000 KAJANG."
