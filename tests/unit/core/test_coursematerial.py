"""Course material: copied once, kept in step with the instructor's folder, never over
a participant's own changes; reset moves the old folder aside."""

import os

from funicular.core.coursematerial import reset, sync


def _tree(root, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_first_start_copies_then_keeps_the_participants_work(tmp_path):
    course, home = tmp_path / "course", tmp_path / "home/hpc101"
    _tree(course, {"01-intro.ipynb": "v1", "data/points.csv": "1,2", ".hidden": "x"})
    r = sync(str(course), str(home))
    assert sorted(r.copied) == ["01-intro.ipynb", "data/points.csv"]
    assert (home / "01-intro.ipynb").read_text() == "v1" and not (home / ".hidden").exists()
    assert oct(os.stat(home / "01-intro.ipynb").st_mode & 0o777) == "0o644"

    (home / "01-intro.ipynb").write_text("my answers")  # the participant's work
    (home / "data/points.csv").unlink()  # deleted by mistake
    _tree(course, {"01-intro.ipynb": "v2", "02-next.ipynb": "new"})
    r = sync(str(course), str(home))
    assert r.kept == ["01-intro.ipynb"] and sorted(r.copied) == ["02-next.ipynb",
                                                                 "data/points.csv"]
    assert (home / "01-intro.ipynb").read_text() == "my answers"

    _tree(course, {"02-next.ipynb": "new, fixed"})  # untouched by the participant
    r = sync(str(course), str(home))
    assert r.updated == ["02-next.ipynb"] and (home / "02-next.ipynb").read_text() == \
        "new, fixed"


def test_reset_hands_out_a_pristine_copy_and_loses_nothing(tmp_path):
    course, home = tmp_path / "course", tmp_path / "home/hpc101"
    _tree(course, {"01-intro.ipynb": "v1"})
    sync(str(course), str(home))
    (home / "01-intro.ipynb").write_text("my answers")
    (home / "scratch.txt").write_text("notes")
    r = reset(str(course), str(home))
    assert (home / "01-intro.ipynb").read_text() == "v1" and not (home / "scratch.txt").exists()
    old = tmp_path / "home" / os.path.basename(r.moved_to)
    assert (old / "01-intro.ipynb").read_text() == "my answers"
    assert (old / "scratch.txt").read_text() == "notes"
