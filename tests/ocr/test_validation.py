"""ocr.validation: folds grouped by shop (some shops seen in training, the others never), every receipt validated
once by a model that was not fitted on it, and the replay with the vendor memory."""

from datetime import date

from ocr.config import ExtractionConfig
from ocr.fields.training import prepare
from ocr.validation import cross_validate, replay, validation_folds
from tests.ocr.fields.test_training import labelled

CONFIG = ExtractionConfig(today=date(2024, 6, 1))


def test_a_shop_is_either_spread_over_the_folds_or_whole_in_one():
    counts = [5, 4, 3, 2, 2, 1, 1, 1, 1, 1]
    groups = [shop for shop, count in zip("abcdefghij", counts, strict=True) for _ in range(count)]
    fold = validation_folds(groups, 3, seed=0)
    spread = {g for g in set(groups) if len({f for f, h in zip(fold, groups, strict=True) if h == g}) > 1}
    assert spread and spread < {g for g in set(groups) if groups.count(g) >= 2}  # some shops seen, some not
    assert fold == validation_folds(groups, 3, seed=0) and set(fold) == {0, 1, 2}


def test_every_receipt_is_validated_once_by_a_model_of_the_other_folds():
    prepared = prepare(labelled(12), CONFIG)
    messages = []
    validated = cross_validate(prepared, CONFIG, folds=3, seed=0, progress=messages.append)
    assert [v.result.name for v in validated] == [p.receipt.name for p in prepared]
    assert len(messages) == 3 and messages[0].startswith("fold 1 of 3: trained on")
    fold = validation_folds([p.receipt.group for p in prepared], 3, seed=0)
    for i, item in enumerate(validated):
        in_training = {p.receipt.group for p, f in zip(prepared, fold, strict=True) if f != fold[i]}
        assert item.seen == (prepared[i].receipt.group in in_training)
    assert sum(v.result.correct("total") for v in validated) >= 10  # invented shops: the model reads them


def test_the_replay_recalls_a_shop_approved_before():
    prepared = prepare(labelled(8), CONFIG)
    replayed = replay(prepared, cross_validate(prepared, CONFIG, folds=2, seed=0), CONFIG)
    recalled = ["vendor_recalled" in {f.code for f in v.result.reading[1].flags} for v in replayed]
    assert recalled[:4] == [False] * 4 and all(recalled[4:])  # each of the 4 shops comes back once
    assert all(v.result.correct("vendor") for v in replayed[4:])
