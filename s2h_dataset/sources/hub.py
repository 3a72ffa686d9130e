"""`hub:DATASET_ID[:CONFIG][@SPLIT]` - any `datasets` dataset (Hub id or local path) with image + class label.

Images are read undecoded (`Image(decode=False)`), so listing records touches only the label column and a
picture is decoded once, when the build encodes it.
"""

from __future__ import annotations

import io
from functools import partial

from PIL import Image

from .base import Record, SourceError

__all__ = ["hub_records", "parse_hub_spec"]


def parse_hub_spec(spec: str) -> tuple[str, str | None, str]:
    """'org/name:config@split' -> ('org/name', 'config', 'split'); config optional, split defaults to train."""
    rest, _, split = spec.partition("@")
    dataset_id, _, config = rest.partition(":")
    if not dataset_id:
        raise SourceError(f"hub:{spec}: missing dataset id; use hub:DATASET_ID[:CONFIG][@SPLIT]")
    return dataset_id, config or None, split or "train"


def _decode(dataset, column: str, index: int) -> Image.Image:
    value = dataset[index][column]
    if value.get("bytes") is not None:
        return Image.open(io.BytesIO(value["bytes"]))
    return Image.open(value["path"])


def hub_records(spec: str, image_column: str, label_column: str, caption_column: str | None) -> list[Record]:
    import datasets

    dataset_id, config, split = parse_hub_spec(spec)
    try:
        dataset = datasets.load_dataset(dataset_id, config, split=split)
    except Exception as err:  # datasets raises many types; the user needs the one-line reason and the fix
        from ..hubnet import explain

        raise SourceError(explain(err, f"hub:{spec}: could not load with datasets")) from None
    for column in filter(None, (image_column, label_column, caption_column)):
        if column not in dataset.column_names:
            raise SourceError(
                f"hub:{spec}: no column `{column}` (columns: {', '.join(dataset.column_names)}); "
                "set --image-column / --label-column / --caption-column"
            )
    dataset = dataset.cast_column(image_column, datasets.Image(decode=False))
    labels = dataset[label_column]
    feature = dataset.features[label_column]
    if isinstance(feature, datasets.ClassLabel):
        labels = [feature.int2str(int(value)) for value in labels]
    captions = dataset[caption_column] if caption_column else [None] * len(dataset)
    name = f"{dataset_id}:{config or 'default'}@{split}"
    # `datasets` fingerprints a dataset by its data files and revision: the rows' bytes, not their index
    fingerprint = dataset._fingerprint
    return [
        Record(
            source_id=f"hub:{name}:{index}",
            label=str(label).replace("_", " ").split(",")[0].strip(),
            load=partial(_decode, dataset, image_column, index),
            caption=caption,
            stamp=f"{fingerprint}:{index}",
        )
        for index, (label, caption) in enumerate(zip(labels, captions))
    ]
