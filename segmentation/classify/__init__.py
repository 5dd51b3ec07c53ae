"""Classifiers that predict a label of the customers (for example Channel) from their spending.

``models`` holds the course's standard classifiers and their grids, ``compare`` scores them by
nested cross-validation, side by side, and ``explain`` says what a fitted classifier looks at
(permutation importance, partial dependence, a tree's rules, SHAP values).
"""
