"""Pure codecs of the wire app, free of Django: the STR messages (`str_messages.py`)."""
