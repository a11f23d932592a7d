from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]


def test_overview_renders_counts_from_a_fresh_database(migrated):
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    assert not app.exception
    assert app.title[0].value == "DocDesk"
    assert [m.label for m in app.metric][:2] == ["Queued", "Processing"]
    assert all(m.value == "0" for m in app.metric)
