"""services/learning.py: a model held out from some shops reads their receipts (real pipeline, real LightGBM)."""

from __future__ import annotations

import pytest

from ocr.config import OcrConfig
from services import learning
from tests import labelled


@pytest.fixture(scope="module")
def read(tmp_path_factory):
    """Six receipts of three invented shops, laid out like sroie-dev, read by the pipeline."""
    root = labelled.write_folder(tmp_path_factory.mktemp("labelled"))
    return learning.read_folders([root], OcrConfig(), cache=None, workers=1, progress=lambda _: None)


@pytest.mark.slow
def test_a_held_out_model_never_sees_the_shops_it_is_kept_from_and_still_reads_them(read):
    config = OcrConfig()
    shop = read[0].receipt.group
    ranker = learning.held_out_ranker(read, {shop}, config, seed=0)
    assert ranker.card == {"held_out_shops": [shop], "receipts": 4}  # two receipts per shop: 6 - 2
    results = learning.model_results([r for r in read if r.receipt.group == shop], config, ranker)
    assert [r.name for r in results] == [r.receipt.name for r in read if r.receipt.group == shop]
    assert all(r.correct("date") and r.correct("total") for r in results)
