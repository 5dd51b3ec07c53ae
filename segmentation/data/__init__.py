"""The course's data: its columns (schema), the data sets it ships, and the checked
readers and writers of customer files.
"""
