"""The Celery broker's transport: kombu's Redis transport with one fix, so that a worker rides
out a Redis outage instead of exiting (issue #16).

When Redis goes away while a task is unacknowledged (acks_late), Celery 5.7 drops the lost
connection (`Consumer.on_connection_error_after_connected`: collect, then close) and kombu,
closing the channel again, tries to put the task's message back: it builds a client from the
connection's settings, which the collect has just set to None, and raises AttributeError.
That is no connection error, so nothing catches it: "Unrecoverable error" and the worker exits
(found by bench/fault_drill.py; tests/test_fault_drill.py reproduces it). Here the missing
settings raise the connection error they stand for, which Celery ignores while it reconnects;
the message stays in the unacknowledged set and comes back after the visibility timeout, as it
would had the worker been killed. Nothing else changes. Remove this module (and
CELERY_BROKER_TRANSPORT) once kombu reads a closed connection's settings safely.
"""

import redis
from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous=False):
        if self.connection.client is None:
            raise redis.exceptions.ConnectionError("the broker connection is already closed")
        return super()._connparams(asynchronous=asynchronous)


class Transport(kombu_redis.Transport):
    Channel = Channel
