"""``csplade bench``: encode/search/index performance and the quantization study, as ratios in one run.

One module per measurement family: :mod:`.throughput` (chunked pooling vs naive vs the limit),
:mod:`.memory` (peak memory, a fresh process per configuration via :mod:`.memory_probe`),
:mod:`.retrieval` (sparsity, index size, search latency, query pruning, impact weights) and
:mod:`.quantization` (model precisions). :mod:`.runner` runs them and :mod:`.report` renders the
markdown table from the JSON results.
"""
