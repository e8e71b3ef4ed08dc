"""YAML as the Pulumi CLI reads stack files (YAML 1.2 core schema), refusing what is unsafe.

PyYAML speaks YAML 1.1, where `no`, `off` and `yes` are booleans, `2001-01-01` is a date, `1:0`
is 60 and `0755` is octal; the CLI (Go yaml.v3) reads YAML 1.2, where they are text or decimal.
This loader resolves scalars by the YAML 1.2 core schema,
refuses a key given twice, and refuses a document whose aliases expand beyond a sane size or
depth before anything is built from it (a 730-byte "billion laughs" otherwise runs for minutes).
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_BYTES = 256 * 1024  # a stack file is a page of config
MAX_NODES = 20_000  # after alias expansion
MAX_DEPTH = 32

_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlError(ValueError):
    """The text is not a stack file YAML document this project accepts."""


class _Loader(_Base):  # type: ignore[misc, valid-type]
    pass


# The YAML 1.2 core schema (what yaml.v3 resolves): booleans are only true/false, no dates, no
# base-60 or underscored numbers, no octal from a leading 0. Anything else stays text.
_CORE = [
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)\Z", list("tTfF")),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)\Z", ["~", "n", "N", ""]),
    (
        "tag:yaml.org,2002:int",
        r"^(?:[-+]?[0-9]+|0x[0-9a-fA-F]+)\Z",
        list("-+0123456789"),
    ),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\Z",
        list("-+.0123456789"),
    ),
    ("tag:yaml.org,2002:merge", r"^<<\Z", ["<"]),
]
_Loader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in _CORE:
    _Loader.add_implicit_resolver(_tag, re.compile(_pattern), _first)


def _core_int(loader: Any, node: ScalarNode) -> int:
    """Decimal even with leading zeros (YAML 1.2), or hexadecimal."""
    text = str(loader.construct_scalar(node))
    return int(text, 16) if text.startswith("0x") else int(text, 10)


_Loader.add_constructor("tag:yaml.org,2002:int", _core_int)


def _measure(node: Node) -> None:
    """Expanded size and depth of the node graph (aliases share nodes), without expanding."""
    sizes: dict[int, int] = {}

    def size(n: Node, depth: int) -> int:
        if depth > MAX_DEPTH:
            raise YamlError(f"nested deeper than {MAX_DEPTH} levels")
        if id(n) in sizes:
            return sizes[id(n)]
        total = 1
        if isinstance(n, SequenceNode):
            total += sum(size(c, depth + 1) for c in n.value)
        elif isinstance(n, MappingNode):
            total += sum(size(k, depth + 1) + size(v, depth + 1) for k, v in n.value)
        sizes[id(n)] = total
        if total > MAX_NODES:
            raise YamlError(f"expands to more than {MAX_NODES} values (YAML aliases)")
        return total

    size(node, 0)


def _no_duplicate_keys(node: Node, seen: set[int] | None = None) -> None:
    seen = set() if seen is None else seen
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, MappingNode):
        keys: set[str] = set()
        for key, value in node.value:
            if isinstance(key, ScalarNode):
                if key.value in keys:
                    line = key.start_mark.line + 1
                    raise YamlError(f"line {line}: key {key.value!r} is given twice")
                keys.add(key.value)
            _no_duplicate_keys(value, seen)
    elif isinstance(node, SequenceNode):
        for child in node.value:
            _no_duplicate_keys(child, seen)


def load(text: str) -> Any:
    """The document in `text`; YamlError says why it is refused (never echoing a value)."""
    if len(text.encode()) > MAX_BYTES:
        raise YamlError(f"larger than {MAX_BYTES // 1024} KiB")
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _measure(node)
        _no_duplicate_keys(node)
        return loader.construct_document(node)
    except yaml.reader.ReaderError as exc:
        raise YamlError(
            f"not valid YAML: character U+{exc.character:04X} at position {exc.position} is not "
            "allowed in YAML (a control character: write it as an escape in a quoted string)"
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        line = text.splitlines()[mark.line] if mark and mark.line < len(text.splitlines()) else ""
        tabbed = "\t" in line[: len(line) - len(line.lstrip())]
        hint = "; indent with spaces, not tabs" if tabbed else ""
        raise YamlError(f"not valid YAML: {where}{exc.problem}{hint}") from None
    except yaml.YAMLError as exc:
        raise YamlError(f"not valid YAML: {type(exc).__name__}") from None
    finally:
        loader.dispose()
