"""Where a document came from, in words: its file, or the pages of a stack it was split from. Used by the
documents list, the review queue and the export, none of which may import another for it."""


def pages_text(first: int, last: int | None) -> str:
    """'page 2' or 'pages 2-3' for 0-based page indices."""
    return f"page {first + 1}" if last is None or last == first else f"pages {first + 1}-{last + 1}"


def file_label(name: str, first_page: int | None, last_page: int | None) -> str:
    """A document's file name, with the pages for a receipt of a stack: 'stack.pdf (pages 2-3)'."""
    return name if first_page is None else f"{name} ({pages_text(first_page, last_page)})"
