"""How the Pulumi CLI turns a stack file's YAML into the text the program receives (pure).

The CLI (pulumi/pulumi v3.259.0) reads `Pulumi.<stack>.yaml` with gopkg.in/yaml.v3 into `any`,
writes it back out and reads it again into `config.Value`s
(sdk/go/common/workspace/loaders.go, LoadProjectStackBytes). So a plain scalar is resolved
twice by yaml.v3's `resolve` (resolve.go), and the result becomes text through Pulumi's
`object.MarshalString` (sdk/go/common/resource/config/object.go): a Go string as it is, a
bool/int/float as `json.Marshal` writes it, a `time.Time` as `Time.String()`, a list or mapping
as `json.Marshal` writes it (an "object" value, handed to the program as JSON).

What follows from that, and what this module reproduces (each case is in the contract test):

- Booleans are only `true|True|TRUE|false|False|FALSE`; `yes`, `no`, `on`, `off` are text.
- Integers: underscores are dropped, then Go's `strconv.ParseInt(s, 0, 64)`: `0x1F` is 31,
  `0o17` and `017` are 15 (yaml.v3 keeps YAML 1.1 octals "for compatibility"), `0b101` is 5;
  too large for int64 tries uint64, then a float.
- Floats print as Go's JSON does: `4.10` becomes `4.1`, `1e3` becomes `1000`, `1e21` `1e+21`.
  `.inf` and `.nan` cannot be written as JSON: the CLI fails to read such a stack file.
- An unquoted date or timestamp (`2026-12-01`, `2026-12-01T10:00:00Z`) becomes a time, then
  `2026-12-01 00:00:00 +0000 UTC`. A non-zero offset prints as `+0200 +0200` (Go's fixed zone;
  inferred for a CLI whose local zone is not that offset, as on UTC machines).
- `key:` with nothing after it is the empty text "" (the CLI warns); inside a list or mapping
  it is JSON `null`. A mapping with a key that is not text is refused ("expected only string
  keys").
- Lists and mappings become JSON as Go writes it: keys sorted, no spaces, `<`, `>`, `&`,
  U+2028 and U+2029 escaped, other non-ASCII kept.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


class GoValueError(ValueError):
    """A value the CLI cannot turn into config text (it refuses the stack file)."""


@dataclass(frozen=True)
class GoTime:
    """A YAML timestamp as yaml.v3 decodes it; `text` is Go's `Time.String()`."""

    text: str


# --- yaml.v3 resolve.go: plain scalars ---------------------------------------------------------
_MAP: dict[str, Any] = {
    **dict.fromkeys(("true", "True", "TRUE"), True),
    **dict.fromkeys(("false", "False", "FALSE"), False),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), None),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
}
_YAML_STYLE_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_GO_FLOAT = re.compile(
    r"[-+]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|inf|infinity|nan)", re.I
)
_INT64 = (-(2**63), 2**63 - 1)


def _go_parse_int(text: str, *, signed: bool = True) -> int | None:
    """Go's strconv.ParseInt(text, 0, 64) (or ParseUint(text, 0, 64) when not `signed`)."""
    sign, body = 1, text
    if signed and body[:1] in "+-" and body:
        sign, body = (-1 if body[0] == "-" else 1), body[1:]
    base, digits = 10, body
    if len(body) > 1 and body[0] == "0":
        prefix = body[1].lower()
        base, digits = {"x": (16, body[2:]), "o": (8, body[2:]), "b": (2, body[2:])}.get(
            prefix, (8, body[1:])
        )
    allowed = "0123456789abcdef"[:base]
    if not digits or any(c.lower() not in allowed for c in digits):
        return None
    value = sign * int(digits, base)
    if signed:
        return value if _INT64[0] <= value <= _INT64[1] else None
    return value if 0 <= value < 2**64 else None


def _go_parse_float(text: str) -> float | None:
    """Go's strconv.ParseFloat(text, 64) for decimal text; None on a syntax or range error."""
    if not _GO_FLOAT.fullmatch(text):
        return None
    value = float(text)
    if math.isinf(value) and "inf" not in text.lower():
        return None  # out of range: ParseFloat answers ErrRange
    return value


def resolve_plain(text: str) -> Any:
    """What yaml.v3 decodes an unquoted scalar to: None, bool, int, float, GoTime or str."""
    if text in _MAP:
        return _MAP[text]
    hint = text[:1]
    if hint in "yYnNtTfFoO~":
        return text
    if hint == ".":
        value = _go_parse_float(text)
        return text if value is None else value
    if not hint or hint not in "+-0123456789":
        return text
    stamp = parse_timestamp(text)
    if stamp is not None:
        return stamp
    plain = text.replace("_", "")
    for parsed in (_go_parse_int(plain), _go_parse_int(plain, signed=False)):
        if parsed is not None:
            return parsed
    if _YAML_STYLE_FLOAT.fullmatch(plain):
        value = _go_parse_float(plain)
        if value is not None:
            return value
    return text


# --- Go's time.Parse for yaml.v3's allowedTimestampFormats -------------------------------------
_NUM12 = r"([0-9]{1,2})"
_TIMESTAMP = re.compile(
    rf"([0-9]{{4}})-{_NUM12}-{_NUM12}"
    rf"(?:(?P<sep>[Tt ]){_NUM12}:{_NUM12}:{_NUM12}(?:[.,]([0-9]+))?"
    r"(?P<zone>Z|[+-][0-9]{2}:[0-9]{2})?)?"
)


def parse_timestamp(text: str) -> GoTime | None:
    """yaml.v3's parseTimestamp: the first of its four layouts that Go's time.Parse accepts."""
    m = _TIMESTAMP.fullmatch(text)
    if m is None:
        return None
    year, month, day = (int(m.group(i)) for i in (1, 2, 3))
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    if not 1 <= month <= 12 or not 1 <= day <= days[month - 1]:
        return None
    date = f"{year:04d}-{month:02d}-{day:02d}"
    if m.group("sep") is None:
        return GoTime(f"{date} 00:00:00 +0000 UTC")
    sep, zone = m.group("sep"), m.group("zone")
    if (sep == " ") == (zone is not None):  # "T"/"t" layouts need a zone, " " has none
        return None
    hour, minute, second = (int(m.group(i)) for i in (5, 6, 7))
    if hour > 23 or minute > 59 or second > 59:
        return None
    fraction = (m.group(8) or "")[:9].rstrip("0")
    clock = f"{hour:02d}:{minute:02d}:{second:02d}" + (f".{fraction}" if fraction else "")
    if zone in (None, "Z") or zone[1:] == "00:00":
        return GoTime(f"{date} {clock} +0000 UTC")
    if int(zone[1:3]) > 24 or int(zone[4:6]) > 60:
        return None
    offset = zone.replace(":", "")
    return GoTime(f"{date} {clock} {offset} {offset}")


# --- Go's encoding/json and fmt ------------------------------------------------------------------
def go_json_float(value: float) -> str:
    """A float64 as Go's json.Marshal writes it ('f', or 'e' below 1e-6 and from 1e21)."""
    if math.isnan(value) or math.isinf(value):
        raise GoValueError(f"unsupported value: {value!r} (JSON has no infinity or NaN)")
    if value == 0:
        return "-0" if math.copysign(1, value) < 0 else "0"
    digits = Decimal(repr(value))  # the shortest digits that round-trip, as Go's -1 precision
    if 1e-6 <= abs(value) < 1e21:
        text = format(digits, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    sign, numerals, exponent = digits.as_tuple()
    assert isinstance(exponent, int)
    mantissa = "".join(map(str, numerals)).rstrip("0") or "0"
    exp = exponent + len(numerals) - 1
    head = mantissa[0] + ("." + mantissa[1:] if len(mantissa) > 1 else "")
    return f"{'-' if sign else ''}{head}e{'-' if exp < 0 else '+'}{abs(exp):02d}".replace(
        "e-0", "e-"
    )


_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


def _go_string(text: str) -> str:
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char < " " or char in "<>&\u2028\u2029":
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def go_json(value: Any) -> str:
    """`value` as Go's json.Marshal writes it: no spaces, mapping keys sorted, `<`, `>`, `&`,
    U+2028 and U+2029 escaped, floats as go_json_float."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_json_float(value)
    if isinstance(value, GoTime):
        return _go_string(value.text)
    if isinstance(value, str):
        return _go_string(value)
    if isinstance(value, list):
        return "[" + ",".join(go_json(v) for v in value) + "]"
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            bad = next(k for k in value if not isinstance(k, str))
            raise GoValueError(f"expected only string keys, got {config_text(bad)!r}")
        items = sorted(value.items(), key=lambda kv: kv[0].encode())
        return "{" + ",".join(f"{_go_string(k)}:{go_json(v)}" for k, v in items) + "}"
    raise GoValueError(f"unexpected value of type {type(value).__name__}")


def config_text(value: Any) -> str:
    """A stack file's value (after yaml.v3) as the text the CLI hands the program: text as it
    is, a time as Go prints it, nothing as "", anything else as Go's JSON (MarshalString)."""
    if value is None:
        return ""
    if isinstance(value, GoTime):
        return value.text
    if isinstance(value, str):
        return value
    return go_json(value)
