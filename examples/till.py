"""A till that credits points from the sale itself, through Suki's API.

    python examples/till.py 1234 5678 9012 12.50 R-1042

looks the card up, records a purchase of 12.50 on receipt R-1042 in the key's branch, and prints
what Suki answered. Against `make run` it needs nothing else: the demo's till key is the default.
Elsewhere, set SUKI_URL and SUKI_API_KEY.

A till on a shaky network sends again until it gets an answer. That is safe: every try carries
the same Idempotency-Key, so Suki records the purchase once and answers every try the same way.
Only the standard library is used, so any Python 3.9+ runs it.
"""

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request

DEMO_KEY = "sukidemo.till-key-of-the-demo-shop-only-2026"


class Problem(Exception):
    """Suki refused the request: `detail` is the same sentence staff see at the counter."""

    def __init__(self, status, body):
        self.status = status
        self.body = body
        super().__init__(body.get("detail") or body.get("title") or f"HTTP {status}")


def call(base, key, method, path, body=None, idempotency_key=None, tries=4):
    """Send one request, trying again after a network failure or a 5xx, and return the JSON
    body of the answer. A 4xx is Suki's final word and raises Problem at once."""
    headers = {"Authorization": f"Api-Key {key}", "Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    for attempt in range(1, tries + 1):
        # The address is checked to be http(s) in main().
        request = urllib.request.Request(base + path, data=data, headers=headers, method=method)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return json.load(response)
        except urllib.error.HTTPError as error:
            answer = json.loads(error.read() or b"{}")
            if error.code < 500 or attempt == tries:
                raise Problem(error.code, answer) from None
        except (urllib.error.URLError, TimeoutError):
            if attempt == tries:
                raise
        time.sleep(2 ** (attempt - 1))  # 1 s, 2 s, 4 s: then give up and say so
    raise AssertionError("unreachable")


def main(argv=None):
    parser = argparse.ArgumentParser(description="Record a purchase on a Suki card.")
    parser.add_argument("card", nargs="+", help="the card number (spaces allowed)")
    parser.add_argument("amount", help="the amount paid, e.g. 12.50")
    parser.add_argument("receipt", help="the till's receipt number")
    parser.add_argument("--url", default=os.environ.get("SUKI_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--key", default=os.environ.get("SUKI_API_KEY", DEMO_KEY))
    args = parser.parse_args(argv)
    if not args.url.startswith(("http://", "https://")):
        parser.error("--url must start with http:// or https://")
    base = args.url.rstrip("/") + "/api/v1"
    number = "".join(args.card).replace("-", "")

    try:
        card = call(base, args.key, "GET", f"/cards/{number}/")
        print(
            f"Card {card['formatted_number']}: {card['holder'] or 'no name'}, "
            f"{card['balance']} points, tier {card['tier'] or '-'}"
        )
        recorded = call(
            base,
            args.key,
            "POST",
            f"/cards/{number}/purchases",
            {"amount": args.amount, "receipt": args.receipt},
            idempotency_key=f"purchase-{number}-{args.receipt}",
        )
    except Problem as problem:
        print(f"Refused ({problem.status}): {problem}", file=sys.stderr)
        return 1
    except (urllib.error.URLError, TimeoutError) as error:
        print(f"No answer from {args.url} ({error}); try again later.", file=sys.stderr)
        return 2
    line = recorded["line"]
    if recorded["created"]:
        print(
            f"Recorded {line['amount']} in {line['branch']}: {line['points']:+d} points "
            f"({line['why']}). New balance {recorded['balance']}."
        )
    else:
        print(
            f"Receipt {line['receipt']} was already recorded on this card: nothing added. "
            f"Balance {recorded['balance']}."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
