"""File storage for attachments and raw mail, addressed by a random key;
names sanitized, sizes bounded.

``STORAGE`` picks the backend, the same on every host of a deployment:

- ``local`` (default): ``ATTACHMENTS_DIR``, else ``<instance>/attachments``.
  Only for one host: another host cannot see these files.
- ``directory``: ``STORAGE_DIRECTORY``, a path every host mounts (NFS, a
  shared volume); required, so a typo cannot fall back to a host's disk.
- ``s3``: an S3-compatible bucket (``STORAGE_S3_BUCKET``, optional
  ``STORAGE_S3_ENDPOINT_URL``, ``STORAGE_S3_REGION``, ``STORAGE_S3_PREFIX``;
  credentials from ``STORAGE_S3_ACCESS_KEY_ID`` / ``STORAGE_S3_SECRET_ACCESS_KEY``
  or boto3's usual sources). Needs the ``s3`` extra (boto3).

A file that should exist and does not raises :class:`MissingFile` (never a
silent skip): the download answers 404 with that message, and a reply whose
attachment is missing fails with a delivery error naming it.
"""

from __future__ import annotations

import os
import re
import secrets

from flask import current_app
from flask_babel import gettext as _

from ..registry import Attachment
from . import NotFound, ServiceError

_UNSAFE = re.compile(r"[^\w.\- ]+")
_KEY = re.compile(r"[\w-]{10,64}")
BACKENDS = ("local", "directory", "s3")


class MissingFile(NotFound):
    """A stored file is not where its key says (deleted, or saved on another
    host's disk while ``STORAGE=local``)."""

    def __init__(self, key):
        super().__init__(_("The file %(key)s is missing from file storage.", key=key), code="file_missing")
        self.key = key


class DirectoryBackend:
    """Files in one folder (``local`` and ``directory``)."""

    def __init__(self, root):
        self.root = root
        os.makedirs(root, exist_ok=True)

    def put(self, key, data):
        tmp = os.path.join(self.root, f".{key}.part")
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, os.path.join(self.root, key))  # readers on other hosts never see half a file

    def path(self, key):
        path = os.path.join(self.root, key)
        return path if os.path.exists(path) else None

    def read(self, key):
        path = self.path(key)
        if path is None:
            raise MissingFile(key)
        with open(path, "rb") as fh:
            return fh.read()

    def delete(self, key):
        path = self.path(key)
        if path is not None:
            os.remove(path)


class S3Backend:
    """Objects in an S3-compatible bucket, ``<prefix><key>``."""

    def __init__(self, config):
        try:
            import boto3
            from botocore.config import Config
        except ImportError as exc:  # pragma: no cover - depends on the installed extras
            raise RuntimeError("STORAGE=s3 needs boto3: pip install 'helpline[s3]'") from exc
        if not config.get("STORAGE_S3_BUCKET"):
            raise RuntimeError("STORAGE=s3 needs STORAGE_S3_BUCKET")
        self.bucket = config["STORAGE_S3_BUCKET"]
        self.prefix = config.get("STORAGE_S3_PREFIX") or ""
        self.client = boto3.client(
            "s3",
            endpoint_url=config.get("STORAGE_S3_ENDPOINT_URL") or None,
            region_name=config.get("STORAGE_S3_REGION") or None,
            aws_access_key_id=config.get("STORAGE_S3_ACCESS_KEY_ID") or None,
            aws_secret_access_key=config.get("STORAGE_S3_SECRET_ACCESS_KEY") or None,
            config=Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=30),
        )
        self._missing = tuple({self.client.exceptions.NoSuchKey, self.client.exceptions.ClientError})

    def put(self, key, data):
        self.client.put_object(Bucket=self.bucket, Key=self.prefix + key, Body=data)

    def path(self, key):
        return None  # objects have no local path: use read()

    def read(self, key):
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)["Body"].read()
        except self._missing as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code")
            if code in ("NoSuchKey", "404", "NotFound"):
                raise MissingFile(key) from exc
            raise

    def delete(self, key):
        self.client.delete_object(Bucket=self.bucket, Key=self.prefix + key)


def make_backend(app):
    """The backend ``STORAGE`` names; fails at startup on a bad setting."""
    kind = (app.config.get("STORAGE") or "local").lower()
    if kind == "local":
        return DirectoryBackend(app.config.get("ATTACHMENTS_DIR") or os.path.join(app.instance_path, "attachments"))
    if kind == "directory":
        if not app.config.get("STORAGE_DIRECTORY"):
            raise RuntimeError("STORAGE=directory needs STORAGE_DIRECTORY (a path every host mounts)")
        return DirectoryBackend(app.config["STORAGE_DIRECTORY"])
    if kind == "s3":
        return S3Backend(app.config)
    raise RuntimeError(f"Unknown STORAGE {kind!r}: use one of {', '.join(BACKENDS)}")


def backend():
    """The current app's storage backend (built on first use)."""
    ext = current_app.extensions
    if "helpline.storage" not in ext:
        ext["helpline.storage"] = make_backend(current_app)
    return ext["helpline.storage"]


def safe_filename(name, default="attachment"):
    name = os.path.basename((name or "").replace("\\", "/")).strip()
    name = _UNSAFE.sub("_", name).strip(" .")
    return (name or default)[:120]


def save(data: bytes, filename: str, content_type="application/octet-stream", max_bytes=None) -> Attachment:
    """Store bytes; returns an :class:`app.registry.Attachment` to put on an
    Inbound or a message. Raises ServiceError (code ``too_large``)."""
    limit = max_bytes or current_app.config["MAX_ATTACHMENT_BYTES"]
    if len(data) > limit:
        raise ServiceError(
            _("The attachment is larger than %(n)d bytes.", n=limit), code="too_large", field="attachments"
        )
    key = secrets.token_urlsafe(18)
    backend().put(key, data)
    return Attachment(
        filename=safe_filename(filename),
        content_type=(content_type or "")[:100] or "application/octet-stream",
        size=len(data),
        storage_key=key,
    )


def read(key) -> bytes:
    """The stored bytes; raises :class:`MissingFile` when there are none."""
    if not key or not _KEY.fullmatch(key):
        raise MissingFile(str(key)[:64])
    return backend().read(key)


def delete(key):
    """Forget a stored file (no error when it is already gone)."""
    if key and _KEY.fullmatch(key):
        backend().delete(key)


def path_for(key):
    """The file's local path with the ``local`` and ``directory`` backends
    (None when missing, and always with ``s3``): prefer :func:`read`."""
    if not key or not _KEY.fullmatch(key):
        return None
    return backend().path(key)
