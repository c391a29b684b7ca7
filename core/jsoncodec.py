"""JSON that gives back what it was given: Decimal, date, date-time and time spans survive a
round trip through a JSONField (plain DjangoJSONEncoder turns them into strings for good)."""

import datetime
import json
from decimal import Decimal

TAGS = {
    "decimal": (Decimal, str, Decimal),
    "datetime": (datetime.datetime, datetime.datetime.isoformat, datetime.datetime.fromisoformat),
    "date": (datetime.date, datetime.date.isoformat, datetime.date.fromisoformat),
    "seconds": (
        datetime.timedelta,
        datetime.timedelta.total_seconds,
        lambda seconds: datetime.timedelta(seconds=seconds),
    ),
}


class TaggedEncoder(json.JSONEncoder):
    def default(self, value):
        # datetime before date: a date-time is also a date.
        for tag, (kind, dump, _load) in TAGS.items():
            if isinstance(value, kind):
                return {f"__{tag}__": dump(value)}
        return super().default(value)


class TaggedDecoder(json.JSONDecoder):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, object_hook=self.tagged, **kwargs)

    @staticmethod
    def tagged(value: dict):
        if len(value) == 1:
            (key,) = value
            if key.startswith("__") and key.endswith("__") and key[2:-2] in TAGS:
                return TAGS[key[2:-2]][2](value[key])
        return value
