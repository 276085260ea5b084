"""The outside world of the wire app: the STR (`str_client.py`)."""
