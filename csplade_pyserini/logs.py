"""Third-party loggers that speak on every model load, quieted where csplade runs the process (its command
line, its Pyserini plug-in) or loads a model, never on ``import csplade_pyserini``."""
from __future__ import annotations

import logging

# The --dtype quantization libraries log on every transformers model load, wanted or not: torchao that its
# GPU kernels cannot load on a CPU (and torch a deprecation of one of its registrations); bitsandbytes
# (through the `kernels` package) that offline it cannot fetch its optimised CPU 4-bit kernel from the hub,
# so bnb-nf4/fp4 run bitsandbytes' slower fallback here (docs/quantization.md).
NOISY_LOGGERS = ("torchao", "torch.utils._pytree", "bitsandbytes", "kernels")


def quiet_noisy_loggers() -> None:
    """Raise those loggers to ERROR, unless the application configured them (importing this package
    changes no logging; loading a model does, for loggers left at their default)."""
    for name in NOISY_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.ERROR)
