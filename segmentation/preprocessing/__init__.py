"""From a customer table to the numbers that are clustered: spending columns, the log
transform, totals, and summaries used to explore them.
"""
