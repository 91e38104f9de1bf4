"""Sub-commands of ``csplade``: each module has ``register(subparsers)`` and a ``run(args)``."""
