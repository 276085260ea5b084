"""Pix transfers: send, receive, scheduled, refunds, the night limit, notifications, and
the received-Pix reads of the API Pix (selectors)."""
