"""Pieces several screens draw (not screens themselves: st.navigation lists only pages/*.py)."""
