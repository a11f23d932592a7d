"""One file per screen, run by Streamlit (app.py lists them); a package only so the import rules can name it."""
