"""A minimal Server-Sent Events client over http.client for tests and the
benchmark (127.0.0.1 only)."""

import http.client
import json
from urllib.parse import urlparse


class SSEClient:
    def __init__(self, url, headers=None, timeout=10):
        parts = urlparse(url)
        assert parts.hostname == "127.0.0.1"
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        self.conn.request("GET", f"{parts.path}?{parts.query}", headers=headers or {})
        self.response = self.conn.getresponse()
        self.status = self.response.status

    def next(self, types=("message", "typing", "closed")):
        """The next event of one of ``types`` as ``(type, data, id)``."""
        event, data, event_id = "message", [], None
        while True:
            raw = self.response.readline()
            if not raw:
                raise EOFError("stream ended")
            line = raw.decode().rstrip("\r\n")
            if line == "":
                if data and event in types:
                    return event, json.loads("\n".join(data)), event_id
                event, data, event_id = "message", [], None
            elif line.startswith(":"):
                continue
            else:
                field, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if field == "event":
                    event = value
                elif field == "data":
                    data.append(value)
                elif field == "id":
                    event_id = value

    def close(self):
        self.response.close()  # the response holds the socket open too
        self.conn.close()
