"""The segmentation model: a scikit-learn Pipeline (log transform, scaler, k-means) with its
segments named, evaluated and saved as JSON.
"""
