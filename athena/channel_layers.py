"""The channel layer settings, shared by settings.py and the tests that build their own."""

from __future__ import annotations

# channels_redis waits for a websocket's next message with BZPOPMIN blocking 5 s, and
# redis-py 8 gives every read a 5 s socket timeout by default: the two race, the read times
# out now and then, the consumer dies and the page misses what came while it reconnected.
# Reads must outwait the block.
REDIS_READ_TIMEOUT_SECONDS = 30


def redis_layer(url: str, prefix: str) -> dict:
    return {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [{"address": url, "socket_timeout": REDIS_READ_TIMEOUT_SECONDS}],
            "prefix": prefix,
        },
    }


def postgres_layer(prefix: str) -> dict:
    return {
        "BACKEND": "apps.core.pg_channel_layer.PostgresChannelLayer",
        "CONFIG": {"prefix": prefix},
    }
