"""Cases of the embedding losses (see cases.py)."""
