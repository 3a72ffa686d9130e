"""`kinship:PATH` - face images with family relations, in the FIW or the KinFaceW layout.

FIW (Families In the Wild): `PATH/F0001/MID1/*.jpg` and `PATH/F0001/mid.csv`, whose relationship matrix
gives in row i, column j what member i is to member j (1 child, 2 sibling, 3 grandchild, 4 parent,
5 spouse, 6 grandparent; 0 or other codes: unknown).
KinFaceW (I or II): `PATH/[images/]{father-dau,father-son,mother-dau,mother-son}/` (or `fd/fs/md/ms`) with
pairs `fd_001_1.jpg` (parent) and `fd_001_2.jpg` (child); pair N is one family. The `.mat` metadata lists
the same positive pairs, so the file names suffice.
Returns the face records (one per image, `person` and `group` = family) and the relations between people.
"""

from __future__ import annotations

import csv
import re
from functools import partial
from pathlib import Path

from .base import Record, SourceError
from .confine import open_inside

__all__ = ["RELATIONS", "kinship_records"]

# what person A is to person B -> the inverse relation (what B is to A)
RELATIONS = {
    "parent": "child",
    "child": "parent",
    "sibling": "sibling",
    "spouse": "spouse",
    "grandparent": "grandchild",
    "grandchild": "grandparent",
}
FIW_CODES = {1: "child", 2: "sibling", 3: "grandchild", 4: "parent", 5: "spouse", 6: "grandparent"}
KINFACEW_FOLDERS = {
    "father-dau": "fd",
    "father-son": "fs",
    "mother-dau": "md",
    "mother-son": "ms",
    "fd": "fd",
    "fs": "fs",
    "md": "md",
    "ms": "ms",
}
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}

Relations = dict[tuple[str, str], str]


def _face(root: Path, path: Path, family: str, person: str) -> Record:
    return Record(
        source_id=f"kinship:{root.name}/{path.relative_to(root).as_posix()}",
        label="",
        load=partial(open_inside, root, path),
        file=path,
        group=family,
        person=person,
    )


def _fiw(root: Path) -> tuple[list[Record], Relations]:
    records, relations = [], {}
    for family_dir in sorted(p for p in root.iterdir() if p.is_dir() and re.fullmatch(r"F\d+", p.name)):
        family = family_dir.name
        for member_dir in sorted(p for p in family_dir.iterdir() if p.is_dir() and p.name.startswith("MID")):
            person = f"{family}/{member_dir.name}"
            records += [
                _face(root, f, family, person)
                for f in sorted(member_dir.iterdir())
                if f.suffix.lower() in IMAGE_SUFFIXES
            ]
        table = family_dir / "mid.csv"
        if not table.exists():
            continue
        relations.update(_fiw_relations(table, family))
    return records, relations


def _fiw_relations(table: Path, family: str) -> Relations:
    """The relations of one FIW `mid.csv`; `SourceError` naming the file, row and field when malformed."""
    try:
        with open(table, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except (UnicodeDecodeError, csv.Error) as err:
        raise SourceError(f"{table}: not a readable CSV file ({err})") from None
    except OSError as err:  # a folder named mid.csv, no permission
        raise SourceError(
            f"{table}: cannot be read ({err.strerror or type(err).__name__}); mid.csv must be a CSV file"
        ) from None
    relations = {}
    for number, row in enumerate(rows, 2):  # line 1 is the header
        member = str(row.get("MID") or "").strip()
        if not member.isdigit():
            raise SourceError(
                f"{table}:{number}: field `MID` is missing or not a member number; FIW mid.csv needs "
                "a MID column and one column per member number"
            )
        for column, value in row.items():
            if column and column.isdigit() and str(value).strip().isdigit():
                relation = FIW_CODES.get(int(value))
                if relation and column != member:
                    relations[f"{family}/MID{member}", f"{family}/MID{column}"] = relation
    return relations


def _kinfacew(root: Path) -> tuple[list[Record], Relations]:
    base = root / "images" if (root / "images").is_dir() else root
    records, relations = [], {}
    for folder in sorted(p for p in base.iterdir() if p.is_dir() and p.name in KINFACEW_FOLDERS):
        for path in sorted(folder.iterdir()):
            match = re.fullmatch(r"([a-z]{2})_(\d+)_([12])", path.stem)
            if not match or path.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            family = f"{match.group(1)}_{match.group(2)}"
            person = f"{family}/{'parent' if match.group(3) == '1' else 'child'}"
            records.append(_face(root, path, family, person))
            relations[f"{family}/parent", f"{family}/child"] = "parent"
            relations[f"{family}/child", f"{family}/parent"] = "child"
    return records, relations


def kinship_records(path: str) -> tuple[list[Record], Relations]:
    root = Path(path)
    if not root.is_dir():
        raise SourceError(
            f"kinship:{path}: no such folder; use the FIW (F0001/MID1/*.jpg) or KinFaceW layout"
        )
    names = {p.name for p in root.iterdir() if p.is_dir()} | (
        {p.name for p in (root / "images").iterdir() if p.is_dir()} if (root / "images").is_dir() else set()
    )
    if any(re.fullmatch(r"F\d+", n) for n in names):
        records, relations = _fiw(root)
    elif names & set(KINFACEW_FOLDERS):
        records, relations = _kinfacew(root)
    else:
        raise SourceError(
            f"kinship:{path}: neither FIW family folders (F0001/...) nor KinFaceW folders (fd, fs, md, ms)"
        )
    people = {r.person for r in records}
    relations = {pair: rel for pair, rel in relations.items() if pair[0] in people and pair[1] in people}
    if not relations:
        raise SourceError(
            f"kinship:{path}: no relation between two people with images; check mid.csv / pair names"
        )
    return records, relations
