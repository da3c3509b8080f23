"""Understanding a department's answer: pure functions from bytes or rows to hub records.

Nothing here does I/O. `parse_body` checks the envelope and that the answer is about exactly the
subjects asked for; `RecordMapper` (built once per source) maps one department record onto a
hub record type, converting each value from the department's format. Anything that does not
fit raises `SourceInvalid` with the reason in plain words; a partly understood answer is never
used.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from connectors.config import SourceConfig
from connectors.errors import SourceInvalid
from connectors.records import RECORD_TYPES, FieldSpec, FieldValue, Record

__all__ = ["CHINA", "Parsed", "RecordMapper", "parse_body", "parse_timestamp", "to_record"]

CHINA = dt.timezone(dt.timedelta(hours=8))
# key → list of raw records, or None when the department does not know the subject.
Parsed = dict[str, list[Mapping[str, Any]] | None]
_MONTH = re.compile(r"^(\d{4})-?(\d{2})$")


def parse_timestamp(value: Any, what: str) -> dt.datetime:
    if not isinstance(value, str):
        raise SourceInvalid(f"{what} is not a timestamp")
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise SourceInvalid(f"{what} {value[:40]!r} is not an ISO 8601 timestamp") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA)


def _obj(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise SourceInvalid(f"{what} is not a JSON object")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise SourceInvalid(f"{what} is not a JSON array")
    return value


def parse_body(cfg: SourceConfig, body: bytes, keys: Sequence[str]
               ) -> tuple[Parsed, dt.datetime | None]:
    """Parse an HTTP answer for `keys`; every key must be answered once, and no other."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise SourceInvalid("the answer is not valid JSON") from None
    doc = _obj(doc, "the answer")
    parsed: Parsed = {}
    if cfg.envelope == "list":
        if doc.get("code") != 0:
            raise SourceInvalid(f"the source reported failure (code {doc.get('code')!r}: "
                                f"{str(doc.get('msg'))[:80]})")
        data = _obj(doc.get("data"), "data")
        as_of = data.get("updateTime")
        for item in _list(data.get("list"), "data.list"):
            item = _obj(item, "an item of data.list")
            key = _answered_key(parsed, item.get(cfg.key_field), keys)
            exists = item.get("exists")
            if not isinstance(exists, bool):
                raise SourceInvalid("an item of data.list has no boolean 'exists'")
            records = _list(item.get(cfg.records_field), f"data.list[].{cfg.records_field}")
            parsed[key] = [_obj(r, "a record") for r in records] if exists else None
    elif cfg.envelope == "hits":
        if doc.get("success") is not True:
            raise SourceInvalid("the source reported failure (success is not true)")
        result = _obj(doc.get("result"), "result")
        as_of = result.get("asOf")
        hits: dict[str, list[Mapping[str, Any]]] = {}
        for hit in _list(result.get("hits"), "result.hits"):
            hit = _obj(hit, "a hit")
            hit_key = hit.get(cfg.key_field)
            if not isinstance(hit_key, str) or hit_key not in keys:
                raise SourceInvalid(_wrong_subject(hit_key))
            hits.setdefault(hit_key, []).append(hit)
        for hit_key, records in hits.items():
            _answered_key(parsed, hit_key, keys)
            parsed[hit_key] = records
        for key in _list(result.get("empty"), "result.empty"):
            _answered_key(parsed, key, keys)
            parsed[key] = []
        for key in _list(result.get("unknown"), "result.unknown"):
            _answered_key(parsed, key, keys)
            parsed[key] = None
    elif cfg.envelope == "map":
        if doc.get("status") != "00":
            raise SourceInvalid(f"the source reported failure (status {doc.get('status')!r})")
        as_of = doc.get("sjsj")
        for key, row in _obj(doc.get("rows"), "rows").items():
            _answered_key(parsed, key, keys)
            row = _obj(row, f"rows[{key!r}]")
            if row.get("exists") not in ("0", "1"):
                raise SourceInvalid("a row has no 'exists' of '0' or '1'")
            items = [_obj(r, "a record") for r in _list(row.get("items"), "rows[].items")]
            parsed[key] = items if row["exists"] == "1" else None
    elif cfg.envelope == "single":
        code = doc.get("code")
        if code == "404" and len(keys) == 1:
            return {keys[0]: None}, None
        if code != "200":
            raise SourceInvalid(f"the source reported failure (code {code!r})")
        data = _obj(doc.get("data"), "data")
        key = _answered_key(parsed, data.get(cfg.key_field), keys)
        parsed[key] = [_obj(r, "a record") for r in _list(data.get(cfg.records_field),
                                                          f"data.{cfg.records_field}")]
        as_of = data.get("updated")
    else:
        raise SourceInvalid(f"envelope {cfg.envelope!r} is not an HTTP envelope")
    missing = [k for k in keys if k not in parsed]
    if missing:
        raise SourceInvalid(f"the answer says nothing about {len(missing)} of the "
                            f"{len(keys)} subjects asked for")
    return parsed, None if as_of is None else parse_timestamp(as_of, "the data time")


def _wrong_subject(key: Any) -> str:
    return ("the answer is about a subject the hub did not ask for"
            + ("" if isinstance(key, str) else " (or has no subject key)"))


def _answered_key(parsed: Parsed, key: Any, keys: Sequence[str]) -> str:
    if not isinstance(key, str) or key not in keys:
        raise SourceInvalid(_wrong_subject(key))
    if key in parsed:
        raise SourceInvalid("the answer lists the same subject twice")
    return key


def to_record(cfg: SourceConfig, raw: Mapping[str, Any]) -> Record:
    """Map one department record onto the source's hub record type."""
    return RecordMapper(cfg)(raw)


Converter = Callable[[Any], FieldValue]


class RecordMapper:
    """One source's record conversion, built once: for each hub field, the department field it
    comes from and the conversion of its kind; calling it maps one department record."""

    __slots__ = ("_fields", "_type")

    def __init__(self, cfg: SourceConfig) -> None:
        self._type = cfg.record
        # An optional field the department does not provide may be left out of the mapping
        # (its column is None: the record never has it).
        self._fields = tuple(
            (spec.name, cfg.fields.get(spec.name), spec.required, _converter(cfg, spec),
             f"a {cfg.record} record has no {spec.name} (department field "
             f"{cfg.fields.get(spec.name)!r})")
            for spec in RECORD_TYPES[cfg.record])

    def __call__(self, raw: Mapping[str, Any]) -> Record:
        values: dict[str, FieldValue] = {}
        for name, column, required, convert, missing in self._fields:
            value = None if column is None else raw.get(column)
            if value is None or value == "":
                if required:
                    raise SourceInvalid(missing)
                values[name] = None
            else:
                values[name] = convert(value)
        return Record(self._type, values)


def _converter(cfg: SourceConfig, spec: FieldSpec) -> Converter:
    where = f"{spec.name} (department field {cfg.fields.get(spec.name)!r})"
    kind = spec.kind

    def text(value: Any) -> FieldValue:
        if not isinstance(value, str):
            raise SourceInvalid(f"{where} is not text")
        return value

    def whole(value: Any) -> FieldValue:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise SourceInvalid(f"{where} is not a whole number")
        try:
            return int(value)
        except ValueError:
            raise SourceInvalid(f"{where} is not a whole number") from None

    def number(value: Any) -> FieldValue:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SourceInvalid(f"{where} is not a number")
        return float(value)

    def month(value: Any) -> FieldValue:
        match = _MONTH.match(value) if isinstance(value, str) else None
        if match is None or not 1 <= int(match.group(2)) <= 12:
            raise SourceInvalid(f"{where} is not a month (YYYY-MM)")
        return f"{match.group(1)}-{match.group(2)}"

    yes, no = {"bool": (True, False), "digit": ("1", "0"), "zh": ("是", "否")}[cfg.bool_style]

    def flag(value: Any) -> FieldValue:
        if value == yes and type(value) is type(yes):
            return True
        if value == no and type(value) is type(no):
            return False
        raise SourceInvalid(f"{where} is not {yes!r} or {no!r}")

    by_kind: dict[str, Converter] = {
        "str": text, "int": whole, "float": number, "month": month, "bool": flag,
        "money": lambda value: _money(cfg, value, where),
        "date": lambda value: _date(cfg, value, where),
    }
    return by_kind[kind]


def _money(cfg: SourceConfig, value: Any, where: str) -> int:
    if isinstance(value, bool):
        raise SourceInvalid(f"{where} is not an amount")
    if cfg.money_unit == "fen":
        if not isinstance(value, int):
            raise SourceInvalid(f"{where} is not a whole number of fen")
        return value
    if cfg.money_unit == "yuan_str" and not isinstance(value, str):
        raise SourceInvalid(f"{where} is not an amount written as text")
    if cfg.money_unit == "yuan" and not isinstance(value, int | float):
        raise SourceInvalid(f"{where} is not a number of yuan")
    try:
        amount = Decimal(str(value).replace(",", ""))
    except InvalidOperation:
        raise SourceInvalid(f"{where} is not an amount") from None
    if not amount.is_finite():
        raise SourceInvalid(f"{where} is not a finite amount")
    return int((amount * 100).to_integral_value())


def _date(cfg: SourceConfig, value: Any, where: str) -> dt.date:
    fmt = cfg.date_format
    try:
        if fmt == "epoch_ms":
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError
            return dt.datetime.fromtimestamp(value / 1000, CHINA).date()
        if not isinstance(value, str):
            raise ValueError
        pattern = {"iso": "%Y-%m-%d", "compact": "%Y%m%d", "slash": "%Y/%m/%d"}[fmt]
        return dt.datetime.strptime(value, pattern).date()
    except (ValueError, OverflowError, OSError):
        raise SourceInvalid(f"{where} is not a date in the agreed format ({fmt})") from None
