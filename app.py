"""DocDesk web app entry point: `streamlit run app.py`. Routes to the thin screens in pages/."""

import streamlit as st

from services import status

st.set_page_config(page_title="DocDesk", page_icon=":material/receipt_long:", layout="wide")

user = st.session_state.get("user", {"name": None})  # the sign-in gate will set this; pages read it too

navigation = st.navigation([
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("pages/upload.py", title="Upload", icon=":material/upload_file:"),
    st.Page("pages/review.py", title="Review", icon=":material/fact_check:"),
    st.Page("pages/documents.py", title="Documents", icon=":material/folder_open:"),
    st.Page("pages/export.py", title="Export", icon=":material/download:"),
    st.Page("pages/monitor.py", title="Monitor", icon=":material/monitoring:"),
])

with st.sidebar:
    counts = status.document_counts()
    st.caption(" · ".join(f"{name.replace('_', ' ')}: {count}" for name, count in counts.items() if count))

# Pages check this: with a pages/ folder, Streamlit 1.67 runs a page URL opened first on a fresh server
# as a legacy page, without this script (so without its sidebar and, later, its sign-in gate).
st.session_state["entered_through_app"] = True
navigation.run()
