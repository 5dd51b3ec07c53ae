"""Transaction logs: their layout, a seeded generator, a checked reader, and the cleaning
that comes before RFM."""
