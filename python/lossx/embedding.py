"""The embedding family of lossx (see classification.py for the conventions)."""

from __future__ import annotations

__all__: list[str] = []
