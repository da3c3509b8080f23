"""Log output: JSON lines with the fields operations search by, or a console format on a
terminal; level and format read from the configuration, bad values refused by key."""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
import structlog

from hub.config.errors import ConfigError
from hub.config.settings import load_settings
from hub.logs import LogSettings, configure_logging
from tests.sandbox_process import SandboxProcess


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


def test_json_lines_carry_time_level_logger_message_and_extras() -> None:
    out = io.StringIO()
    configure_logging(LogSettings("info", "json"), out)
    logging.getLogger("hub.test").info("request done", extra={"request_id": "r-1",
                                                              "status": 200})
    logging.getLogger("hub.test").debug("not shown")
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    line = orjson.loads(lines[0])
    assert line["message"] == "request done" and line["level"] == "info"
    assert line["logger"] == "hub.test" and line["request_id"] == "r-1" and line["status"] == 200
    assert line["time"].endswith("Z") and "T" in line["time"]
    # UTC to the microsecond, fixed width (text order is time order), and now.
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", line["time"])
    logged = dt.datetime.strptime(line["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
    assert abs((dt.datetime.now(dt.UTC) - logged).total_seconds()) < 5


def test_an_exception_stays_on_one_line() -> None:
    out = io.StringIO()
    configure_logging(LogSettings("info", "json"), out)
    try:
        raise ValueError("the store went away")
    except ValueError:
        logging.getLogger("hub.test").exception("append failed", extra={"request_id": "r-2"})
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    line = orjson.loads(lines[0])
    assert line["level"] == "error" and line["request_id"] == "r-2"
    assert "ValueError: the store went away" in line["exception"]


def test_auto_is_console_on_a_terminal_and_json_elsewhere() -> None:
    tty = Terminal()
    configure_logging(LogSettings("info", "auto"), tty)
    logging.getLogger("hub.test").warning("source down", extra={"source": "sw_penalties"})
    text = tty.getvalue()
    assert "source down" in text and "sw_penalties" in text
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(text.splitlines()[0])
    pipe = io.StringIO()
    configure_logging(LogSettings("info", "auto"), pipe)
    logging.getLogger("hub.test").warning("source down")
    assert orjson.loads(pipe.getvalue())["message"] == "source down"
    assert tty.getvalue() == text  # the handler was replaced, not added


def test_level_warning_drops_info_and_quietens_chatty_libraries() -> None:
    out = io.StringIO()
    configure_logging(LogSettings("warning", "json"), out)
    logging.getLogger("hub.test").info("hidden")
    logging.getLogger("alembic.runtime.migration").info("Context impl SQLiteImpl.")
    logging.getLogger("hub.test").warning("shown")
    assert [orjson.loads(x)["message"] for x in out.getvalue().splitlines()] == ["shown"]


def _config(tmp_path: Path, sandbox: SandboxProcess, extra: str) -> Path:
    path = tmp_path / "hub.toml"
    path.write_text(f'{extra}\n[callers.fgw]\nrole = "lead"\nkey_sha256 = "{"a" * 64}"\n\n'
                    + sandbox.config_text)
    return path


def test_log_settings_from_the_configuration(tmp_path: Path, sandbox: SandboxProcess) -> None:
    settings = load_settings(_config(tmp_path, sandbox, '[log]\nlevel = "debug"\n'
                                     'format = "json"\n[hub]\ndrain_seconds = 5'))
    assert settings.log == LogSettings("debug", "json") and settings.drain_seconds == 5
    assert load_settings(_config(tmp_path, sandbox, "")).log == LogSettings("info", "auto")


@pytest.mark.parametrize(("extra", "says"), [
    ('[log]\nlevel = "loud"', "log.level: 'loud' is not one of debug, info, warning, error"),
    ('[log]\nformat = "xml"', "log.format: 'xml' is not one of auto, json, console"),
    ("[log]\nlevel = 3", "log.level: must be a non-empty string"),
    ('[log]\ncolour = "red"', "log.colour: unknown key (known: level, format)"),
    ("log = 1", "log: must be a table"),
    ("[hub]\ndrain_seconds = -1", "hub.drain_seconds: must be a whole number from 0 to 3600"),
    ('[hub]\ndrain_seconds = "30"', "hub.drain_seconds: must be a whole number"),
])
def test_bad_log_settings_name_the_key(tmp_path: Path, sandbox: SandboxProcess, extra: str,
                                      says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(_config(tmp_path, sandbox, extra))
    assert says in str(caught.value)
