"""YAML as the Pulumi CLI reads stack files (gopkg.in/yaml.v3), refusing what is unsafe.

PyYAML speaks YAML 1.1, where `no`, `off` and `yes` are booleans and `1:0` is 60; the CLI reads
with Go's yaml.v3, whose own resolver (resolve.go) `_go_values.resolve_plain` reproduces: every
plain scalar is resolved by it, quoted and block scalars stay text. This loader also refuses a
key given twice (as yaml.v3 does) and a document whose aliases expand beyond a sane size or
depth before anything is built from it (a 730-byte "billion laughs" otherwise runs for minutes).
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from components.config._go_values import resolve_plain

MAX_BYTES = 256 * 1024  # a stack file is a page of config
MAX_NODES = 20_000  # after alias expansion
MAX_DEPTH = 32

_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PLAIN = "tag:okta-ldap-immuta,2026:yaml.v3-plain"


class YamlError(ValueError):
    """The text is not a stack file YAML document this project accepts."""


class _Loader(_Base):  # type: ignore[misc, valid-type]
    pass


# Merge keys (`<<`) keep PyYAML's handling, as yaml.v3 merges too; every other plain scalar
# goes to yaml.v3's resolver.
_Loader.yaml_implicit_resolvers = {}
_Loader.add_implicit_resolver("tag:yaml.org,2002:merge", re.compile(r"^<<\Z"), ["<"])
_Loader.add_implicit_resolver(_PLAIN, re.compile(r"", re.S), None)
_Loader.add_constructor(_PLAIN, lambda loader, node: resolve_plain(str(node.value)))


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


def config_scalars(text: str) -> dict[str, str]:
    """The scalars under the document's `config:` as typed (raw text, before resolution)."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError:
        return {}
    finally:
        loader.dispose()
    if not isinstance(node, MappingNode):
        return {}
    config = next((v for k, v in node.value if getattr(k, "value", None) == "config"), None)
    if not isinstance(config, MappingNode):
        return {}
    return {
        str(k.value): str(v.value)
        for k, v in config.value
        if isinstance(k, ScalarNode) and isinstance(v, ScalarNode)
    }
