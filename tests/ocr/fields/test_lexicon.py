"""ocr.fields.lexicon: the words of a language are data files, one per locale, and several locales add up."""

import dataclasses

import pytest

from ocr.fields.lexicon import Lexicon, available_locales, load_lexicon


def test_the_locales_shipped():
    assert available_locales() == ["en", "ms"]


def test_locales_add_up_and_keep_their_order():
    english, both = load_lexicon(("en",)), load_lexicon(("en", "ms"))
    assert "TOTAL" in english.total and "JUMLAH" not in english.total
    assert both.total[:len(english.total)] == english.total and "JUMLAH" in both.total
    assert "JALAN" in both.address_words and "JALAN" not in english.address_words
    assert dict(both.payment)["CASH"] == ("CASH", "TUNAI")
    assert english.postcode is None and both.postcode.search("47100 PUCHONG")


def test_an_unknown_locale_or_word_list_says_what_there_is():
    with pytest.raises(ValueError, match="unknown locale 'xx': choose from en, ms"):
        load_lexicon(("en", "xx"))
    with pytest.raises(AttributeError, match="no word list 'tip_labels'"):
        load_lexicon().tip_labels  # noqa: B018


def test_a_locale_set_without_english_has_every_list_empty_where_none_fills_it():
    malay = load_lexicon(("ms",))
    assert malay.total == ("JUMLAH",) and malay.header_end == () and malay.false_friends == ()
    assert set(load_lexicon(("en",)).lists) <= set(malay.lists)


def test_no_word_list_is_named_like_a_lexicon_attribute():
    attributes = {field.name for field in dataclasses.fields(Lexicon)}
    assert not attributes & set(load_lexicon().lists)


def test_the_word_lists_are_upper_case_words_not_shop_names():
    for name, words in load_lexicon().lists.items():
        assert all(word == word.upper() and word.strip() == word for word in words), name
