"""The participant directory: loading the public list (`services.py`) and the cached
look-ups every product reads (`selectors.py`)."""
