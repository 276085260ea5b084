"""The card networks behind interfaces (`clearing.py`); settings choose the implementation."""
