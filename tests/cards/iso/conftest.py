"""An ISO 8583 server on a free loopback port, in the test process (its worker threads use
the test database: transactional tests), and a client (tests/support/iso8583.py)."""

from __future__ import annotations

import pytest

from apps.cards.iso.server import running_server
from tests.support.iso8583 import IsoClient


@pytest.fixture
def iso_server(transactional_db):
    with running_server(workers=4) as server:
        yield server


@pytest.fixture
def iso_client(iso_server):
    client = IsoClient(iso_server.port)
    yield client
    client.close()
