"""`load_settings`: a whole configuration file read once, every error naming the bad key."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.config.errors import ConfigError
from hub.config.settings import hash_key, load_settings

SOURCE = """
[sources.sw_penalties]
department = "市税务局"
subject = "enterprise"
check = "IPO_COMPLIANCE"
domain = "tax"
record = "violation"
transport = "rest-batch"
envelope = "map"
url = "http://127.0.0.1:9101/api/query"
auth = "app-key-header"
credential = "env:HUB_CRED_SW"
key_param = "tyshxydm"
key_field = "tyshxydm"
[sources.sw_penalties.fields]
decision_no = "CFJDSWH"
authority = "CFJG"
decided_on = "CFRQ"
summary = "WFSS"
amount = "FKJE"
rectified = "SFZG"
"""
CALLER = f"""
[callers.fgw]
name = "市发改委"
role = "lead"
key_sha256 = "{hash_key('secret-key')}"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hub.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_minimal_file_loads_with_defaults(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, CALLER + SOURCE), environ={})
    assert settings.keys_dir == tmp_path / "keys"
    assert settings.store_url == f"sqlite+aiosqlite:///{tmp_path / 'hub.sqlite'}"
    assert (settings.host, settings.port, settings.demo) == ("127.0.0.1", 8000, False)
    assert [c.name for c in settings.callers] == ["fgw"]
    assert settings.callers[0].key_sha256 == hash_key("secret-key")
    (source,) = settings.sources
    assert source.name == "sw_penalties" and source.check == "IPO_COMPLIANCE"
    assert settings.limits.max_depth == 12


def test_values_given_are_taken(tmp_path: Path) -> None:
    text = ('[hub]\nport = 9000\nhost = "0.0.0.0"\nkeys_dir = "k"\nmax_in_flight = 8\n'
            'checkpoint_every = 100\ncheckpoint_seconds = 2.5\n[limits]\nmax_depth = 6\n'
            + CALLER + SOURCE)
    settings = load_settings(write(tmp_path, text), environ={})
    assert (settings.port, settings.host, settings.max_in_flight) == (9000, "0.0.0.0", 8)
    assert settings.keys_dir == tmp_path / "k" and settings.limits.max_depth == 6
    assert (settings.checkpoint_every, settings.checkpoint_seconds) == (100, 2.5)


def test_report_numbers_are_reserved_in_blocks_of_twenty_unless_configured(tmp_path: Path
                                                                           ) -> None:
    assert load_settings(write(tmp_path, CALLER + SOURCE), environ={}).report_number_block == 20
    text = "[reports]\nnumber_block = 1\n" + CALLER + SOURCE
    assert load_settings(write(tmp_path, text), environ={}).report_number_block == 1


@pytest.mark.parametrize(("text", "says"), [
    ("[hub\n", "not valid TOML"),
    ("[astrology]\n" + CALLER + SOURCE, "astrology: unknown section"),
    ("[hub]\ncolour = 1\n" + CALLER + SOURCE, "hub.colour: unknown key"),
    ("[hub]\naudit = false\n" + CALLER + SOURCE, "hub.audit: auditing cannot be switched off"),
    ("[hub]\nport = 70000\n" + CALLER + SOURCE, "hub.port: must be a whole number from 0 to "
                                                "65535"),
    ("[hub]\nport = \"8000\"\n" + CALLER + SOURCE, "hub.port: must be a whole number"),
    ("[hub]\ndemo = \"yes\"\n" + CALLER + SOURCE, "hub.demo: must be true or false"),
    ("[hub]\ncheckpoint_seconds = 0\n" + CALLER + SOURCE, "hub.checkpoint_seconds: must be a "
                                                          "number from 0.1"),
    ("[hub]\nmax_in_flight = 0\n" + CALLER + SOURCE, "hub.max_in_flight: must be a whole number "
                                                     "from 1"),
    ("[limits]\nmax_depth = 1\n" + CALLER + SOURCE, "limits.max_depth: must be a whole number "
                                                    "from 2 to 100"),
    ("[reports]\nnumber_block = 0\n" + CALLER + SOURCE, "reports.number_block: must be a whole "
                                                       "number from 1 to 100000"),
    ("[reports]\nnumber_block = 2.5\n" + CALLER + SOURCE, "reports.number_block: must be a whole "
                                                         "number"),
    ("[reports]\nblock = 5\n" + CALLER + SOURCE, "reports.block: unknown key (known: prefix, "),
    ("[limits]\nmax_width = 1\n" + CALLER + SOURCE, "limits.max_width: unknown key (known: "
                                                    "max_depth"),
    (SOURCE, "callers: declare at least one [callers.NAME] table"),
    (CALLER.replace('"lead"', '"king"') + SOURCE, "callers.fgw.role: 'king' is not one of "
                                                   "lead, portal, window, auditor"),
    (CALLER.replace(hash_key("secret-key"), "abc") + SOURCE, "callers.fgw.key_sha256: must be "
                                                             "64 lower-case hex digits"),
    (CALLER + CALLER.replace("[callers.fgw]", "[callers.xzsp]") + SOURCE,
     "callers: two callers share one API key"),
    (CALLER, "sources: declare at least one [sources.NAME] table"),
    (CALLER + SOURCE + '[matters.NEWBORN]\ncallers = ["nobody"]\n',
     "matters.NEWBORN.callers: 'nobody' is not a declared caller"),
])
def test_bad_files_name_the_key(tmp_path: Path, text: str, says: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text), environ={})
    assert says in str(info.value)


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_settings(tmp_path / "nowhere.toml")
