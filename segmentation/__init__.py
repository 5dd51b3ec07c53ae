"""Helpers for the customer-segmentation course.

Importing the package only defines names; nothing is loaded, drawn or downloaded. Import the
module you need, for example ``from segmentation.data import load_customers``.
"""

__version__ = "0.1.0"
