"""Signing a run folder (issue 17 item 5): keygen, sign, verify --key; any edit after signing is named.

The forger here rewrites every hash the manifest records (files and ``manifest_body_sha256``), so only the signature
tells the folder apart from the one signed.
"""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from harness.errors import UserError
from harness.workflows.signing import keygen, sign
from harness.workflows.verify import verify_run
from tests.hostile.conftest import signed_off_run  # noqa: F401 (fixture)
from tests.hostile.test_tampering import copy_of, forge
from tests.sim.helpers import REPO


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return keygen(tmp_path_factory.mktemp("keys") / "firm.key")


@pytest.fixture
def signed(signed_off_run, keys, tmp_path) -> Path:  # noqa: F811
    folder = copy_of(signed_off_run, tmp_path)
    sign(folder, keys[0])
    return folder


def _check(folder: Path, pub: Path) -> list[str]:
    return verify_run(folder, rerun=False, check_report=False, key=pub).problems


def test_keygen_writes_a_private_key_only_its_owner_reads_and_refuses_to_overwrite(keys):
    private, public = keys
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert private.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert public.name == "firm.key.pub" and public.read_text().startswith("-----BEGIN PUBLIC KEY-----")
    with pytest.raises(UserError, match="already exists"):
        keygen(private)


def test_a_signed_folder_verifies_with_its_public_key(signed, keys):
    record = json.loads((signed / "signature.json").read_text())
    assert record["algorithm"] == "ed25519" and record["public_key_sha256"].startswith("sha256:")
    assert _check(signed, keys[1]) == []


def test_a_manifest_field_edited_after_signing_is_named(signed, keys):
    forge(signed, lambda m: m.__setitem__("git_commit", "f" * 40))
    problems = _check(signed, keys[1])
    assert "manifest.json: git_commit changed after signing" in problems, problems


def test_a_file_edited_after_signing_with_its_hash_rewritten_is_named(signed, keys):
    (signed / "summary.csv").write_text((signed / "summary.csv").read_text().replace("best-price", "best-pricf", 1))
    forge(signed)
    problems = _check(signed, keys[1])
    assert 'manifest.json: files["summary.csv"] changed after signing' in problems, problems


def test_an_edited_signature_a_missing_one_and_another_key_fail(signed, keys, tmp_path):
    other = keygen(tmp_path / "other.key")[1]
    assert any("signed with key" in p for p in _check(signed, other))
    path = signed / "signature.json"
    record = json.loads(path.read_text())
    record["signed_utc"] = "2000-01-01T00:00:00+00:00"
    path.write_text(json.dumps(record))
    assert _check(signed, keys[1]) == ["signature.json: the signature does not verify: signature.json was edited "
                                       "after signing"]
    path.unlink()
    assert any("missing: the folder is not signed" in p for p in _check(signed, keys[1]))


def test_a_tampered_folder_is_not_signed(signed_off_run, keys, tmp_path):  # noqa: F811
    folder = copy_of(signed_off_run, tmp_path)
    (folder / "fills.parquet").write_bytes(b"x")
    with pytest.raises(UserError, match="does not match its manifest"):
        sign(folder, keys[0])
    assert not (folder / "signature.json").exists()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=600)


def test_the_cli_signs_verifies_and_names_a_tampered_field_with_exit_1(signed_off_run, tmp_path):  # noqa: F811
    """keygen, sign and verify --key end to end (the report re-rendered too); then one field edited: exit 1."""
    folder = copy_of(signed_off_run, tmp_path)
    key = tmp_path / "k"
    assert _cli("keygen", "--out", str(key)).returncode == 0
    assert _cli("sign", str(folder), "--key", str(key)).returncode == 0
    ok = _cli("verify", str(folder), "--no-rerun", "--key", f"{key}.pub")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    forge(folder, lambda m: m["runs"][0].__setitem__("messages", 1))
    bad = _cli("verify", str(folder), "--no-rerun", "--key", f"{key}.pub")
    assert bad.returncode == 1 and "manifest.json: runs[0] changed after signing" in bad.stdout, bad.stdout
    assert "Traceback" not in bad.stdout + bad.stderr


@pytest.mark.parametrize("content", [b"", b"-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n"])
def test_a_bad_key_file_is_a_one_line_error_exit_2(signed_off_run, tmp_path, content):  # noqa: F811
    bad = tmp_path / "bad.pub"
    bad.write_bytes(content)
    proc = _cli("verify", str(signed_off_run), "--no-rerun", "--key", str(bad))
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1 and "--key" in proc.stderr, proc.stderr
    proc = _cli("sign", str(signed_off_run), "--key", str(tmp_path / "none"))
    assert proc.returncode == 2 and "not found" in proc.stderr
