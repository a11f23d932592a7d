"""ui: what a user or a receipt supplies comes out of a Markdown renderer as the same text (ui.plain), nothing else;
a data editor's edits applied to its rows (ui.edited_rows)."""

from __future__ import annotations

import html
import re

from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

import ui

MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"])
AUTOLINK = re.compile(r"https?://|www\.|[-.\w+]@", re.IGNORECASE)  # as remark-gfm's autolink literals find them


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1))
@example("![b](https:127.0.0.1:9).png")
@example("see https://x.example/a, WWW.x.example or eve@x.example")
@example("<img src=https://x.example/a.png> **bold** [link](https://x.example) `code` # heading")
@example("1. item\n- item\n> quote\n| a | b |\n|---|---|\n~~gone~~ &amp; &#60;")
def test_plain_text_renders_as_exactly_that_text(text):
    shown = " ".join(text.split())
    rendered = MARKDOWN.render(ui.plain(text))
    if not shown:
        assert rendered == ""
    else:
        assert rendered.startswith("<p>") and rendered.endswith("</p>\n")
        inner = html.unescape(rendered[3:-5])
        assert "<" not in rendered[3:-5] and inner.replace(ui.WORD_JOINER, "") == shown.replace(ui.WORD_JOINER, "")
        assert not AUTOLINK.search(inner)  # what Streamlit would turn into a link: web and e-mail addresses


def test_streamlits_own_markup_is_escaped_too():
    """:red[...] colours, :material/...: icons and $...$ formulas are Streamlit's additions to Markdown."""
    assert ui.plain(":red[x] :material/home: $x^2$") == r"\:red\[x\] \:material\/home\: \$x\^2\$"


def test_edited_rows_apply_edits_additions_and_deletions():
    rows = [{"description": "A", "amount": 1.0}, {"description": "B", "amount": 2.0}, {"description": "C"}]
    edits = {"edited_rows": {"0": {"amount": 1.5}, 2: {"description": "C2"}}, "deleted_rows": [1],
             "added_rows": [{"description": "D", "amount": 4.0}]}
    assert ui.edited_rows(rows, edits) == [{"description": "A", "amount": 1.5}, {"description": "C2"},
                                           {"description": "D", "amount": 4.0}]
    assert ui.edited_rows(rows, None) == rows
    assert rows[0]["amount"] == 1.0  # the loaded rows are left as they were
