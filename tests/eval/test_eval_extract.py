"""Answer extraction: the traps of first-capital-letter parsers and friends (no model, no data)."""

import pytest

from s2h_dataset.eval.extract import extract, extract_letter, extract_position, extract_short, extract_word

ABCD = ("A", "B", "C", "D")


@pytest.mark.parametrize(
    "reply, expected",
    [
        ("The answer is (B)", "B"),
        ("The answer is (B).", "B"),
        ("B", "B"),
        ("(C)", "C"),
        ("d.", "D"),
        ("**C**", "C"),
        ("B. The red car is in front.", "B"),
        ("C) two", "C"),
        ("Answer: D", "D"),
        ("answer: (A)", "A"),
        ("The correct option is C.", "C"),
        ("I pick (C) because it is larger.", "C"),
        ("A", "A"),
        ("A.", "A"),
        ("(A) the second image", "A"),
    ],
)
def test_letter_read(reply, expected):
    assert extract_letter(reply, ABCD) == expected


@pytest.mark.parametrize(
    "reply",
    [
        "Based on the image, the car is red.",  # B of "Based" is not B
        "The car is red.",  # T of "The" is never a choice
        "A cat sits on the mat.",  # article A, not choice A
        "I think so.",  # pronoun I
        "The answer is (A) or (B).",  # ambiguous: never the first one
        "",
        "None of them.",
        "The answer is E",  # E is not a valid choice here
    ],
)
def test_letter_unreadable(reply):
    assert extract_letter(reply, ABCD) is None


def test_letter_outside_choices_is_rejected():
    assert extract_letter("C", ("A", "B")) is None
    assert extract_letter("The answer is (C)", ("A", "B")) is None
    assert extract_letter("The answer is (C)", ("A", "B", "C")) == "C"


def test_letter_from_option_text():
    options = ("(A) red car", "(B) blue bus", "(C) green tram")
    assert extract_letter("blue bus", ABCD[:3], options) == "B"
    assert extract_letter("Blue bus.", ABCD[:3], options) == "B"
    assert extract_letter("a blue bus and a red car", ABCD[:3], options) is None


@pytest.mark.parametrize(
    "reply, expected",
    [
        ("Yes.", "yes"),
        ("yes", "yes"),
        ("No, there is no dog.", "no"),
        ("NO", "no"),
        ("There is no dog.", "no"),
        ("**Yes**, a dog.", "yes"),
        ("I can't tell.", None),
        ("Maybe", None),
        ("", None),
        ("Not sure, yes or no", None),
    ],
)
def test_yes_no(reply, expected):
    assert extract_word(reply, ("yes", "no")) == expected
    assert extract("yesno", reply) == expected


@pytest.mark.parametrize(
    "reply, expected",
    [
        ("True", "true"),
        ("False.", "false"),
        ("The statement is true.", "true"),
        ("It is false", "false"),
        ("true or false?", "true"),
        ("Unclear.", None),
        ("(B)", "false"),
        ("A", "true"),
    ],
)
def test_true_false_with_letter_options(reply, expected):
    assert extract("truefalse", reply, ("A", "B"), ("True", "False")) == expected


def test_true_false_without_options_ignores_letters():
    assert extract("truefalse", "A", (), ()) is None


@pytest.mark.parametrize(
    "reply, expected",
    [
        ("C", 3),
        ("The answer is (B).", 2),
        ("Image 3", 3),
        ("image 4 contains the dog", 4),
        ("the third image", 3),
        ("The 2nd image.", 2),
        ("3", 3),
        ("Picture #1", 1),
        ("C. Image 3", 3),
        ("The first one.", 1),
        ("Image 5", None),
        ("9", None),
        ("Image 1 and Image 2", None),
        ("C. Image 2", None),
        ("The cat.", None),
        ("Based on it, image 2", 2),
    ],
)
def test_position(reply, expected):
    assert extract_position(reply, 4) == expected


def test_position_dispatch_returns_the_letter():
    assert extract("position", "Image 3", ABCD) == "C"
    assert extract("position", "Image 4", ABCD[:3]) is None


@pytest.mark.parametrize(
    "reply, expected",
    [
        ("Final Answer: 3", "3"),
        ("The answer is Paris.", "Paris"),
        ("two", "two"),
        ('Answer: "blue"', "blue"),
        ("", None),
    ],
)
def test_short(reply, expected):
    assert extract_short(reply) == expected


def test_short_dispatch_is_case_insensitive():
    assert extract("short", "Final Answer: PARIS") == "paris"


def test_unknown_type():
    with pytest.raises(ValueError, match="unknown answer type"):
        extract("essay", "x")
