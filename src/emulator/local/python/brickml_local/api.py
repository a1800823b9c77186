"""A tiny REST client for the emulator (standard library only)."""

import json
import os
import urllib.error
import urllib.parse
import urllib.request


class ApiError(Exception):
    """An error answer from the emulator's REST API."""

    def __init__(self, status, error_code, message):
        super().__init__(f"{error_code}: {message}" if error_code else message)
        self.status = status
        self.error_code = error_code


def _host():
    return os.environ["DATABRICKS_HOST"].rstrip("/")


def _headers(extra=None):
    headers = {"Authorization": f"Bearer {os.environ['DATABRICKS_TOKEN']}"}
    headers.update(extra or {})
    return headers


def _send(method, path, data=None, headers=None, query=None):
    url = _host() + urllib.parse.quote(path, safe="/:")
    if query:
        url += "?" + urllib.parse.urlencode(query)
    req = urllib.request.Request(url, data=data, method=method, headers=_headers(headers))
    try:
        with urllib.request.urlopen(req, timeout=300) as res:
            return res.read()
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            body = json.loads(raw)
            raise ApiError(e.code, body.get("error_code", ""), body.get("message", raw.decode())) from None
        except ValueError:
            raise ApiError(e.code, "", raw.decode(errors="replace")) from None


def call(method, path, body=None, query=None):
    """A JSON request; returns the parsed answer."""
    data = json.dumps(body).encode() if body is not None else None
    raw = _send(method, path, data, {"Content-Type": "application/json"} if data else None, query)
    return json.loads(raw) if raw else {}


def get(path, **query):
    return call("GET", path, query={k: v for k, v in query.items() if v is not None})


def post(path, body):
    return call("POST", path, body)


def upload(path, data, overwrite=True):
    """Writes a file through the Files API."""
    _send(
        "PUT",
        "/api/2.0/fs/files" + path,
        data,
        {"Content-Type": "application/octet-stream"},
        {"overwrite": "true" if overwrite else "false"},
    )


def download(path):
    return _send("GET", "/api/2.0/fs/files" + path)


def delete(path, **query):
    return _send("DELETE", path, query=query or None)
