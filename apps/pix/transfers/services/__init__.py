"""Pix transfer services: send, payees, scheduled, receive, refunds and the SPI submission."""
