"""Signing a run folder with a key the firm holds: ``sorbench keygen``, ``sorbench sign``, ``verify --key``.

A signature proves that a folder that left the firm is the one it signed: whoever edits a file, a manifest field or
the hashes the manifest records, cannot make a signature verify without the private key.

- ``sorbench keygen --out K`` writes an ed25519 key pair: the private key ``K`` (PKCS#8 PEM, unencrypted, mode
  0600) and the public key ``K.pub`` (SubjectPublicKeyInfo PEM).
- ``sorbench sign RUN --key K`` checks the folder first (every file has its recorded sha256, and
  ``manifest_body_sha256`` is the hash of the manifest's fields), then writes ``RUN/signature.json``: the format,
  ``algorithm`` (``ed25519``), ``public_key_sha256`` (the sha256 of the raw 32-byte public key), the signed
  ``manifest_body_sha256``, one sha256 per manifest field and per element of a field (``fields``, so that verify can
  name what changed), ``signed_utc`` and ``signature``: base64 of the ed25519 signature over the canonical JSON
  (sorted keys, no whitespace) of every other entry.
- ``sorbench verify RUN --key K.pub`` checks that signature (:func:`signature_problems`), with the manifest's hash
  *recomputed* from its fields; file contents are covered by the integrity check against the signed hashes.

``signature.json`` itself is not listed in the manifest (it is written after it) and is not an "added" file.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from harness.errors import UserError
from harness.report.provenance import BODY_HASH, manifest_body_sha256
from harness.workflows.provenance import utc_now

SIGNATURE = "signature.json"
FORMAT = "sorbench-signature-1"
_SIGNED_KEYS = ("format", "algorithm", "public_key_sha256", BODY_HASH, "fields", "signed_utc")


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def _digest(value: Any) -> str:
    return hashlib.sha256(_canonical(value)).hexdigest()


def field_hashes(manifest: dict[str, Any]) -> dict[str, str]:
    """One sha256 per manifest field, and per key or element of a field that is an object or a list."""
    out: dict[str, str] = {}
    for k, v in manifest.items():
        if k == BODY_HASH:
            continue
        out[k] = _digest(v)
        if isinstance(v, dict):
            out.update({f"{k}[{json.dumps(c)}]": _digest(x) for c, x in v.items()})
        elif isinstance(v, list):
            out.update({f"{k}[{i}]": _digest(x) for i, x in enumerate(v)})
    return out


def keygen(out: Path) -> tuple[Path, Path]:
    """Write a new ed25519 key pair: ``out`` (private, mode 0600) and ``out.pub``; refuses to overwrite either."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    pub = out.with_name(out.name + ".pub")
    for p in (out, pub):
        if p.exists() or p.is_symlink():
            raise UserError(f"{p}: already exists (keygen never overwrites a key; choose another --out)")
    if not out.parent.is_dir():
        raise UserError(f"{out.parent}: no such folder (for --out {out})")
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(private_pem)
        os.chmod(out, 0o600)  # whatever the umask
        pub.write_bytes(public_pem)
    except OSError as err:
        raise UserError(f"{out}: cannot write the key ({err.strerror or err})") from None
    return out, pub


def _read_pem(path: Path, option: str) -> bytes:
    try:
        if not path.is_file():
            raise UserError(f"{option} {path}: not found (or not a regular file)")
        data = path.read_bytes()
    except OSError as err:
        raise UserError(f"{option} {path}: cannot read ({err.strerror or err})") from None
    if len(data) > 64 * 1024:
        raise UserError(f"{option} {path}: over 64 KiB, not a PEM key")
    return data


def load_private_key(path: Path) -> Any:
    """An ed25519 private key from PEM (one-line ``UserError`` for anything else)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(_read_pem(path, "--key"), password=None)
    except (ValueError, TypeError) as err:
        raise UserError(f"--key {path}: not an unencrypted PEM private key ({str(err).splitlines()[0][:80]})") \
            from None
    if not isinstance(key, Ed25519PrivateKey):
        raise UserError(f"--key {path}: not an ed25519 key (sorbench keygen makes one)")
    return key


def load_public_key(path: Path) -> Any:
    """An ed25519 public key from PEM (one-line ``UserError`` for anything else, a private key among them)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = serialization.load_pem_public_key(_read_pem(path, "--key"))
    except (ValueError, TypeError) as err:
        raise UserError(f"--key {path}: not a PEM public key ({str(err).splitlines()[0][:80]}; verify takes the "
                        "public key K.pub)") from None
    if not isinstance(key, Ed25519PublicKey):
        raise UserError(f"--key {path}: not an ed25519 public key (sorbench keygen makes one)")
    return key


def fingerprint(public_key: Any) -> str:
    """``sha256:<hex>`` of the raw 32-byte ed25519 public key."""
    from cryptography.hazmat.primitives import serialization

    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def sign(folder: Path, key_path: Path) -> Path:
    """Sign an intact run folder: write ``folder/signature.json`` (see the module docstring); returns its path."""
    from harness.workflows.evidence import check_integrity, read_manifest

    key = load_private_key(key_path)
    folder = folder.resolve()
    manifest = read_manifest(folder)
    bad = [f"{f}: {s}" for f, s in sorted(check_integrity(folder, manifest).items()) if s != "ok"]
    if bad:
        raise UserError(f"{folder}: not signed: the folder does not match its manifest ({bad[0]})")
    if manifest.get(BODY_HASH) != manifest_body_sha256(manifest):
        raise UserError(f"{folder / 'manifest.json'}: not signed: {BODY_HASH} is missing or not the hash of its "
                        "fields")
    body = {"format": FORMAT, "algorithm": "ed25519", "public_key_sha256": fingerprint(key.public_key()),
            BODY_HASH: manifest[BODY_HASH], "fields": field_hashes(manifest), "signed_utc": utc_now().isoformat()}
    record = {**body, "signature": base64.b64encode(key.sign(_canonical(body))).decode("ascii")}
    dest = folder / SIGNATURE
    tmp = folder / f".{SIGNATURE}.tmp-{os.getpid()}"
    try:
        tmp.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, dest)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise UserError(f"{dest}: cannot write ({err.strerror or err})") from None
    return dest


def _read_signature(path: Path) -> dict[str, Any] | str:
    """The signature record, or why it is not one."""
    try:
        if path.stat().st_size > 16 * 1024 * 1024:
            return "over 16 MiB"
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        return f"not readable JSON ({str(err)[:60]})"
    if not isinstance(record, dict) or set(record) != {*_SIGNED_KEYS, "signature"}:
        return "not a sorbench signature (unexpected entries)"
    if record["format"] != FORMAT or record["algorithm"] != "ed25519":
        return f"format {record['format']!r} / algorithm {record['algorithm']!r} is not {FORMAT} / ed25519"
    if not isinstance(record["fields"], dict) or not isinstance(record["signature"], str):
        return "not a sorbench signature (fields or signature of the wrong type)"
    return record


def signature_problems(folder: Path, manifest: dict[str, Any], key_path: Path) -> list[str]:
    """One line per problem with the folder's signature against the public key at ``key_path`` (empty: it holds)."""
    from cryptography.exceptions import InvalidSignature

    key = load_public_key(key_path)
    path = folder / SIGNATURE
    if not path.is_file():
        return [f"{SIGNATURE}: missing: the folder is not signed (sorbench sign RUN --key K)"]
    record = _read_signature(path)
    if isinstance(record, str):
        return [f"{SIGNATURE}: {record}"]
    if record["public_key_sha256"] != fingerprint(key):
        return [f"{SIGNATURE}: signed with key {str(record['public_key_sha256'])[:23]}..., not with --key {key_path} "
                f"({fingerprint(key)[:23]}...)"]
    try:
        key.verify(base64.b64decode(record["signature"], validate=True),
                   _canonical({k: record[k] for k in _SIGNED_KEYS}))
    except (InvalidSignature, ValueError):
        return [f"{SIGNATURE}: the signature does not verify: signature.json was edited after signing"]
    if record[BODY_HASH] == manifest_body_sha256(manifest):
        return []
    signed, now = record["fields"], field_hashes(manifest)
    changed = [k for k in sorted(set(signed) | set(now)) if signed.get(k) != now.get(k)]
    inner = {k.split("[", 1)[0] for k in changed if "[" in k}
    detailed = [k for k in changed if k not in inner]  # name the element of a field when one is known
    return [f"manifest.json: {k} {'added' if k not in signed else 'removed' if k not in now else 'changed'} after "
            "signing" for k in detailed] or ["manifest.json: changed after signing"]
