"""The bounds of a model, in a module of its own (importing nothing) so that the command line
and the reader can state them without importing NumPy, pandas or scikit-learn.

``fit`` looks for at most :data:`MAX_K` segments (in Python and on the command line), and a
model file with more is refused (:mod:`segmentation.model.file_checks`): each segment costs a
column of distances in every prediction and a card in the report.
"""

#: The most segments a model has: more than anyone can act on.
MAX_K = 1000

#: The largest spending (m.u. a year, in one category) a model is fitted on or segments: far
#: beyond any customer's.
MAX_MODEL_SPENDING = 1e15
