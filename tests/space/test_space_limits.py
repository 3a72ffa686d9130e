import os

import pytest
from PIL import Image

from s2h_dataset.errors import UserError
from s2h_dataset.space.limits import Limits, UploadError, discard_uploads, file_digest, load_uploads


def _png(path, size=(64, 48), colour=(200, 10, 10)):
    Image.new("RGB", size, colour).save(path)
    return str(path)


def test_limits_from_environment(monkeypatch):
    monkeypatch.setenv("S2H_MAX_IMAGES", "5")
    monkeypatch.setenv("S2H_MAX_NEW_TOKENS", "7")
    limits = Limits()
    assert (limits.max_images, limits.max_new_tokens, limits.min_images) == (5, 7, 2)
    monkeypatch.setenv("S2H_MAX_PIXELS", "lots")
    with pytest.raises(UserError, match="S2H_MAX_PIXELS"):
        Limits()
    monkeypatch.delenv("S2H_MAX_PIXELS")
    with pytest.raises(UserError, match="min_images"):
        Limits(min_images=6)


def test_load_uploads_in_order_as_rgb():
    from s2h_dataset.space.ui import bundled_image

    paths = [bundled_image("dog"), bundled_image("peacock"), bundled_image("car")]  # RGBA WebP
    loaded = load_uploads(paths, Limits())
    assert [name for name, _ in loaded] == [os.path.basename(p) for p in paths]
    assert all(image.mode == "RGB" for _, image in loaded)
    assert loaded[0][1].getpixel((0, 0)) == (255, 255, 255)  # transparent corner composited on white


def test_images_are_shrunk_for_the_model(tmp_path):
    paths = [_png(tmp_path / "big.png", (900, 300)), _png(tmp_path / "small.png")]
    loaded = load_uploads(paths, Limits(max_side=300))
    assert loaded[0][1].size == (300, 100) and loaded[1][1].size == (64, 48)


@pytest.mark.parametrize("count, message", [(0, "at least 2"), (1, "at least 2"), (9, "at most 8")])
def test_image_count(tmp_path, count, message):
    paths = [_png(tmp_path / f"{i}.png") for i in range(count)]
    with pytest.raises(UploadError, match=message):
        load_uploads(paths, Limits())


def test_bad_files_are_named(tmp_path):
    good = _png(tmp_path / "good.png")
    text = tmp_path / "notes.png"
    text.write_text("not an image at all")
    with pytest.raises(UploadError, match=r"`notes.png` is not an image"):
        load_uploads([good, str(text)], Limits())
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    with pytest.raises(UploadError, match=r"`empty\.jpg` is empty"):
        load_uploads([good, str(empty)], Limits())
    truncated = tmp_path / "cut.png"
    truncated.write_bytes((tmp_path / "good.png").read_bytes()[:60])
    with pytest.raises(UploadError, match=r"`cut\.png`"):
        load_uploads([good, str(truncated)], Limits())
    with pytest.raises(UploadError, match="missing"):
        load_uploads([good, str(tmp_path / "gone.png")], Limits())


def test_oversized_image_refused(tmp_path):
    paths = [_png(tmp_path / "a.png"), _png(tmp_path / "huge.png", (400, 300))]
    with pytest.raises(UploadError, match=r"`huge.png` is 400x300 px"):
        load_uploads(paths, Limits(max_pixels=100_000))
    load_uploads(paths, Limits(max_pixels=120_000))


def test_discard_only_inside_cache_and_not_kept(tmp_path):
    cache = tmp_path / "gradio"
    (cache / "h1").mkdir(parents=True)
    (cache / "h2").mkdir()
    upload = _png(cache / "h1" / "up.png", colour=(1, 2, 3))
    example = _png(cache / "h2" / "example.png", colour=(9, 9, 9))  # Gradio's cached copy of an example
    outside = _png(tmp_path / "mine.png")
    kept = frozenset({file_digest(_png(tmp_path / "bundled.png", colour=(9, 9, 9)))})
    assert discard_uploads([upload, example, outside], cache, keep_digests=kept) == 1
    assert not os.path.exists(upload) and not (cache / "h1").exists()  # its hashed folder goes too
    assert os.path.exists(example) and os.path.exists(outside)
