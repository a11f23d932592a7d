"""DocDesk web app entry point: `streamlit run app.py`. Sign-in gate, then the pages the user's role may open."""

import streamlit as st

import ui
from settings import get_settings
from storage import workdir

# An emoji favicon is drawn in the browser; a ":material/...:" one would be fetched from a third-party host.
st.set_page_config(page_title="DocDesk", page_icon="🧾", layout="wide")
workdir.use_private_temp(get_settings())  # uploads' temp files (a PDF's preflight) stay in the data folder

user = ui.signed_in_user()
if user is None:
    # Only the sign-in screen (also under each page's address, for links): no counts, no navigation (calling
    # st.navigation also keeps Streamlit from listing the pages/ folder in the sidebar).
    st.navigation(ui.sign_in_pages(), position="hidden").run()
    st.stop()

if user.get("must_change_password"):
    st.navigation([st.Page(lambda: ui.change_password_screen(user), title="Choose your password",
                           icon=":material/key:", url_path="password")], position="hidden").run()
    st.stop()

navigation = st.navigation([st.Page(script, title=title, icon=icon, default=(i == 0))
                            for i, (script, title, icon, _) in enumerate(ui.pages_for(user["role"]))])

# The shared sidebar (who is signed in, sign-out, counts) is drawn by ui.guard, at the top of every page.
# Pages check this (ui.guard): with a pages/ folder, Streamlit 1.67 runs a page URL opened first on a fresh
# server as a legacy page, without this script and so without its sign-in gate.
st.session_state[ui.ENTERED] = True
navigation.run()
