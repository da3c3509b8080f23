"""`[hub]` audit keys, the new `[limits]` and the gateway role: read, defaulted and refused with the key named."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.config.errors import ConfigError
from hub.config.settings import hash_key, load_settings
from tests.sandbox_process import SandboxProcess


def write(tmp_path: Path, sandbox: SandboxProcess, hub: str = "", limits: str = "",
          role: str = "lead") -> Path:
    path = tmp_path / "hub.toml"
    path.write_text(f"[hub]\n{hub}\n[limits]\n{limits}\n[callers.c]\nrole = \"{role}\"\n"
                    f'key_sha256 = "{hash_key("k")}"\n\n' + sandbox.config_text)
    return path


def test_defaults_sign_checkpoints_often(sandbox: SandboxProcess, tmp_path: Path) -> None:
    s = load_settings(write(tmp_path, sandbox))
    assert (s.checkpoint_every, s.checkpoint_seconds) == (100, 5.0)  # was 256 and 30 s
    assert s.audit_write_timeout == 10.0 and s.audit_witness is None
    assert s.limits.max_complexity == 2000 and s.limits.max_repeats == 10


def test_audit_keys_are_read(sandbox: SandboxProcess, tmp_path: Path) -> None:
    s = load_settings(write(tmp_path, sandbox, hub='checkpoint_every = 10\n'
                            'checkpoint_seconds = 1.5\naudit_write_timeout = 2\n'
                            'audit_witness = "w/cp.jsonl"\n'
                            'audit_witness_url = "https://witness.example/cp"',
                            limits="max_complexity = 500\nmax_repeats = 3\n"
                                   "parse_cache_bytes = 1048576", role="gateway"))
    assert (s.checkpoint_every, s.checkpoint_seconds, s.audit_write_timeout) == (10, 1.5, 2.0)
    assert s.audit_witness == tmp_path / "w" / "cp.jsonl"
    assert s.audit_witness_url == "https://witness.example/cp"
    assert (s.limits.max_complexity, s.limits.max_repeats) == (500, 3)
    assert s.limits.parse_cache_bytes == 2**20 and s.callers[0].role == "gateway"


@pytest.mark.parametrize(("hub", "limits", "says"), [
    ("audit_write_timeout = 0", "", "hub.audit_write_timeout: must be a number from 0.1"),
    ("audit_write_timeout = \"10\"", "", "hub.audit_write_timeout: must be a number"),
    ("checkpoint_seconds = 0", "", "hub.checkpoint_seconds: must be a number from 0.1"),
    ("audit_witness = 3", "", "hub.audit_witness: must be a non-empty string"),
    ("audit_witness_url = \"ftp://x/y\"", "", "hub.audit_witness_url: 'ftp://x/y' is not"),
    ("", "max_repeats = 0", "limits.max_repeats: must be a whole number from 1"),
    ("", "max_complexity = true", "limits.max_complexity: must be a whole number"),
    ("", "max_fields = 3", "limits.max_fields: unknown key (known: max_depth"),
])
def test_bad_values_name_the_key(sandbox: SandboxProcess, tmp_path: Path, hub: str,
                                 limits: str, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, sandbox, hub=hub, limits=limits))
    assert says in str(caught.value)
