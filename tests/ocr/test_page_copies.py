"""ocr.page_copies: small copies of a page, remembered until another page comes."""

import numpy as np

from ocr.page_copies import remembered, small_copy


def test_a_small_copy_fits_the_longest_side_and_a_small_page_is_its_own_copy():
    page = np.full((3000, 1500), 255, np.uint8)
    copy, scale = small_copy(page, 1000)
    assert copy.shape == (1000, 500) and scale == 1000 / 3000
    tiny = np.full((200, 100), 255, np.uint8)
    assert small_copy(tiny, 1000) == (tiny, 1.0)


def test_what_a_page_gave_is_remembered_until_another_page_is_asked_about():
    calls = []

    def count(page):
        calls.append(page)
        return len(calls)

    first, second = np.zeros((10, 10), np.uint8), np.zeros((10, 10), np.uint8)
    assert remembered("test", first, count) == remembered("test", first, count) == 1
    assert remembered("test", second, count) == 2  # an equal page, but another one
    assert remembered("test", first, count) == 3  # only the last page is kept
