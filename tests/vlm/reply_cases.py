"""The reply table every reader of model replies is tested against: eval (`tests/vlm/test_replies.py`,
through the same call the runner makes) and the Space (`tests/space/test_space_parsing.py`: the image it
highlights is the image the probe scores).

Each case: (answer type, reply, expected reading, choices, options). `expected` is the canonical value
(letter, "yes"/"no", "true"/"false") or, for positions, the 1-based image number; None means the reply
must count as a parse failure. For positions `choices` is the number of images.
"""

from __future__ import annotations

from typing import NamedTuple


class Case(NamedTuple):
    kind: str
    reply: str
    expected: str | int | None
    choices: tuple[str, ...] | int = ("A", "B", "C", "D")
    options: tuple[str, ...] = ()


ABCD = ("A", "B", "C", "D")
CARS = ("(A) red car", "(B) blue bus", "(C) green tram", "(D) big red car")
TF = ("True", "False")

LETTER = [
    # plain letters and markdown
    Case("letter", "B", "B"),
    Case("letter", "(C)", "C"),
    Case("letter", "d.", "D"),
    Case("letter", "**C**", "C"),
    Case("letter", "[B]", "B"),
    Case("letter", "A", "A"),
    Case("letter", "A.", "A"),
    Case("letter", " (b) ", "B"),
    # explicit markers, lower-case letters after them
    Case("letter", "The answer is (B)", "B"),
    Case("letter", "The answer is (B).", "B"),
    Case("letter", "Answer: D", "D"),
    Case("letter", "answer: (A)", "A"),
    Case("letter", "Answer: b", "B"),
    Case("letter", "the answer is d", "D"),
    Case("letter", "The correct option is C.", "C"),
    Case("letter", "The best choice is (D) because it is larger.", "D"),
    Case("letter", "My answer: c", "C"),
    Case("letter", "Final answer: B", "B"),
    Case("letter", "The first image shows a dog and the second a cat, so the answer is D", "D"),
    Case("letter", "Both look similar; the left one is brighter, so C.", "C"),
    Case("letter", "Therefore, (B).", "B"),
    Case("letter", "\\boxed{C}", "C"),
    Case("letter", "The result is $\\boxed{B}$.", "B"),
    Case("letter", "\\boxed{\\text{A}}", "A"),
    Case("letter", "答案：C", "C"),
    Case("letter", "答案是B", "B"),
    Case("letter", "选C", "C"),
    Case("letter", "根据图片，答案为 D。", "D"),
    Case("letter", "故选A", "A"),
    Case("letter", "答案：（B）", "B"),
    # the last marker wins
    Case("letter", "At first the answer is A seems right. On reflection, the answer is D.", "D"),
    Case("letter", "Answer: A. Wait, no. Final answer: C", "C"),
    Case("letter", "I choose B. Option A is wrong.", "B"),
    Case("letter", "I'd go with C.", "C"),
    Case("letter", "I pick (C) because it is larger.", "C"),
    # article / pronoun guard: punctuation after the letter makes it a choice
    Case("letter", "A. a red car", "A"),
    Case("letter", "A) a red car", "A"),
    Case("letter", "A: a red car", "A"),
    Case("letter", "A, a red car", "A"),
    Case("letter", "(A) the second image", "A"),
    Case("letter", "A is correct.", "A"),
    Case("letter", "B. The red car is in front.", "B"),
    Case("letter", "C) two", "C"),
    Case("letter", "B is right", "B"),
    Case("letter", "A cat sits on the mat.", None),
    Case("letter", "I think so.", None),
    Case("letter", "a", "A"),
    # negated alternatives and rejected options
    Case("letter", "I think it's C, not A", "C"),
    Case("letter", "It is not A; it is B.", "B"),
    Case("letter", "The answer is B, not D.", "B"),
    Case("letter", "B rather than C", "B"),
    Case("letter", "Option A is wrong, C is right.", "C"),
    Case("letter", "Not A.", None),
    Case("letter", "Neither A nor B", None),  # issue #22: both ruled out
    Case("letter", "Neither A nor B; it is C.", "C"),
    # a self-correction after the answer: the correction wins (issue #22)
    Case("letter", "The answer is B. Wait, actually it's C.", "C"),
    Case("letter", "B. Actually, C.", "C"),
    Case("letter", "Actually, the image shows a red car.", None),
    # two different answers are a failure, never the first one
    Case("letter", "B or C", None),
    Case("letter", "B, C", None),
    Case("letter", "(B) and (C)", None),
    Case("letter", "The answer is (A) or (B).", None),
    Case("letter", "ANSWER: (C) or (D)", None),
    Case("letter", "The answer is B because A is too small.", "B"),  # after a marker: its first answer
    Case("letter", "答案是B，因为A不对", "B"),
    Case("letter", "B/C", None),
    Case("letter", "A. red car B. blue bus", None),
    # never the first capital of a word
    Case("letter", "Based on the image, the car is red.", None),
    Case("letter", "The car is red.", None),
    Case("letter", "Don't know.", None),
    Case("letter", "It's B.", "B"),
    Case("letter", "", None),
    Case("letter", "None of them.", None),
    Case("letter", "The answer is E", None),  # not a valid choice here
    Case("letter", "C", None, ("A", "B")),
    Case("letter", "The answer is (C)", None, ("A", "B")),
    Case("letter", "The answer is (C)", "C", ("A", "B", "C")),
    # option texts, only when nothing else names a letter
    Case("letter", "blue bus", "B", ABCD, CARS),
    Case("letter", "Blue bus.", "B", ABCD, CARS),
    Case("letter", "The answer is a green tram.", "C", ABCD, CARS),
    Case("letter", "It is the big red car on the left.", "D", ABCD, CARS),  # not "red car": the longer text
    Case("letter", "a blue bus and a green tram", None, ABCD, CARS),
    Case("letter", "It is the green tram, not the blue bus.", "C", ABCD, CARS),
    Case("letter", "A. red car", "A", ABCD, CARS),
    Case("letter", "Something else entirely.", None, ABCD, CARS),
]

YES_NO = [
    Case("yesno", "Yes.", "yes", ()),
    Case("yesno", "yes", "yes", ()),
    Case("yesno", "NO", "no", ()),
    Case("yesno", "No, there is no dog.", "no", ()),
    Case("yesno", "There is no dog.", "no", ()),
    Case("yesno", "**Yes**, a dog.", "yes", ()),
    Case("yesno", "Nope", "no", ()),
    Case("yesno", "Yep, there is one.", "yes", ()),
    Case("yesno", "I don't see a dog", "no", ()),
    Case("yesno", "I do not see any dog in the image.", "no", ()),
    Case("yesno", "There isn't any dog.", "no", ()),
    Case("yesno", "The image does not contain a dog.", "no", ()),
    Case("yesno", "Looking closely at the sofa, the answer is yes.", "yes", ()),
    Case("yesno", "Answer: no", "no", ()),
    Case("yesno", "答案：yes", "yes", ()),
    Case("yesno", "I can't tell.", None, ()),
    Case("yesno", "Maybe", None, ()),
    Case("yesno", "", None, ()),
    Case("yesno", "Not sure, yes or no", None, ()),
    Case("yesno", "Yes or no?", None, ()),
    Case("yesno", "Yes and no.", None, ()),
    # issue #22: a reply that says yes and then that it is not there is a failure (for the judge)
    Case("yesno", "Yes there is no dog", None, ()),
    Case("yesno", "Yes, I don't see a dog.", None, ()),
    Case("yesno", "Yes, no doubt about it.", "yes", ()),
    Case("yesno", "Yes, there is a dog. No other animals are visible.", "yes", ()),
    # issue #22: saying the object is there is a yes
    Case("yesno", "There is a dog in the image.", "yes", ()),
    Case("yesno", "There are two dogs on the sofa.", "yes", ()),
    Case("yesno", "A dog is visible on the left.", "yes", ()),
    Case("yesno", "There is a dog but no cat.", None, ()),
]

TRUE_FALSE = [
    Case("truefalse", "True", "true", ("A", "B"), TF),
    Case("truefalse", "False.", "false", ("A", "B"), TF),
    Case("truefalse", "The statement is true.", "true", ("A", "B"), TF),
    Case("truefalse", "It is false", "false", ("A", "B"), TF),
    Case("truefalse", "It's not true", "false", ("A", "B"), TF),
    Case("truefalse", "That is not true.", "false", ("A", "B"), TF),
    Case("truefalse", "The statement isn't false.", "true", ("A", "B"), TF),
    Case("truefalse", "The answer is False.", "false", ("A", "B"), TF),
    Case("truefalse", "Correct.", "true", ("A", "B"), TF),
    Case("truefalse", "Incorrect", "false", ("A", "B"), TF),
    Case("truefalse", "true or false?", None, ("A", "B"), TF),
    Case("truefalse", "Unclear.", None, ("A", "B"), TF),
    Case("truefalse", "(B)", "false", ("A", "B"), TF),
    Case("truefalse", "A", "true", ("A", "B"), TF),
    Case("truefalse", "The answer is (A).", "true", ("A", "B"), TF),
    Case("truefalse", "A or B", None, ("A", "B"), TF),
    Case("truefalse", "A", None, (), ()),  # no options: a letter means nothing
    Case("truefalse", "Yes", "true", ("A", "B"), TF),  # issue #22: yes / no answer a true-or-false question
    Case("truefalse", "No.", "false", ("A", "B"), TF),
    Case("truefalse", "No, the statement is false.", "false", ("A", "B"), TF),
]

POSITION = [
    Case("position", "C", 3, 4),
    Case("position", "The answer is (B).", 2, 4),
    Case("position", "Image 3", 3, 4),
    Case("position", "image #2 has it", 2, 4),
    Case("position", "image 4 contains the dog", 4, 4),
    Case("position", "the third image", 3, 4),
    Case("position", "the third image contains a peacock", 3, 4),
    Case("position", "The 2nd image.", 2, 4),
    Case("position", "It's the 4th picture.", 4, 4),
    Case("position", "3", 3, 4),
    Case("position", "3.", 3, 4),
    Case("position", "(C)", 3, 4),
    Case("position", "Answer: D", 4, 4),
    Case("position", "The answer is (1)", 1, 4),
    Case("position", "Answer: 2", 2, 4),
    Case("position", "Picture #1", 1, 4),
    Case("position", "Picture three", 3, 4),
    Case("position", "The peacock is in Image three.", 3, 4),
    Case("position", "Image C shows it", 3, 4),
    Case("position", "C. Image 3", 3, 4),
    Case("position", "The first one.", 1, 4),
    Case("position", "Second.", 2, 4),
    Case("position", "the last one", 4, 4),
    Case("position", "The last one.", 3, 3),
    Case("position", "the last image", 8, 8),
    Case("position", "Image 6", 6, 8),
    Case("position", "image 2, not image 4", 2, 4),
    Case("position", "Image 1 is wrong; it is image 3.", 3, 4),
    Case("position", "Not the first image but the second image.", 2, 4),
    Case("position", "Image 2 shows a cat, so the answer is Image 4.", 4, 4),
    Case("position", "Based on it, image 2", 2, 4),
    Case("position", "答案：C", 3, 4),
    Case("position", "\\boxed{2}", 2, 4),
    Case("position", "Image 2 shows a cat, but Image 4 shows the peacock.", None, 4),  # two images named
    Case("position", "Image 1 and Image 2", None, 4),
    Case("position", "Images 1 and 3", None, 4),  # issue #22: two images for a one-image question
    Case("position", "the first and third images", None, 4),
    Case("position", "The answer is A (Image 2)", None, 4),  # issue #22: a contradiction goes to the judge
    Case("position", "The answer is C (Image 3)", 3, 4),
    Case("position", "C. Image 2", None, 4),
    Case("position", "Image 5", None, 4),
    Case("position", "So the answer is Image 5.", None, 4),
    Case("position", "image-2", 2, 4),
    Case("position", "The answer is Image 2 because image 3 is blurry.", 2, 4),
    Case("position", "Image 6", None, 4),
    Case("position", "9", None, 4),
    Case("position", "0", None, 4),
    Case("position", "The cat.", None, 4),
    Case("position", "A peacock spreads its tail.", None, 4),  # the article is not option A
    Case("position", "In the image I see a dog", None, 4),
    Case("position", "", None, 4),
    Case("position", "I cannot tell.", None, 4),
]

CASES = LETTER + YES_NO + TRUE_FALSE + POSITION
