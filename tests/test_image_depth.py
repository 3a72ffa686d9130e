"""Greyscale of any bit depth keeps its content: scaled by the values it holds, not by its container."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from s2h_dataset.images import encode_image


def _ramp(low: float, high: float, dtype) -> np.ndarray:
    """A horizontal ramp with a bright square: content that a black output would lose."""
    array = np.tile(np.linspace(low, high, 64), (64, 1))
    array[24:40, 24:40] = high
    return array.astype(dtype)


def _through_png(array: np.ndarray) -> Image.Image:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "PNG")  # uint16 -> a 16-bit greyscale PNG (mode I;16)
    buffer.seek(0)
    return Image.open(buffer)


@pytest.mark.parametrize(
    ("name", "array"),
    [
        ("12-bit in a 16-bit PNG", _ramp(0, 4095, np.uint16)),
        ("low-range 16-bit", _ramp(100, 1200, np.uint16)),
        ("full 16-bit", _ramp(0, 65535, np.uint16)),
        ("float 0..1", _ramp(0.0, 1.0, np.float32)),
        ("float of any range", _ramp(-3.0, 7.5, np.float32)),
        ("32-bit integer", _ramp(-20000, 90000, np.int32)),
    ],
)
def test_saved_image_keeps_its_contrast(name, array):
    source = _through_png(array) if array.dtype == np.uint16 else Image.fromarray(array)
    saved = Image.open(io.BytesIO(encode_image(lambda: source, 384, "png"))).convert("L")
    pixels = np.asarray(saved, dtype=np.float64)
    assert pixels.max() - pixels.min() >= 250, name  # the full 8-bit range, not a black image
    order = np.argsort(array[0].astype(np.float64), kind="stable")
    assert np.all(np.diff(pixels[0][order]) >= 0), name  # brighter input stays brighter
    assert pixels[32, 32] == pixels.max(), name  # the bright square is still the brightest


def test_8_bit_values_in_a_16_bit_container_keep_their_brightness():
    saved = encode_image(lambda: _through_png(_ramp(0, 200, np.uint16)), 384, "png")
    pixels = np.asarray(Image.open(io.BytesIO(saved)).convert("L"))
    assert pixels.max() == 200 and pixels.min() == 0


@pytest.mark.parametrize(
    ("array", "grey"),
    [
        (np.full((16, 16), 65535, np.uint16), 255),
        (np.full((16, 16), 4095, np.uint16), 16),
        (np.zeros((16, 16), np.float32), 0),
    ],
)
def test_flat_images_keep_their_level(array, grey):
    saved = encode_image(lambda: Image.fromarray(array), 384, "png")
    assert set(np.asarray(Image.open(io.BytesIO(saved)).convert("L")).ravel()) == {grey}
