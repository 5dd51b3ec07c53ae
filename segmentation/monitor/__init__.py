"""Keeping segments fresh: drift monitors, and the policies that decide when to retrain."""
