"""The browser tests' fixtures (the helpers are in tests/e2e/served.py)."""

import pytest

from tests.e2e import served


@pytest.fixture
def browser():
    """Debian's Chromium, headless, through Playwright."""
    with served.chromium() as launched:
        yield launched
