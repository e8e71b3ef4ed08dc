"""The C library calls PostgreSQL 15's hba.c makes on glibc, as pg_hba parsing sees them:
strtol, atoi, inet_aton, getaddrinfo(AI_NUMERICHOST) and SplitGUCList (pure)."""

from __future__ import annotations

import socket

_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1  # C long on 64-bit Linux
_HEX = "0123456789abcdefABCDEF"
_C_SPACE = " \t\n\v\f\r"  # C isspace() for ASCII (strtol, atoi)
_GUC_SPACE = " \t\n\r\f"  # PostgreSQL 15's scanner_isspace (no \v until 16)


def strtol(text: str) -> tuple[int, str] | None:
    """(value, rest) as C strtol(text, &rest, 10); None when no digits were read."""
    i = len(text) - len(text.lstrip(_C_SPACE))
    sign = -1 if text[i : i + 1] == "-" else 1
    i += text[i : i + 1] in ("+", "-")
    j = i
    while j < len(text) and "0" <= text[j] <= "9":
        j += 1
    if j == i:
        return None
    return max(_LONG_MIN, min(_LONG_MAX, sign * int(text[i:j]))), text[j:]


def atoi(text: str) -> int:
    """C atoi on glibc: (int) strtol(text, NULL, 10), truncated to 32 bits."""
    parsed = strtol(text)
    value = (parsed[0] if parsed else 0) & 0xFFFFFFFF
    return value - 2**32 if value >= 2**31 else value


def inet_aton_exact(text: str) -> bool:
    """glibc's __inet_aton_exact: 1 to 4 parts, each decimal, 0octal or 0xhex; nothing after."""
    parts, i, n = 0, 0, len(text)
    while True:
        if i >= n or not "0" <= text[i] <= "9":
            return False
        if text[i : i + 2] in ("0x", "0X") and i + 2 < n and text[i + 2] in _HEX:
            j = i + 2
            while j < n and text[j] in _HEX:
                j += 1
            value = int(text[i + 2 : j], 16)
        else:
            digits = "01234567" if text[i] == "0" else "0123456789"
            j = i + 1
            while j < n and text[j] in digits:
                j += 1
            value = int(text[i:j], 8 if text[i] == "0" else 10)
        i = j
        if value > 2**64 - 1:
            return False
        if i < n and text[i] == ".":
            if parts > 2 or value > 0xFF:
                return False
            parts, i = parts + 1, i + 1
            continue
        return i == n and value <= (0xFFFFFFFF, 0xFFFFFF, 0xFFFF, 0xFF)[parts]


def inet_pton6(text: str) -> bytes | None:
    try:
        return socket.inet_pton(socket.AF_INET6, text)
    except (OSError, ValueError, UnicodeError):
        return None


class ZoneName(Exception):
    """An IPv6 zone given by interface name: numeric or not depends on the server."""


def numeric_family(host: str) -> int | None:
    """4 or 6 when getaddrinfo(host, AI_NUMERICHOST) succeeds; None for EAI_NONAME (a name)."""
    if inet_aton_exact(host):
        return 4
    address, pct, zone = host.partition("%")
    packed = inet_pton6(address)
    if packed is None:
        return None
    if not pct:
        return 6
    if zone and zone.isascii() and zone.isdigit() and int(zone) <= 0xFFFFFFFF:
        return 6
    link_local = (packed[0] == 0xFE and packed[1] & 0xC0 == 0x80) or (
        packed[0] == 0xFF and packed[1] & 0x0F in (1, 2)
    )
    if link_local and zone:  # glibc tries if_nametoindex(zone) first
        raise ZoneName(zone)
    return None


def split_guc_list(raw: str) -> list[str] | None:
    """PostgreSQL's SplitGUCList(raw, ','): the names, or None on a syntax error."""
    names: list[str] = []
    i, n = len(raw) - len(raw.lstrip(_GUC_SPACE)), len(raw)
    if i == n:
        return names
    while True:
        if i == n:  # a separator with nothing after it: an empty name
            return None
        if raw[i] == '"':
            pieces, j = [], i + 1
            while True:
                k = raw.find('"', j)
                if k < 0:
                    return None
                if raw[k + 1 : k + 2] != '"':
                    break
                pieces.append(raw[j : k + 1])
                j = k + 2
            pieces.append(raw[j:k])
            name, i = "".join(pieces), k + 1
        else:
            j = i
            while i < n and raw[i] != "," and raw[i] not in _GUC_SPACE:
                i += 1
            if i == j:
                return None
            name = raw[j:i]
        while i < n and raw[i] in _GUC_SPACE:
            i += 1
        names.append(name)
        if i == n:
            return names
        if raw[i] != ",":
            return None
        i += 1
        while i < n and raw[i] in _GUC_SPACE:
            i += 1
