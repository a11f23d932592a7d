"""Overview: how many documents are in each state."""

import streamlit as st

import ui
from services import status
from services.access import Permission

user = ui.guard(Permission.VIEW_ALL)  # first: sign-in, legacy-page bypass and role check

st.title("DocDesk")
st.write("Scanned receipts in, checked data out.")
counts = status.document_counts(user=user)
columns = st.columns(len(counts))
for column, (name, count) in zip(columns, counts.items(), strict=True):
    column.metric(name.replace("_", " ").capitalize(), count)
