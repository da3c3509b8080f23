"""Key directories: rotation adds and never replaces; bad key files are refused by line."""

from __future__ import annotations

import hashlib
import hmac
import stat
from pathlib import Path

import orjson
import pytest

from consent.pseudonym import pseudonyms
from signing.keys import (
    KeyRing,
    KeysError,
    SignatureInvalid,
    init_keys,
    load_public_keys,
    rotate_pseudonym,
    rotate_signing,
    verify_signature,
)
from signing.seal import load_sealer

RESIDENT = "11010519491231002X"  # GB 11643's own example


def versions(directory: Path) -> dict[str, str]:
    lines = (directory / "pseudonym.key").read_text().split()
    return dict(line.split(":", 1) for line in lines)


def test_init_makes_a_signing_key_pseudonym_v1_and_the_encryption_key(tmp_path: Path) -> None:
    ring = init_keys(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["encryption.key", "hub-keys.json",
                                                          "pseudonym.key", "signing.pem"]
    assert list(versions(tmp_path)) == ["v1"] and ring.pseudonym_version == "v1"
    assert list(load_public_keys(tmp_path / "hub-keys.json")) == [ring.signing_kid]
    for secret in ("signing.pem", "pseudonym.key", "encryption.key"):
        assert stat.S_IMODE((tmp_path / secret).stat().st_mode) == 0o600
    assert load_sealer(tmp_path).unseal(load_sealer(tmp_path).seal("x", "o1"), "o1") == "x"


def test_init_refuses_existing_keys(tmp_path: Path) -> None:
    init_keys(tmp_path)
    with pytest.raises(KeysError, match="never overwritten silently"):
        init_keys(tmp_path)


def test_signing_rotation_keeps_old_signatures_verifiable(tmp_path: Path) -> None:
    old = init_keys(tmp_path)
    signature, old_kid = old.sign(b"report before rotation")
    before, after = rotate_signing(tmp_path)
    assert (before, old_kid) == (old_kid, old.signing_kid) and after != before
    ring = KeyRing.load(tmp_path)
    assert ring.signing_kid == after
    published = load_public_keys(tmp_path / "hub-keys.json")
    assert set(published) == {before, after}
    verify_signature(published, old_kid, b"report before rotation", signature)
    new_signature, kid = ring.sign(b"report after rotation")
    assert kid == after
    verify_signature(published, kid, b"report after rotation", new_signature)
    with pytest.raises(SignatureInvalid):
        verify_signature(published, before, b"report after rotation", new_signature)
    assert stat.S_IMODE((tmp_path / "signing.pem").stat().st_mode) == 0o600


def test_pseudonym_rotation_keeps_every_version_matchable(tmp_path: Path) -> None:
    init_keys(tmp_path)
    v1 = versions(tmp_path)["v1"]
    assert rotate_pseudonym(tmp_path) == ("v1", "v2")
    assert rotate_pseudonym(tmp_path) == ("v2", "v3")
    kept = versions(tmp_path)
    assert list(kept) == ["v1", "v2", "v3"] and kept["v1"] == v1
    assert len(set(kept.values())) == 3
    ring = KeyRing.load(tmp_path)
    assert ring.pseudonym_version == "v3"
    expected = [f"{v}:" + hmac.new(bytes.fromhex(k), RESIDENT.encode(), hashlib.sha256)
                .hexdigest() for v, k in kept.items()]
    assert pseudonyms(ring.pseudonym_keys, RESIDENT) == expected


def test_init_force_rotates_instead_of_replacing(tmp_path: Path) -> None:
    """The old defect: --force wrote a new key under the same v1 label."""
    old = init_keys(tmp_path)
    v1 = versions(tmp_path)["v1"]
    sealed = load_sealer(tmp_path).seal("11010519491231002X", "obj-1")
    ring = init_keys(tmp_path, overwrite=True)
    assert load_sealer(tmp_path).unseal(sealed, "obj-1") == "11010519491231002X"
    assert versions(tmp_path)["v1"] == v1 and ring.pseudonym_version == "v2"
    assert ring.signing_kid != old.signing_kid
    assert set(load_public_keys(tmp_path / "hub-keys.json")) == {old.signing_kid,
                                                                 ring.signing_kid}


def test_rotation_skips_labels_written_by_hand(tmp_path: Path) -> None:
    init_keys(tmp_path)
    with (tmp_path / "pseudonym.key").open("a") as f:
        f.write(f"v7:{'ab' * 32}\nlegacy:{'cd' * 32}\n")
    assert rotate_pseudonym(tmp_path) == ("legacy", "v8")


@pytest.mark.parametrize(("content", "says"), [
    ("", "holds no key"),
    ("v1\n", "line 1: must be VERSION:HEX"),
    (f"v1:{'ab' * 16}\n", "line 1: must be VERSION:HEX with at least 32 bytes"),
    (f"v1:{'zz' * 32}\n", "line 1: must be VERSION:HEX"),
    (f"v1:{'ab' * 32}\nv1:{'cd' * 32}\n", "line 2: version v1 appears twice"),
])
def test_bad_pseudonym_files_are_refused_by_line(tmp_path: Path, content: str,
                                                 says: str) -> None:
    init_keys(tmp_path)
    (tmp_path / "pseudonym.key").write_text(content)
    with pytest.raises(KeysError, match=says):
        KeyRing.load(tmp_path)
    with pytest.raises(KeysError, match=says):
        rotate_pseudonym(tmp_path)


def test_a_crash_between_publishing_and_switching_leaves_the_old_key_in_use(
        tmp_path: Path) -> None:
    """Rotation publishes first: a public key set with an extra (future) key is harmless."""
    old = init_keys(tmp_path)
    doc = orjson.loads((tmp_path / "hub-keys.json").read_bytes())
    spare = init_keys(tmp_path / "spare")
    doc["keys"] += orjson.loads((tmp_path / "spare" / "hub-keys.json").read_bytes())["keys"]
    (tmp_path / "hub-keys.json").write_bytes(orjson.dumps(doc))
    ring = KeyRing.load(tmp_path)
    assert ring.signing_kid == old.signing_kid and spare.signing_kid in ring.public


def test_missing_and_unreadable_directories_say_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(KeysError, match=f"no keys directory at {tmp_path / 'none'}; run: "
                       f"hub keys init {tmp_path / 'none'}"):
        KeyRing.load(tmp_path / "none")
    (tmp_path / "k").mkdir()
    with pytest.raises(KeysError, match="no signing key at"):
        KeyRing.load(tmp_path / "k")
