"""Level mixtures: flat (paper) and weighted, in memory and streamed, as built and as the trainer reads them."""

from __future__ import annotations

from collections import Counter

import pytest
from datasets import Dataset

from s2h_dataset.errors import UserError
from s2h_dataset.testing import tiny_vlm_cache
from s2h_dataset.training import S2HScriptArguments, flat_mixture, weighted_mixture
from s2h_dataset.training.arguments import parse_levels, parse_stages, parse_weights


def _parts(sizes: dict[int, int]) -> dict[int, Dataset]:
    return {
        lv: Dataset.from_dict({"id": [f"{lv}-{i}" for i in range(n)], "level": [lv] * n})
        for lv, n in sizes.items()
    }


def test_flat_mixture_keeps_every_row_once_and_mixes():
    mixed = flat_mixture(_parts({1: 10, 2: 10, 3: 10}), seed=0)
    assert sorted(mixed["id"]) == sorted(f"{lv}-{i}" for lv in (1, 2, 3) for i in range(10))
    assert len(set(list(mixed["level"])[:10])) > 1  # shuffled together, not level after level
    assert list(flat_mixture(_parts({1: 10, 2: 10, 3: 10}), seed=0)["id"]) == list(mixed["id"])
    assert list(flat_mixture(_parts({1: 10, 2: 10, 3: 10}), seed=1)["id"]) != list(mixed["id"])


def test_weighted_mixture_draws_each_level_share():
    mixed = weighted_mixture(_parts({1: 20, 2: 20, 3: 20}), (1, 1, 2), seed=0)
    counts = Counter(mixed["level"])
    assert len(mixed) == 60 and counts == {1: 15, 2: 15, 3: 30}
    ids3 = [i for i in mixed["id"] if i.startswith("3-")]
    assert set(Counter(ids3).values()) <= {1, 2} and len(set(ids3)) == 20  # all 20 used before any repeats
    ids1 = [i for i in mixed["id"] if i.startswith("1-")]
    assert len(set(ids1)) == 15  # no repeats when the share is below the level's size


def test_weighted_mixture_zero_weight_drops_a_level():
    assert Counter(weighted_mixture(_parts({1: 5, 3: 7}), (0, 1), seed=0)["level"]) == {3: 12}


@pytest.mark.parametrize(
    ("spec", "levels"), [("all", (1, 2, 3)), ("level3,level1", (3, 1)), ("2", (2,)), ("level1, 3", (1, 3))]
)
def test_parse_levels(spec, levels):
    assert parse_levels(spec, "dataset_config") == levels


@pytest.mark.parametrize("spec", ["level4", "all,level1", "level1,level1", ""])
def test_parse_levels_rejects(spec):
    with pytest.raises(UserError, match="dataset_config"):
        parse_levels(spec, "dataset_config")


def test_parse_weights():
    assert parse_weights("1,1,2", (1, 2, 3)) == (1, 1, 2)
    assert parse_weights("level3=2,level1=1", (1, 2, 3)) == (1, 0, 2)
    for bad in ("1,2", "a,b,c", "0,0,0", "-1,1,1", "level3=1,level4=1"):
        with pytest.raises(UserError, match="level_weights"):
            parse_weights(bad, (1, 2, 3))


def test_parse_stages():
    assert parse_stages("1;2,3") == ((1,), (2, 3))
    assert parse_stages("level1; level2 ;level3") == ((1,), (2,), (3,))
    assert parse_stages("1;1,2") == ((1,), (1, 2))  # a level may return in a later stage
    for bad in ("1,2,3", "1;4", "1;2,2", "1;"):
        with pytest.raises(UserError, match="curriculum"):
            parse_stages(bad)


def test_script_arguments_validate():
    with pytest.raises(UserError, match="not both"):
        S2HScriptArguments(dataset_name="x", curriculum="1;2", level_weights="1,1")
    with pytest.raises(UserError, match="dataset_config"):
        S2HScriptArguments(dataset_name="x", dataset_config="level1", curriculum="1;2")
    with pytest.raises(UserError, match="separate stages with `;`"):  # the old one-run spelling is refused
        S2HScriptArguments(dataset_name="x", curriculum="level1,level2,level3")
    args = S2HScriptArguments(dataset_name="x", curriculum="3;1,2")
    assert args.mode == "curriculum" and args.stages == ((3,), (1, 2)) and args.levels == (3, 1, 2)
    assert S2HScriptArguments(dataset_name="x", processor_kwargs='{"max_pixels": 3136}').processor_kwargs == {
        "max_pixels": 3136
    }
    with pytest.raises(UserError, match="processor_kwargs"):
        S2HScriptArguments(dataset_name="x", processor_kwargs="max_pixels=3136")


def _rows_seen(trainer) -> list[int]:
    """The level of every row, in the order the trainer's own dataloader hands them out (one epoch)."""
    loader = trainer.get_train_dataloader()
    return [trainer.train_dataset[i]["level"] for batch in loader.batch_sampler for i in batch]


@pytest.mark.parametrize("mode", ["flat", "weighted"])
def test_script_feeds_the_trainer_the_mixture(mode, dpo_script, train_argv, tmp_path):
    extra = {
        "flat": ["--dataset_config", "all"],
        "weighted": ["--level_weights", "level1=1,level3=3"],
    }[mode]
    if mode == "weighted":
        extra += ["--dataset_config", "level1,level3"]
    trainer = dpo_script.main(
        [
            *train_argv(tiny_vlm_cache("llava"), tmp_path),
            "--max_steps",
            "1",
            *extra,
        ]
    )
    seen = _rows_seen(trainer)
    n = Counter(seen)
    card = (tmp_path / "README.md").read_text()
    if mode == "flat":
        assert n[1] == n[2] == n[3] and len(set(seen[: len(seen) // 3])) == 3
        assert "mixture: flat" in card
    else:
        assert set(n) == {1, 3} and abs(n[3] / len(seen) - 0.75) <= 1 / len(seen)
        assert '"level3": 3' in card.replace(".0", "")


@pytest.mark.slow
def test_streamed_mixture_reads_every_row_once(s2h_data):
    """`streaming=True`: the levels are IterableDatasets, interleaved; one pass yields the flat mixture's rows."""
    from datasets import IterableDataset

    from s2h_dataset.training import build_mixture

    streamed = build_mixture(
        S2HScriptArguments(dataset_name=str(s2h_data), streaming=True), 0, with_eval=True
    )
    flat = build_mixture(S2HScriptArguments(dataset_name=str(s2h_data)), 0, with_eval=False)
    assert isinstance(streamed.train, IterableDataset) and isinstance(streamed.eval, IterableDataset)
    assert streamed.rows is None and flat.rows == len(flat.train)
    ids = [row["id"] for row in streamed.train]
    assert sorted(ids) == sorted(flat.train["id"])  # every row, once
    levels = [int(i) for i in (row["level"] for row in streamed.train.take(12))]
    assert len(set(levels)) > 1  # interleaved, not level after level
    weighted = build_mixture(
        S2HScriptArguments(dataset_name=str(s2h_data), streaming=True, level_weights="1,0,0"),
        0,
        with_eval=False,
    )
    assert {row["level"] for row in weighted.train} == {1}


@pytest.mark.slow
def test_dpo_trains_on_a_streamed_mixture(dpo_script, train_argv, tmp_path):
    trainer = dpo_script.main(
        [
            *train_argv(tiny_vlm_cache("llava"), tmp_path),
            "--streaming",
            "true",
        ]
    )
    assert trainer.state.global_step == 2
    assert "mixture: flat" in (tmp_path / "README.md").read_text()
