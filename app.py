"""DocDesk web app entry point: `streamlit run app.py`. Routes to the thin screens in pages/."""

import streamlit as st

from services import status

st.set_page_config(page_title="DocDesk", page_icon=":material/receipt_long:", layout="wide")

navigation = st.navigation([
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
])

with st.sidebar:
    counts = status.document_counts()
    st.caption(" · ".join(f"{name.replace('_', ' ')}: {count}" for name, count in counts.items() if count))

navigation.run()
