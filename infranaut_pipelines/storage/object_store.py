"""One interface over a local folder and an S3 bucket, so the embedded default and production share code.

URLs: ``file:///abs/path`` (or a plain path) and ``s3://bucket/prefix``. Keys are always relative,
``/``-separated, and are refused if they could escape the root (``..``, absolute paths).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import mimetypes
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Protocol
from urllib.parse import urlparse


class UnsafeKeyError(ValueError):
    """A key that would resolve outside the store's root."""


def safe_key(key: str) -> str:
    """Normalise a key and refuse anything that could escape the root."""
    if not key or "\x00" in key:
        raise UnsafeKeyError(f"empty or NUL-containing key: {key!r}")
    if key.startswith("/") or key.startswith("\\") or (len(key) > 1 and key[1] == ":"):
        raise UnsafeKeyError(f"absolute key not allowed: {key!r}")
    parts = [p for p in key.replace("\\", "/").split("/") if p != ""]
    if not parts or any(p in ("..", ".") for p in parts):
        raise UnsafeKeyError(f"key with '.' or '..' segments not allowed: {key!r}")
    return "/".join(parts)


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    etag: str
    last_modified: dt.datetime  # always timezone-aware UTC
    version_id: str | None = None
    # Why this listed entry cannot be read as a drop (a dangling symlink, one leading out of the folder);
    # empty for a readable object. Listed rather than raised so the caller rejects it and goes on.
    problem: str = ""

    @property
    def version_token(self) -> str:
        """What identifies this exact content of this key (used in run keys)."""
        return self.version_id or self.etag


class ObjectStore(Protocol):
    url: str

    def list(self, prefix: str = "", start_after: str = "", limit: int | None = None) -> Iterator[ObjectInfo]: ...
    def head(self, key: str) -> ObjectInfo | None: ...
    def read_bytes(self, key: str) -> bytes: ...
    def write_bytes(self, key: str, data: bytes) -> None: ...
    def write_file(self, key: str, path: Path) -> None: ...
    def local_copy(self, key: str) -> contextlib.AbstractContextManager[Path]: ...
    def delete_prefix(self, prefix: str) -> int: ...
    def delete(self, key: str) -> None: ...
    def uri(self, key: str) -> str: ...


class LocalStore:
    """A folder standing in for a bucket. ETag is size+mtime_ns: cheap and changes when content is rewritten."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser().resolve()
        self.url = self.root.as_uri()

    def _path(self, key: str) -> Path:
        p = (self.root / safe_key(key)).resolve()
        if self.root != p and self.root not in p.parents:
            raise UnsafeKeyError(f"key resolves outside the store: {key!r}")
        return p

    def _info(self, p: Path) -> ObjectInfo:
        st = p.stat()
        return ObjectInfo(
            key=p.relative_to(self.root).as_posix(),
            size=st.st_size,
            etag=f"{st.st_size:x}-{st.st_mtime_ns:x}",
            last_modified=dt.datetime.fromtimestamp(st.st_mtime, tz=dt.timezone.utc),
        )

    def _entry(self, p: Path) -> ObjectInfo | None:
        """The listing entry of ``p``: its info, or one carrying the problem; None if it vanished meanwhile."""
        if not p.is_symlink():  # the walk never enters linked folders, so only the entry itself can be a link
            try:
                return self._info(p)
            except OSError:
                return None  # deleted between the walk and now
        try:
            target = p.resolve(strict=True)
        except (OSError, RuntimeError):  # a link to nothing, or a loop of links
            return self._problem(p, "dangling symlink: its target does not exist")
        if self.root != target and self.root not in target.parents:
            return self._problem(p, "symlink points outside the landing folder; copy the file in instead")
        try:
            return self._info(p)
        except OSError as exc:
            return self._problem(p, f"cannot read the file's status: {exc.strerror}")

    def _problem(self, p: Path, reason: str) -> ObjectInfo | None:
        # The link's own status gives the version: fixing or replacing the link lists it anew.
        try:
            st = p.lstat()
        except OSError:
            return None  # deleted between the walk and now: nothing left to report
        return ObjectInfo(
            key=p.relative_to(self.root).as_posix(),
            size=0,
            etag=f"link-{st.st_ino:x}-{st.st_mtime_ns:x}",
            last_modified=dt.datetime.fromtimestamp(st.st_mtime, tz=dt.timezone.utc),
            problem=reason,
        )

    def list(self, prefix: str = "", start_after: str = "", limit: int | None = None) -> Iterator[ObjectInfo]:
        """Every file under ``prefix``, sorted by key; broken or escaping symlinks are listed with a problem.

        ``start_after`` and ``limit`` behave as S3's StartAfter and MaxKeys: only keys sorting after it, and
        at most ``limit`` of them, so both backends can be listed in bounded slices.
        """
        base = self._path(prefix) if prefix else self.root
        if base.is_file():
            if base.relative_to(self.root).as_posix() > start_after and limit != 0:
                yield self._info(base)
            return
        if not base.is_dir():
            return
        found = []
        for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
            # A symlinked folder is not followed (it could loop or leave the root); list it so it is seen.
            names = filenames + [d for d in dirnames if (Path(dirpath) / d).is_symlink()]
            for name in names:
                if name.startswith(".") or name.endswith(".tmp"):
                    continue  # hidden and in-flight files are not drops
                path = Path(dirpath) / name
                key = path.relative_to(self.root).as_posix()
                if key > start_after:
                    found.append((key, path))
        # Lexicographic by key, as S3 lists, so both backends behave the same.
        given = 0
        for _, path in sorted(found):
            if limit is not None and given >= limit:
                return
            if path.is_symlink() and path.is_dir():
                entry = self._problem(path, "symlink to a folder is not followed; copy the files in instead")
            else:
                entry = self._entry(path)
            if entry is not None:
                given += 1
                yield entry

    def head(self, key: str) -> ObjectInfo | None:
        p = self._path(key)
        return self._info(p) if p.is_file() else None

    def read_bytes(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def write_bytes(self, key: str, data: bytes) -> None:
        p = self._path(key)
        p.parent.mkdir(parents=True, exist_ok=True)
        # Write-then-rename so a reader (or the sensor) never sees a half-written file.
        tmp = p.with_name(p.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(p)

    def write_file(self, key: str, path: Path) -> None:
        p = self._path(key)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_name(p.name + ".tmp")
        shutil.copyfile(path, tmp)
        tmp.replace(p)

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        yield self._path(key)

    def delete(self, key: str) -> None:
        """Delete exactly this key (nothing that merely starts with it); a missing key is not an error."""
        self._path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> int:
        base = self._path(prefix)
        if base.is_file():
            base.unlink()
            return 1
        if not base.is_dir():
            return 0
        n = sum(1 for _ in base.rglob("*") if _.is_file())
        shutil.rmtree(base)
        return n

    def uri(self, key: str) -> str:
        return self._path(key).as_uri()


class S3Store:
    """A bucket (and optional prefix) reached through a boto3 client (dagster-aws ``S3Resource`` in Dagster)."""

    def __init__(self, bucket: str, prefix: str, client: Any) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client
        self.url = f"s3://{bucket}/{self.prefix}".rstrip("/")

    def _k(self, key: str) -> str:
        key = safe_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _rel(self, full: str) -> str:
        return full[len(self.prefix) + 1 :] if self.prefix else full

    def list(self, prefix: str = "", start_after: str = "", limit: int | None = None) -> Iterator[ObjectInfo]:
        """Objects under ``prefix`` sorting after ``start_after`` (a relative key), at most ``limit`` of them.

        Pages are fetched as they are consumed (at most 1,000 keys a LIST call), so a caller that stops
        early, or a narrow prefix, costs only the calls it needs.
        """
        full_prefix = self._k(prefix) if prefix else (self.prefix + "/" if self.prefix else "")
        if prefix.endswith("/") and not full_prefix.endswith("/"):
            full_prefix += "/"  # "models/a/" must not also list "models/ab/..."
        args: dict[str, Any] = {"Bucket": self.bucket, "Prefix": full_prefix}
        if start_after:
            # StartAfter need not be an existing key, so it is joined to the prefix without safe_key's checks.
            args["StartAfter"] = f"{self.prefix}/{start_after}" if self.prefix else start_after
        given = 0
        while True:
            if limit is not None:
                if given >= limit:
                    return
                args["MaxKeys"] = min(1000, limit - given)
            page = self.client.list_objects_v2(**args)
            for obj in page.get("Contents", []):
                if obj["Key"].endswith("/"):
                    continue
                given += 1
                yield ObjectInfo(
                    key=self._rel(obj["Key"]),
                    size=int(obj["Size"]),
                    etag=str(obj.get("ETag", "")).strip('"'),
                    last_modified=obj["LastModified"].astimezone(dt.timezone.utc),
                )
            if not page.get("IsTruncated"):
                return
            args.pop("StartAfter", None)
            args["ContinuationToken"] = page["NextContinuationToken"]

    def head(self, key: str) -> ObjectInfo | None:
        try:
            r = self.client.head_object(Bucket=self.bucket, Key=self._k(key))
        except self.client.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return ObjectInfo(
            key=safe_key(key),
            size=int(r["ContentLength"]),
            etag=str(r.get("ETag", "")).strip('"'),
            last_modified=r["LastModified"].astimezone(dt.timezone.utc),
            version_id=r.get("VersionId") if r.get("VersionId") not in (None, "null") else None,
        )

    def read_bytes(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=self._k(key))["Body"].read()

    def write_bytes(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._k(key), Body=data)

    def write_file(self, key: str, path: Path) -> None:
        self.client.upload_file(str(path), self.bucket, self._k(key))

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        # Stream to disk (not memory) so a multi-GB drop is held at most once, by the reader.
        with tempfile.TemporaryDirectory(prefix="infranaut-") as tmp:
            target = Path(tmp) / PurePosixPath(safe_key(key)).name
            self.client.download_file(self.bucket, self._k(key), str(target))
            yield target

    def delete(self, key: str) -> None:
        """Delete exactly this key (nothing that merely starts with it); a missing key is not an error."""
        self.client.delete_object(Bucket=self.bucket, Key=self._k(key))

    def delete_prefix(self, prefix: str) -> int:
        keys = [o.key for o in self.list(prefix)]
        for i in range(0, len(keys), 1000):
            chunk = [{"Key": self._k(k)} for k in keys[i : i + 1000]]
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": chunk})
        return len(keys)

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._k(key)}"

    def presign(self, key: str, seconds: int) -> str:
        """An HTTPS URL that reads ``key`` for ``seconds`` without AWS credentials (signed by this client).

        The content type is set in the signature because objects are written without one, and a browser
        would download ``application/octet-stream`` instead of showing the report.
        """
        params = {"Bucket": self.bucket, "Key": self._k(key)}
        content_type = mimetypes.guess_type(key)[0]
        if content_type:
            params["ResponseContentType"] = content_type + ("; charset=utf-8" if content_type.startswith("text/") else "")
        return self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=int(seconds))


def open_store(url: str, s3_client_factory: Callable[[], Any] | None = None) -> ObjectStore:
    """Open ``file://``/plain-path or ``s3://`` URLs. The S3 client comes from the caller (S3Resource)."""
    parsed = urlparse(url)
    if parsed.scheme in ("", "file"):
        path = parsed.path if parsed.scheme == "file" else url
        return LocalStore(path)
    if parsed.scheme == "s3":
        if s3_client_factory is None:
            import boto3  # boto3 honours AWS_ENDPOINT_URL, so moto or MinIO work without code changes

            s3_client_factory = lambda: boto3.client("s3")  # noqa: E731
        return S3Store(parsed.netloc, parsed.path, s3_client_factory())
    raise ValueError(f"unsupported storage URL {url!r}: use file://, a plain path, or s3://")
