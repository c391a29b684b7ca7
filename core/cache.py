"""A Redis cache that fails open: when Redis is unreachable, reads miss and writes are skipped
with a logged warning, so a request never fails because the cache is down.

The cache holds only what can be rebuilt or forgotten (rate-limit counters, rendered fragments).
Failing open means rate limits stop counting while Redis is away; failing closed would lock every
member and every member of staff out of logging in, which is the worse outage for a shop."""

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger("suki.cache")

# After a failure, calls skip Redis for this many seconds instead of waiting on it again.
PAUSE_SECONDS = 5.0


class FailOpenRedisCache(RedisCache):
    def __init__(self, server, params):
        options = params.setdefault("OPTIONS", {})
        options.setdefault("socket_connect_timeout", 0.5)
        options.setdefault("socket_timeout", 0.5)
        super().__init__(server, params)
        self._down_until = 0.0

    def _guarded(self, operation, fallback, *args, **kwargs):
        if time.monotonic() < self._down_until:
            return fallback
        try:
            return operation(*args, **kwargs)
        except Exception as error:  # redis raises ConnectionError, TimeoutError, OSError …
            if not _is_redis_outage(error):
                raise
            self._down_until = time.monotonic() + PAUSE_SECONDS
            logger.warning("Cache unavailable, carrying on without it: %s", error)
            return fallback

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(super().add, True, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._guarded(super().get, default, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(super().set, None, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(super().touch, False, key, timeout, version)

    def delete(self, key, version=None):
        return self._guarded(super().delete, False, key, version)

    def get_many(self, keys, version=None):
        return self._guarded(super().get_many, {}, keys, version)

    def has_key(self, key, version=None):
        return self._guarded(super().has_key, False, key, version)

    def incr(self, key, delta=1, version=None):
        return self._guarded(super().incr, delta, key, delta, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(super().set_many, [], data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._guarded(super().delete_many, None, keys, version)

    def clear(self):
        return self._guarded(super().clear, False)


def _is_redis_outage(error: Exception) -> bool:
    import redis

    return isinstance(error, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError)
