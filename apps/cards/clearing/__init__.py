"""Clearing and settlement of card purchases as the issuer (issue #14, item 4).

* `codecs/`: our fixed-width layout of the network's daily clearing file (ATHENA-CLR 001),
  documented field by field in `codecs/layout.py`, with `parse_file` (refuses a bad file
  naming its line and field) and `write_file` (the network simulator's and the tests');
  pure Python, free of Django;
* `models.py`: the files received, their lines, the operator queue of mismatches and the
  day's net settlements;
* `services.py`: fetching and processing files (holds into postings), the queue's
  resolutions and the day's net settlement; `tasks.py`: the Celery entry points.

This package's `__init__` imports nothing, so the codecs can be used without Django.
"""
