import torch

from csplade_pyserini.loading.precision import cpu_features, cpu_model, cpu_signature, device_signature


def test_the_cpu_signature_names_model_extensions_and_threads(monkeypatch):
    """What a speed was measured on: two thread counts are two machines."""
    signature = cpu_signature()
    assert signature.startswith(cpu_model()) and signature.endswith(f", {torch.get_num_threads()} threads")
    assert all(feature in signature for feature in cpu_features())
    assert device_signature("cpu") == signature
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(threads + 1)
        assert cpu_signature() != signature
    finally:
        torch.set_num_threads(threads)
