"""Data quality: missing values, noise and outliers, few labels, and the data-quality report."""
