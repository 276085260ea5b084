"""Reads of Pix that other apps (and the simulators) ask for: the Pix participants.

The look-ups live in apps/pix/participants.py; this public room names the ones other apps
may use, so the import contracts can keep the rest of apps.pix private.
"""

from apps.pix.participants import Participant, by_ispb, name_of, own_ispb, pix_participants

__all__ = ["Participant", "by_ispb", "name_of", "own_ispb", "pix_participants"]
