"""Signed model files: the playbook loads only models it wrote itself.

A joblib (pickle) file runs code while it is loaded, so checking what it holds
afterwards is too late. :func:`sign_file` writes a manifest next to the model,
``<model>.sig.json``: the model's name, size and SHA-256, signed with HMAC-SHA256
under a key derived from two secrets:

- the workspace's secret (``<workspace>/.playbook/secret``), which binds the model
  to the workspace it was fitted on: another workspace's model is refused;
- this user's local signing key (``~/.playbook/signing-key``; the folder can be moved
  with ``PLAYBOOK_HOME``), which never travels with a workspace: a workspace someone
  sends you, even one holding its own ``.playbook/secret``, cannot carry a model this
  installation accepts.

:func:`read_signed` checks the manifest (constant-time comparison) before one byte of
the model is unpickled, and returns exactly the bytes it checked, so the file cannot
be swapped between the check and the load.

skops was considered instead: its loader refuses unknown types, but the scoring
model carries pandas frames and our own classes that would have to be trusted by
name, and a type allow-list has been bypassed before; a signature over bytes this
installation wrote keeps pickle's reach to files it produced.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import time
from pathlib import Path

from playbook.exceptions import UsageError
from playbook.workspace.secret import SECRET_FILE, workspace_secret

logger = logging.getLogger(__name__)

SIGNATURE_SUFFIX = ".sig.json"
FORMAT = "conversion-playbook signed file"
VERSION = 1
LOCAL_KEY_FILE = "signing-key"
#: A manifest is a few hundred bytes; anything much larger is not one.
MAX_MANIFEST_BYTES = 64 * 1024


class UntrustedFile(UsageError):
    """A file the playbook did not write and sign for this workspace (exit code 2)."""


def signature_path(path: str | Path) -> Path:
    """Where the manifest of ``path`` lives: ``<path>.sig.json``."""
    path = Path(path)
    return path.with_name(path.name + SIGNATURE_SUFFIX)


def local_key_path() -> Path:
    """This user's signing key: ``$PLAYBOOK_HOME/signing-key`` (default ``~/.playbook``)."""
    home = os.environ.get("PLAYBOOK_HOME")
    return (Path(home) if home else Path.home() / ".playbook") / LOCAL_KEY_FILE


def _read_key(path: Path) -> str | None:
    """A key file's content; waits briefly for one another process is still writing."""
    for _ in range(50):
        try:
            value = path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        if value:
            return value
        time.sleep(0.02)
    return None


def _create_key(path: Path) -> str:
    """A new random key at ``path`` (owner-only), unless another process made one first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    try:
        os.link(tmp, path)  # atomic: fails when the key exists, never leaves half a key
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return _read_key(path) or ""


def _workspace_secret(workspace: Path, create: bool) -> str | None:
    path = workspace / SECRET_FILE
    found = _read_key(path)
    if found or not create:
        return found
    try:
        return workspace_secret(workspace)
    except FileExistsError:  # another step created it at the same moment
        return _read_key(path)


def signing_key(workspace: str | Path, *, create: bool = False) -> bytes | None:
    """The HMAC key for files of ``workspace``, or None when a secret is missing.

    With ``create``, a missing workspace secret or local key is created (saving a
    model); without, nothing is written (checking one).
    """
    path = local_key_path()
    local = _read_key(path) or (_create_key(path) if create else None)
    secret = _workspace_secret(Path(workspace), create)
    if not local or not secret:
        return None
    message = b"conversion-playbook model key\0" + secret.encode("utf-8")
    return hmac.new(local.encode("utf-8"), message, hashlib.sha256).digest()


def _fingerprint(key: bytes) -> str:
    """Names the key without revealing it (tells 'another workspace' from 'changed')."""
    return hmac.new(key, b"fingerprint", hashlib.sha256).hexdigest()[:16]


def _signed_part(manifest: dict) -> bytes:
    fields = {k: v for k, v in manifest.items() if k != "signature"}
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sign_file(path: str | Path, workspace: str | Path) -> Path | None:
    """Write ``<path>.sig.json`` vouching for ``path`` as written now, for ``workspace``.

    Returns the manifest's path, or None (with a warning) when the workspace's secret
    cannot be created, e.g. on a read-only workspace: the file then stays unsigned and
    ``playbook score`` will refuse it.
    """
    path = Path(path)
    try:
        key = signing_key(workspace, create=True)
    except OSError as exc:
        key = None
        logger.warning("cannot create a signing key (%s)", exc)
    if key is None:
        logger.warning("%s is not signed: 'playbook score' will not read it", path.name)
        return None
    data = path.read_bytes()
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "file": path.name,
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "signer": _fingerprint(key),
    }
    manifest["signature"] = hmac.new(key, _signed_part(manifest), hashlib.sha256).hexdigest()
    target = signature_path(path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    tmp.replace(target)
    return target


def read_signed(path: str | Path, workspace: str | Path) -> bytes:
    """The bytes of ``path``, after checking they are what this installation signed for
    ``workspace``.

    Raises
    ------
    UntrustedFile
        When the manifest is missing or malformed, was signed for another workspace
        or on another machine, or does not match the file (changed since it was
        written). The file's content is never interpreted.
    """
    path = Path(path)
    sig = signature_path(path)
    again = (
        "it was not read, because a model file can run code when it is loaded. Use "
        "models/lead_scoring.joblib from a 'playbook run' of this workspace on this machine, "
        "or run the pilot again to fit a new one"
    )
    if not sig.is_file():
        raise UntrustedFile(f"{path}: no signature ({sig.name} is missing); {again}")
    try:
        raw = sig.read_bytes()[: MAX_MANIFEST_BYTES + 1]
        manifest = json.loads(raw) if len(raw) <= MAX_MANIFEST_BYTES else None
    except (OSError, ValueError):
        manifest = None
    fields = ("format", "version", "file", "bytes", "sha256", "signer", "signature")
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise UntrustedFile(f"{path}: {sig.name} is not a playbook signature; {again}")
    if any(not isinstance(manifest.get(k), (str, int)) for k in fields):
        raise UntrustedFile(f"{path}: {sig.name} is incomplete; {again}")
    key = signing_key(workspace)
    if key is None:
        raise UntrustedFile(
            f"{path}: this workspace has no signing secret yet, so no model of it was written "
            f"here; {again}"
        )
    if not hmac.compare_digest(str(manifest["signer"]), _fingerprint(key)):
        raise UntrustedFile(f"{path}: signed for another workspace or on another machine; {again}")
    expected = hmac.new(key, _signed_part(manifest), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(str(manifest["signature"]), expected):
        raise UntrustedFile(
            f"{path}: its signature does not match ({sig.name} was changed); {again}"
        )
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if not hmac.compare_digest(digest, str(manifest["sha256"])):
        raise UntrustedFile(f"{path}: the file was changed after it was signed; {again}")
    return data
