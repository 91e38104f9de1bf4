"""The Pyserini plug-in: encoder classes, Java discovery and the ``--encoder`` name resolution.

Import-light on purpose: the start-up hook imports :mod:`.java` and :mod:`.patches` while Pyserini
loads; only :mod:`.encoders` pulls in torch and Pyserini.
"""
