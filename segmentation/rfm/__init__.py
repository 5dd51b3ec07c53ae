"""RFM and RFM+X: recency, frequency and monetary value from a cleaned transaction log, their
scores and segment names, inactive customers, and cohort retention."""
