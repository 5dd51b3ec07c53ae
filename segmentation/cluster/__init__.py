"""Clustering: k-means (its readable steps, the private fast kernel and the estimator),
segment numbering, and choosing k.
"""
