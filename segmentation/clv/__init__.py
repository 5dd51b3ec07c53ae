"""Customer lifetime value: historic value, and the BG/NBD and gamma-gamma models fitted by
maximum likelihood."""
