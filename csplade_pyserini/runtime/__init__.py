"""What runs Pyserini's Java side: a Java >= 21 found or installed (:mod:`.java`) and Pyserini's command-line
modules in a subprocess with it (:mod:`.pyserini_module`). Used by ``index/``, ``evaluate/``, ``search/`` and
the Pyserini plug-in; imports nothing of the package but its errors."""
