"""Which uploads each session holds, and what goes when a file leaves the box or a session ends."""

import shutil

from s2h_dataset.space.limits import file_digest


def _upload(cache, label: str, folder: str) -> str:
    from s2h_dataset.space.ui import bundled_image

    (cache / folder).mkdir(parents=True, exist_ok=True)
    return shutil.copy(bundled_image(label), cache / folder / f"{label}.webp")


def test_files_go_when_they_leave_the_box_or_the_session_ends(tmp_path):
    from s2h_dataset.space.sessions import SessionUploads

    cache = tmp_path / "cache"
    dog, car, shared = _upload(cache, "dog", "a"), _upload(cache, "car", "b"), _upload(cache, "owl", "c")
    sessions = SessionUploads(cache)
    assert sessions.set_held("one", [dog, car, shared]) == 0
    assert sessions.set_held("two", [shared]) == 0
    assert sessions.set_held("one", [car, shared]) == 1  # the dog was removed from the box: deleted
    assert not (cache / "a").exists()  # with its upload folder
    assert sessions.end("one") == 1  # the car goes; the owl stays, the second session holds it too
    assert not (cache / "b" / "car.webp").exists() and (cache / "c" / "owl.webp").exists()
    assert sessions.end("two") == 1 and not (cache / "c").exists() and sessions.sessions() == 0
    assert sessions.end("never-seen") == 0


def test_examples_and_files_outside_the_cache_are_never_deleted(tmp_path):
    from s2h_dataset.space.sessions import SessionUploads
    from s2h_dataset.space.ui import bundled_image

    cache = tmp_path / "cache"
    example = _upload(cache, "peacock", "ex")
    outside = shutil.copy(bundled_image("dog"), tmp_path / "dog.webp")
    sessions = SessionUploads(cache, frozenset({file_digest(bundled_image("peacock"))}))
    sessions.set_held("one", [example, outside])
    assert sessions.end("one") == 0
    assert (cache / "ex" / "peacock.webp").exists() and (tmp_path / "dog.webp").exists()
