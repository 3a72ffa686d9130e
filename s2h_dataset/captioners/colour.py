"""Colour names as people give them, decided by the votes of an object's pixels in CIE Lab.

The palette is the XKCD colour survey (R. Munroe, 2010: about 222,500 people named 3.4 million RGB samples;
https://blog.xkcd.com/2010/05/03/color-survey-results/), whose 949 most common names and their mean RGB
ship with matplotlib as `matplotlib.colors.XKCD_COLORS` (the survey's `rgb.txt`, CC0). Every survey name
whose head word is one of the eleven basic colour terms of Berlin & Kay (1969) - "light brown", "dark
yellow", "bluish grey", "blood red" - is a centroid of that term, so each term is the region of colour space
where people use it, not a hue interval. A pixel takes the term of its nearest centroid by CIEDE2000
(scikit-image); an object's colour is the term most of its pixels take. Votes, not a mean colour: the mean of
a red and a green object is brown, the votes of its pixels are red and green.

The survey has few achromatic names, and a render's neutral surfaces carry a faint tint of its light (the
bundled Fluent whites are lavender), so achromatic pixels - low chroma, or low chroma for their lightness, or
dark - are named black, grey or white by lightness alone.

A vote says how sure it is: `confidence` (the share of the object's pixels its named colour covers) and
`margin` (the lead over the second term). `clearly` / `clearly_not` are the tests a yes/no question about a
colour needs, and `confusions` the terms perceptually nearest an object's colour that it clearly is not:
plausible wrong colours for a rejected answer.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from ..atomic import atomic_write
from ..labels import COLOUR_NAMES

__all__ = [
    "ColourVote",
    "clearly",
    "clearly_not",
    "colour_vote",
    "confusions",
    "nearest_terms",
    "palette",
    "pixel_terms",
]

QUANT = 8  # pixels are named through a table over RGB quantised to 256 / 8 = 32 levels per channel
ACHROMATIC = (
    10.0  # CIE chroma under which a pixel is black, grey or white (the survey's plain greys: C* <= 5)
)
SATURATION = (
    0.25  # or chroma / lightness under which (a light tint reads as white, as a neutral render's shading)
)
DARK = (30.0, 20.0)  # lightness and chroma under which a pixel is black (a dark surface shows little hue)
WHITE = 80.0  # lightness from which an achromatic pixel is white (the survey's "light grey" is 87)
ACHROMATIC_TERMS = ("black", "grey", "white")
CLEAR = (0.5, 0.2)  # an object is clearly of its named colour from this share and this margin over the next
CLEARLY_NOT = 0.1  # an object is clearly not of a colour that covers at most this share of it
N_CONFUSIONS = 3  # wrong colours are drawn from the terms nearest the object's own


@dataclass(frozen=True)
class ColourVote:
    """How an object's pixels name its colour: each basic term's share of the pixels, largest first."""

    shares: tuple[tuple[str, float], ...]

    @property
    def name(self) -> str:
        return self.shares[0][0]

    @property
    def confidence(self) -> float:
        """The share of the object's pixels that its named colour covers."""
        return self.shares[0][1]

    @property
    def margin(self) -> float:
        """How far the named colour's share is ahead of the second term's."""
        return self.shares[0][1] - (self.shares[1][1] if len(self.shares) > 1 else 0.0)

    def share(self, term: str) -> float:
        return dict(self.shares).get(term, 0.0)


@cache
def palette() -> tuple[np.ndarray, tuple[str, ...]]:
    """Lab centroids of the XKCD survey names headed by a chromatic basic term, and the term of each
    (achromatic pixels are named by lightness: the survey has few achromatic names)."""
    from matplotlib.colors import XKCD_COLORS, to_rgb
    from skimage.color import rgb2lab

    rgbs, terms = [], []
    for name, hex_code in XKCD_COLORS.items():
        head = name.removeprefix("xkcd:").replace("gray", "grey").split()[-1]
        if head in COLOUR_NAMES and head not in ACHROMATIC_TERMS:
            rgbs.append(to_rgb(hex_code))
            terms.append(head)
    return rgb2lab(np.array([rgbs]))[0], tuple(terms)


TABLE_CACHE = "~/.cache/s2h/colour"  # the table, computed once per machine (about 6 s) and kept here


def _table_key() -> str:
    """What the table is a function of: the palette, the achromatic rules, the terms and the Lab code."""
    import skimage

    centroids, terms = palette()
    rules = [QUANT, ACHROMATIC, SATURATION, DARK, WHITE, list(COLOUR_NAMES), skimage.__version__]
    digest = hashlib.sha256(json.dumps([np.round(centroids, 6).tolist(), terms, rules]).encode())
    return digest.hexdigest()[:16]


@cache
def _table() -> np.ndarray:
    """Term index (into COLOUR_NAMES) of every quantised RGB colour: read from the machine's cache when
    one was computed with the same palette and rules (`_table_key`), else computed and cached (atomically;
    an unwritable cache only costs the time)."""
    path = Path(TABLE_CACHE).expanduser() / f"table-{_table_key()}.npy"
    try:
        table = np.load(path, allow_pickle=False)
        if table.shape == ((256 // QUANT) ** 3,) and table.dtype == np.int8:
            return table
    except (OSError, ValueError):
        pass
    table = _compute_table()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        np.save(buffer, table, allow_pickle=False)
        atomic_write(path, buffer.getvalue())
    except OSError:
        pass
    return table


def _compute_table() -> np.ndarray:
    from skimage.color import deltaE_ciede2000, rgb2lab

    centroids, terms = palette()
    term_index = np.array([COLOUR_NAMES.index(t) for t in terms])
    levels = (np.arange(0, 256, QUANT) + QUANT / 2) / 255
    grid = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), axis=-1).reshape(-1, 3)
    labs = rgb2lab(grid[None])[0]
    out = np.empty(len(labs), dtype=np.int8)
    for start in range(0, len(labs), 4096):
        chunk = labs[start : start + 4096]
        dist = deltaE_ciede2000(chunk[:, None, :], centroids[None, :, :])
        out[start : start + 4096] = term_index[dist.argmin(axis=1)]
    lightness, chroma = labs[:, 0], np.hypot(labs[:, 1], labs[:, 2])
    achromatic = (
        (chroma < ACHROMATIC)
        | (chroma < SATURATION * lightness)
        | ((lightness < DARK[0]) & (chroma < DARK[1]))
    )
    grey = np.where(lightness < DARK[0], "black", np.where(lightness < WHITE, "grey", "white"))
    out[achromatic] = [COLOUR_NAMES.index(t) for t in grey[achromatic]]
    return out


def pixel_terms(rgb: np.ndarray) -> np.ndarray:
    """Term index (into COLOUR_NAMES) of each pixel of an (n, 3) uint8 array."""
    q = (rgb.astype(np.int32) // QUANT).T
    side = 256 // QUANT
    return _table()[(q[0] * side + q[1]) * side + q[2]]


def colour_vote(rgb: np.ndarray) -> ColourVote:
    """The vote of an object's pixels, an (n, 3) uint8 array (opaque pixels only)."""
    counts = np.bincount(pixel_terms(rgb), minlength=len(COLOUR_NAMES))
    order = np.argsort(-counts, kind="stable")
    total = max(int(counts.sum()), 1)
    return ColourVote(tuple((COLOUR_NAMES[i], counts[i] / total) for i in order if counts[i]))


def clearly(vote: ColourVote, term: str) -> bool:
    """Whether a person would say without hesitation that the object is mostly `term`."""
    return vote.name == term and vote.confidence >= CLEAR[0] and vote.margin >= CLEAR[1]


def clearly_not(vote: ColourVote, term: str) -> bool:
    """Whether the object is clearly not `term`: the colour covers little of it."""
    return vote.share(term) <= CLEARLY_NOT


@cache
def _term_distances() -> np.ndarray:
    """CIEDE2000 between the survey's centroids of the basic terms themselves ("xkcd:brown", ...)."""
    from matplotlib.colors import XKCD_COLORS, to_rgb
    from skimage.color import deltaE_ciede2000, rgb2lab

    labs = rgb2lab(np.array([[to_rgb(XKCD_COLORS[f"xkcd:{t}"]) for t in COLOUR_NAMES]]))[0]
    return deltaE_ciede2000(labs[:, None, :], labs[None, :, :])


def nearest_terms(term: str) -> tuple[str, ...]:
    """The other basic terms, perceptually nearest `term` first."""
    distances = _term_distances()[COLOUR_NAMES.index(term)]
    return tuple(COLOUR_NAMES[i] for i in np.argsort(distances, kind="stable") if COLOUR_NAMES[i] != term)


def confusions(vote: ColourVote, stated: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Plausible wrong colours for the object: the `N_CONFUSIONS` terms nearest its named colour (between
    the survey's centroids) that it clearly is not and that are not `stated` (yellow -> white, green, grey;
    brown -> red, black, orange), nearest first."""
    near = nearest_terms(vote.name)
    return tuple(t for t in near if clearly_not(vote, t) and t not in stated)[:N_CONFUSIONS]
