"""Every quantization method of --dtype on a tiny model: the vectors of those that run here stay close
to bf16's (cosine), and one that cannot run is a one-line error naming the library's reason."""
import pytest
import torch

from csplade_pyserini.encode.identity import weights_fingerprint
from csplade_pyserini.errors import CspladeError
from csplade_pyserini.loading.load import load_model
from csplade_pyserini.loading.quantization import METHODS
from csplade_pyserini.loading.tiny import save_tiny

TEXTS = ["proteins regulate cell death and apoptosis in cancer cells", "the lazy dog sleeps all day in the sun"]
# the smallest cosine to the bf16 vectors (doc side, all vocabulary entries), per bit width
TOLERANCE = {"8": 0.98, "4": 0.90}
# the methods that cannot run on this CPU, with the start of the library's own reason
UNAVAILABLE_ON_CPU = {"torchao-int4wo": "torchao cannot quantize this model on cpu"}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return save_tiny(tmp_path_factory.mktemp("tiny-q"), hidden=128)


@pytest.fixture(scope="module")
def reference(model_dir):
    return load_model(str(model_dir), dtype="bfloat16").weights(TEXTS, "doc")


@pytest.mark.parametrize("method", METHODS)
def test_method_is_close_to_bf16_or_a_one_line_error(model_dir, reference, method):
    if method in UNAVAILABLE_ON_CPU:
        with pytest.raises(CspladeError, match=UNAVAILABLE_ON_CPU[method]) as error:
            load_model(str(model_dir), dtype=method)
        assert "\n" not in str(error.value)
        return
    model = load_model(str(model_dir), dtype=method)
    weights = model.weights(TEXTS, "doc")
    assert len(weights_fingerprint(model.lm)) == 64  # exports record it: quantized tensor types included
    bits = "4" if method.endswith(("nf4", "fp4", "int4wo")) else "8"
    cosine = torch.nn.functional.cosine_similarity(weights, reference, dim=1)
    assert (cosine > TOLERANCE[bits]).all(), (method, cosine)


def test_an_unknown_method_is_a_one_line_error(model_dir):
    with pytest.raises(CspladeError, match="unknown dtype 'int3'"):
        load_model(str(model_dir), dtype="int3")
