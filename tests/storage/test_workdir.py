"""storage.workdir: the owner-only work folder under the data folder, and clearing what dead processes left."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile

from storage import workdir


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


def test_temp_files_go_to_an_owner_only_folder_under_the_data_folder(settings):
    own = workdir.use_private_temp(settings)
    assert own.parent == settings.data_dir / "work"
    assert own.stat().st_mode & 0o777 == 0o700 and own.parent.stat().st_mode & 0o777 == 0o700
    with tempfile.NamedTemporaryFile() as handle:
        assert os.path.dirname(handle.name) == str(own)
    with open(os.path.join(tempfile.gettempdir(), "text.txt"), "w") as handle:  # as Tesseract writes its text
        handle.write("TOTAL 12.50")
    assert os.stat(handle.name).st_mode & 0o777 == 0o600
    assert os.environ["TMPDIR"] == str(own) and workdir.use_private_temp(settings) == own


def test_folders_of_processes_that_are_gone_are_removed_at_start(settings):
    root = settings.data_dir / "work"
    gone = root / f"{socket.gethostname()}-{_dead_pid()}"
    alive = root / f"{socket.gethostname()}-1"  # pid 1 always runs
    elsewhere = root / f"another-host-{_dead_pid()}"  # a shared data folder: not ours to judge
    for folder in (gone, alive, elsewhere):
        (folder / "docdesk-doc-x").mkdir(parents=True)
        (folder / "docdesk-doc-x" / "tess_page.txt").write_text("TOTAL 12.50")
    workdir.use_private_temp(settings)
    assert not gone.exists() and alive.exists() and elsewhere.exists()
