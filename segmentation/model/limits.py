"""The most segments a model has, in a module of its own so that the command line can state
the limit (in ``--help``) without importing NumPy, pandas or scikit-learn.

``fit`` looks for at most :data:`MAX_K` segments (in Python and on the command line), and a
model file with more is refused (:mod:`segmentation.model.file_checks`): each segment costs a
column of distances in every prediction and a card in the report.
"""

#: The most segments a model has: more than anyone can act on.
MAX_K = 1000
