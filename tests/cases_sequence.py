"""Cases of the sequence losses (see cases.py)."""
