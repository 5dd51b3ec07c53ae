"""The HTML report of a segmentation, for people who do not read code."""
