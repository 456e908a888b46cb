"""Cases of the margin losses (see cases.py)."""
