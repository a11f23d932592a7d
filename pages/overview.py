"""Overview: how many documents are in each state."""

import streamlit as st

from services import status

st.title("DocDesk")
st.write("Scanned receipts in, checked data out.")
counts = status.document_counts()
columns = st.columns(len(counts))
for column, (name, count) in zip(columns, counts.items(), strict=True):
    column.metric(name.replace("_", " ").capitalize(), count)
