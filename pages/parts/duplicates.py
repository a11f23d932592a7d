"""The review screen's near-duplicate piece: each possible duplicate with both pages side by side, the values that
name the purchase, and "Not a duplicate"."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from errors import DocDeskError
from services import duplicates, review

VALUES = ("vendor", "date", "total")
OPEN_BUTTON = "open-duplicate-"  # + this document's id + "-" + the other's: the review page opens the other one


def show(document_id: int, user: str | None) -> None:
    """Draw the open possible duplicates of `document_id` (nothing when there are none)."""
    for pair in duplicates.of_document(document_id, user=user):
        if pair.dismissed_by is None:
            _pair(pair, user)


def _pair(pair: duplicates.PossibleDuplicate, user: str | None) -> None:
    with st.container(border=True, key=f"duplicate-{pair.document_id}-{pair.other_id}"):
        st.warning(f"Possible duplicate of #{pair.other_id}: {pair.reason}.", icon=":material/content_copy:")
        with st.expander(f"Compare with #{pair.other_id} side by side"):
            columns = st.columns(2)
            for column, document_id, title in ((columns[0], pair.document_id, "This document"),
                                               (columns[1], pair.other_id, "Possible duplicate")):
                view = review.open_document(document_id, user=user)
                column.text(f"{title}: #{document_id} {view.name if view else ''} "
                            f"({view.status.replace('_', ' ') if view else 'gone'})")
                shown = review.page_screen(document_id, 0, cleaned=False, user=user) if view else None
                if shown:
                    column.image(shown.jpeg, width="stretch")
                if view:
                    values = view.values()
                    column.dataframe(pd.DataFrame([{"field": n, "value": values.get(n) or ""} for n in VALUES]),
                                     hide_index=True, width="stretch")
            buttons = st.columns([1, 1, 4])
            if buttons[0].button("Not a duplicate", key=f"not-duplicate-{pair.document_id}-{pair.other_id}"):
                try:
                    duplicates.dismiss(pair.document_id, pair.other_id, user=user)
                except DocDeskError as error:
                    st.error(error.message)
                else:
                    st.rerun()
            # opened like a queue item: the review page asks first when there are unsaved edits
            buttons[1].button(f"Open #{pair.other_id}", key=f"{OPEN_BUTTON}{pair.document_id}-{pair.other_id}")
