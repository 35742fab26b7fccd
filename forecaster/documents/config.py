"""The document storage setting, read from the environment (imported by settings.py).

Kept free of Django's storage machinery so the settings module can import it.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured


def storages_setting(env: dict[str, str], data_dir: Path) -> dict:
    """The ``documents`` entry of ``STORAGES`` from the environment (``env`` = ``os.environ``).

    Credentials are never put here (Django shows settings on error pages): the WebDAV storage
    reads its password from the environment itself, and boto3 reads the standard
    ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` variables itself.
    """
    kind = (env.get("FORECASTER_DOCUMENTS_STORAGE") or "local").strip().lower()
    if kind == "local":
        location = env.get("FORECASTER_DOCUMENTS_DIR") or str(data_dir / "documents")
        return {
            "BACKEND": "forecaster.documents.storage.LocalDocumentStorage",
            "OPTIONS": {"location": location},
        }
    if kind == "webdav":
        url = (env.get("FORECASTER_WEBDAV_URL") or "").strip()
        if not url:
            raise ImproperlyConfigured(
                "FORECASTER_DOCUMENTS_STORAGE=webdav needs FORECASTER_WEBDAV_URL (the folder's URL, "
                "e.g. https://cloud.example/remote.php/dav/files/USER/forecaster/)"
            )
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ImproperlyConfigured(
                f"FORECASTER_WEBDAV_URL must be an http(s) URL; got a {parts.scheme or 'schemeless'} URL"
            )
        if parts.username or parts.password:
            raise ImproperlyConfigured(
                "FORECASTER_WEBDAV_URL must not carry a user name or password; use "
                "FORECASTER_WEBDAV_USER and FORECASTER_WEBDAV_PASSWORD(_FILE)"
            )
        return {"BACKEND": "forecaster.documents.storage.WebDAVStorage", "OPTIONS": {"base_url": url}}
    if kind == "s3":
        bucket = (env.get("FORECASTER_S3_BUCKET") or "").strip()
        if not bucket:
            raise ImproperlyConfigured("FORECASTER_DOCUMENTS_STORAGE=s3 needs FORECASTER_S3_BUCKET")
        options = {
            "bucket_name": bucket,
            "location": (env.get("FORECASTER_S3_PREFIX") or "").strip("/"),
            "file_overwrite": True,
            "default_acl": None,
            # We serve every file through our own permission-checked view: no public URLs.
            "querystring_auth": True,
            "querystring_expire": 60,
        }
        if env.get("FORECASTER_S3_ENDPOINT_URL"):
            options["endpoint_url"] = env["FORECASTER_S3_ENDPOINT_URL"]
            options["addressing_style"] = "path"  # MinIO, Ceph and most self-hosted servers
        if env.get("FORECASTER_S3_REGION"):
            options["region_name"] = env["FORECASTER_S3_REGION"]
        return {"BACKEND": "forecaster.documents.storage.S3DocumentStorage", "OPTIONS": options}
    raise ImproperlyConfigured(f"FORECASTER_DOCUMENTS_STORAGE must be local, webdav or s3; got {kind!r}")
