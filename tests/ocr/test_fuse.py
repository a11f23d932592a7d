"""ocr.fuse: the rewritten network computes what the original did, with fewer nodes."""

from pathlib import Path

import cv2
import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper, numpy_helper

from ocr.fuse import fuse


def _session(model_bytes: bytes) -> onnxruntime.InferenceSession:
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])


def _scalar(name: str, value: float) -> onnx.NodeProto:
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(np.array(value, np.float32)))


def _block(pads: list[int]) -> bytes:
    """conv -> *s +b -> x * clip(x + 3, 0, 6) / 6 -> *s +b -> conv (1 x 1 unpadded, or 3 x 3 with `pads`)."""
    rng = np.random.default_rng(0)
    kernel = 1 if not any(pads) else 3
    weights = [numpy_helper.from_array(rng.normal(size=(4, 3, 3, 3)).astype(np.float32), "w1"),
               numpy_helper.from_array(rng.normal(size=4).astype(np.float32), "b1"),
               numpy_helper.from_array(rng.normal(size=(5, 4, kernel, kernel)).astype(np.float32), "w2"),
               numpy_helper.from_array(rng.normal(size=5).astype(np.float32), "b2")]
    nodes = [_scalar(name, value) for name, value in
             [("s1", 1.7), ("t1", 0.4), ("three", 3.0), ("zero", 0.0), ("six", 6.0), ("s2", 0.3), ("t2", -0.2)]]
    nodes += [helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
              helper.make_node("Mul", ["s1", "c1"], ["m1"]), helper.make_node("Add", ["m1", "t1"], ["a1"]),
              helper.make_node("Add", ["a1", "three"], ["p3"]), helper.make_node("Clip", ["p3", "zero", "six"], ["cl"]),
              helper.make_node("Mul", ["a1", "cl"], ["mc"]), helper.make_node("Div", ["mc", "six"], ["hs"]),
              helper.make_node("Mul", ["s2", "hs"], ["m2"]), helper.make_node("Add", ["m2", "t2"], ["a2"]),
              helper.make_node("Conv", ["a2", "w2", "b2"], ["y"], pads=pads)]
    graph = helper.make_graph(nodes, "block", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 16])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], initializer=weights)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 12)]).SerializeToString()


def _run(model_bytes: bytes, x: np.ndarray) -> np.ndarray:
    return _session(model_bytes).run(None, {"x": x})[0]


def test_every_pattern_is_rewritten_and_the_output_is_unchanged():
    original = _block(pads=[0, 0, 0, 0])
    fused, counts = fuse(original)
    x = np.random.default_rng(1).normal(size=(1, 3, 8, 16)).astype(np.float32)
    assert counts == {"hardswish": 1, "after_conv": 1, "before_conv": 1}
    assert [node.op_type for node in onnx.load_from_string(fused).graph.node] == ["Conv", "HardSwish", "Conv"]
    np.testing.assert_allclose(_run(fused, x), _run(original, x), rtol=1e-5, atol=1e-5)


def test_a_scale_before_a_padded_convolution_stays_where_it_is():
    # folded, the padding's zeros would become the shift: the border pixels would change
    original = _block(pads=[1, 1, 1, 1])
    fused, counts = fuse(original)
    x = np.random.default_rng(2).normal(size=(1, 3, 8, 16)).astype(np.float32)
    assert counts["before_conv"] == 0
    np.testing.assert_allclose(_run(fused, x), _run(original, x), rtol=1e-5, atol=1e-5)


@pytest.fixture(scope="module")
def recogniser_model() -> bytes:
    import rapidocr_onnxruntime

    return (Path(rapidocr_onnxruntime.__file__).parent / "models" / "ch_PP-OCRv4_rec_infer.onnx").read_bytes()


def test_the_second_readers_network_reads_a_text_line_as_before(recogniser_model):
    fused, counts = fuse(recogniser_model)
    line = np.full((48, 470), 255, np.uint8)  # a text line at the network's input height
    cv2.putText(line, "TOTAL RM 12.50", (8, 36), cv2.FONT_HERSHEY_SIMPLEX, 1.1, 0, 2)
    x = (np.repeat(line[None, None], 3, axis=1) / 127.5 - 1).astype(np.float32)  # rapidocr's scaling to -1..1
    assert min(counts.values()) > 0
    assert len(onnx.load_from_string(fused).graph.node) < len(onnx.load_from_string(recogniser_model).graph.node)
    before, after = _run(recogniser_model, x), _run(fused, x)
    np.testing.assert_allclose(after, before, atol=1e-4)
    assert (after.argmax(axis=2) == before.argmax(axis=2)).all()
