import pytest

from s2h_dataset.space.parsing import parse_choice


@pytest.mark.parametrize(
    "reply, expected",
    [
        ("Image 3", 2),
        ("image #2 has it", 1),
        ("The peacock is in Image three.", 2),
        ("the third image contains a peacock", 2),
        ("It's the 4th picture.", 3),
        ("The last one.", 3),
        ("3", 2),
        ("3.", 2),
        ("(C)", 2),
        ("B", 1),
        ("Answer: D", 3),
        ("The answer is (1)", 0),
        ("Image C shows it", 2),
        ("Second.", 1),
        ("Image 2 shows a cat, but Image 4 shows the peacock.", 1),  # first mention wins
        ("A peacock spreads its tail.", None),  # the article is not option A
        ("In the image I see a dog", None),
        ("Image 9", None),  # out of range for 4 images
        ("0", None),
        ("", None),
        ("I cannot tell.", None),
    ],
)
def test_parse_choice(reply, expected):
    assert parse_choice(reply, 4) == expected


def test_range_depends_on_image_count():
    assert parse_choice("Image 6", 8) == 5
    assert parse_choice("Image 6", 4) is None
    assert parse_choice("the last image", 8) == 7
