"""ocr.fields.ranker: the trees LightGBM trained, evaluated with numpy to the same scores, and the model file."""

import json

import numpy as np
import pytest

from ocr.fields.candidates import Candidate
from ocr.fields.ranker import MODEL_PATH, Calibration, FamilyModel, Ranker, ranking_signals, shipped_ranker
from ocr.fields.training import trees_of


def booster(objective: str, seed: int = 0):
    import lightgbm

    rng = np.random.default_rng(seed)
    features = rng.normal(size=(600, 5))
    features[rng.random(features.shape) < 0.2] = np.nan  # missing features take the tree's default way
    features[:, 3] = rng.integers(0, 3, 600)
    labels = (np.nan_to_num(features[:, 0]) + (features[:, 3] == 1) > 0.5).astype(int)
    group = {"group": [20] * 30} if objective == "lambdarank" else {}
    dataset = lightgbm.Dataset(features, labels, **group)
    return lightgbm.train({"objective": objective, "verbose": -1, "num_leaves": 7, "min_data_in_leaf": 5,
                           "num_threads": 1}, dataset, 30)


@pytest.mark.parametrize("objective", ["lambdarank", "binary"])
def test_the_numpy_trees_score_exactly_as_lightgbm(objective):
    trained = booster(objective)
    rng = np.random.default_rng(1)
    unseen = rng.normal(size=(200, 5))
    unseen[rng.random(unseen.shape) < 0.3] = np.nan
    ours = trees_of(trained).predict(unseen)
    assert np.allclose(ours, trained.predict(unseen, raw_score=True), rtol=0, atol=1e-9)
    assert trees_of(trained).predict(np.zeros((0, 5))).shape == (0,)


def test_trees_survive_the_model_file(tmp_path):
    trees = trees_of(booster("lambdarank"))
    calibration = Calibration(("ranking_lead", "a"), (0.5, 0.0), (2.0, 1.0), (1.5, 0.1), -0.5)
    ranker = Ranker({"total": FamilyModel(("a", "b", "c", "d", "e"), trees, calibration)}, {"seed": 3})
    ranker.save(tmp_path / "model.json")
    loaded = Ranker.load(tmp_path / "model.json")
    assert loaded.card == {"seed": 3} and loaded.families["total"].calibration == calibration
    probe = np.random.default_rng(2).normal(size=(10, 5))
    assert np.array_equal(loaded.families["total"].trees.predict(probe), trees.predict(probe))


def test_a_model_file_of_another_format_says_to_retrain(tmp_path):
    (tmp_path / "old.json").write_text(json.dumps({"format": 0, "card": {}, "families": {}}))
    with pytest.raises(ValueError, match="retrain it with `cli.py train`"):
        Ranker.load(tmp_path / "old.json")


def test_ranking_puts_the_best_first_with_a_confidence_from_its_lead_and_its_features():
    trees = trees_of(booster("binary"))
    calibration = Calibration(("ranking_lead", "ranking_same_value", "c"), (1.0, 0.0, 0.0), (0.5, 1.0, 1.0),
                              (2.0, 0.3, -1.0), 0.1)
    family = FamilyModel(("a", "b", "c", "d", "e"), trees, calibration)
    def candidate(value, a):
        return Candidate("total", value, value, (), 0, 0, "tesseract", {"a": a, "b": 0.0, "c": 0.0, "d": 1.0, "e": 0.0})
    ranked = family.rank([candidate("1.00", -2.0), candidate("9.00", 2.0), candidate("9.00", 1.9)])
    assert [c.value for c in ranked] == ["9.00", "9.00", "1.00"] and ranked[0].score > ranked[2].score
    lead = ranked[0].score - ranked[2].score  # the best other value, not the same value read twice
    logit = 2.0 * (lead - 1.0) / 0.5 + 0.3 * 2 - 1.0 * 0.0 + 0.1  # two candidates read 9.00; the winner's c is 0
    assert ranked[0].confidence == pytest.approx(1 / (1 + np.exp(-logit)))
    unknown = Calibration(("memory_vendor",), (0.4,), (1.0,), (5.0,), 0.0)  # a feature the winner lacks: its mean
    assert FamilyModel(family.features, trees, unknown).rank(ranked)[0].confidence == pytest.approx(0.5)
    assert family.rank([]) == []
    assert Ranker({}, {}).rank("vendor", ranked) == ranked  # no model for a field: as given


def scored(*values_and_scores):
    return [Candidate("vendor", value, value, (), 0, 0, "tesseract", {}, score) for value, score in values_and_scores]


def test_the_value_share_counts_every_candidate_backing_the_winner_and_every_close_rival():
    # the winner's value read twice (scores 2 and 1) against one rival at 2: share (e^2 + e) / (2 e^2 + e)
    backed = ranking_signals(scored(("SHOP", 2.0), ("SH0P", 2.0), ("SHOP", 1.0)))["ranking_value_share"]
    assert backed == pytest.approx(np.log1p(np.exp(-1.0)))
    alone = ranking_signals(scored(("SHOP", 2.0), ("SH0P", 2.0)))["ranking_value_share"]
    assert alone == pytest.approx(0.0)  # an even split: as likely one as the other
    crowded = ranking_signals(scored(("SHOP", 2.0), ("SH0P", 2.0), ("SHOR", 2.0)))["ranking_value_share"]
    assert crowded < alone < backed  # the same lead over the runner-up (0) in each
    unrivalled = ranking_signals(scored(("SHOP", 2.0), ("SHOP", -5.0)))["ranking_value_share"]
    assert unrivalled == pytest.approx(np.log(1e9))  # finite, however sure


def test_the_shipped_model_covers_the_learned_fields_and_says_how_it_was_made():
    ranker = shipped_ranker()
    assert set(ranker.families) == {"vendor", "vendor_address", "date", "total"}
    card = ranker.card
    assert card["command"].startswith("python cli.py train") and card["receipts"] >= 300
    assert {"all", "unseen shops", "replay all"} <= set(card["figures"]) and card["seed"] == 0
    assert MODEL_PATH.stat().st_size < 2_000_000  # small enough for the repository
