"""The address and netmask columns of a pg_hba host rule, as PostgreSQL 15 reads them (pure).

hba.c (parse_hba_line) cuts the address token at its first `/`; the part before goes to
getaddrinfo(AI_NUMERICHOST) (EAI_NONAME: a host name), the part after to
pg_sockaddr_cidr_mask (strtol, nothing may follow the digits). An address without `/` takes
the next column as its netmask, whatever that column holds: the usual mistake is a forgotten
`/32`, which makes the method the netmask. Each message names the real problem, PostgreSQL's
own words (to find it in its log) and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.query_engine.hba_libc import ZoneName, numeric_family, strtol

__all__ = ["Address", "mask_problem", "missing_mask", "parse_address"]

_FULL_LENGTH = {4: 32, 6: 128}


@dataclass(frozen=True)
class Address:
    """An address token: its family (None for a host name) and whether a netmask column
    follows it; or the problem that stops PostgreSQL."""

    family: int | None = None
    needs_mask: bool = False
    problem: str | None = None


def _zone(zone: str) -> str:
    return f"%{zone}" if len(zone) <= 20 else f"%{zone[:16]}..."


def _zone_problem(zone: str, fixed: str) -> str:
    return (
        f"a zone id ({_zone(zone)}) is not accepted here: it names a network interface of the "
        "Query Engine's server (where none has that name, PostgreSQL reads the address as a "
        f"host name); write it without the zone id, e.g. {fixed}"
    )


def parse_address(text: str) -> Address:
    """The address column `text` (not a keyword) as PostgreSQL reads it."""
    host, slash, bits = text.partition("/")
    try:
        family = numeric_family(host)
    except ZoneName as name:
        bare = host.partition("%")[0]
        if not slash:
            fixed = f"{bare}/128 (or {bare} and a netmask column)"
        else:
            fixed = bare + (f"/{bits}" if bits.isdigit() and len(bits) <= 3 else "")
        return Address(problem=_zone_problem(str(name), fixed))
    if not slash:
        return Address(family, needs_mask=family is not None)
    if family is None:
        return Address(
            problem="a host name cannot take a /prefix (PostgreSQL: specifying both host name "
            "and CIDR mask is invalid); an IP address can, e.g. 10.1.2.0/24"
        )
    limit = _FULL_LENGTH[family]
    prefix, pct, zone = bits.partition("%")
    parsed = strtol(prefix)
    in_range = parsed is not None and not parsed[1] and 0 <= parsed[0] <= limit
    said = "PostgreSQL: invalid CIDR mask in address"
    if pct and in_range:
        return Address(
            problem=f"a zone id ({_zone(zone)}) cannot follow the /prefix ({said}); a zone "
            "names a network interface of the Query Engine's server and rules match without "
            f"it, so leave it out: {host}/{prefix}"
        )
    if not in_range or pct:
        dotted = "; a netmask goes in its own column" if "." in bits or ":" in bits else ""
        return Address(
            problem=f"invalid CIDR mask /{bits} ({said}): the prefix is 0 to {limit}{dotted}"
        )
    return Address(family)


def _fix(address: str, family: int) -> str:
    netmask = (
        f", or a netmask column after it, e.g. {address} 255.255.255.255" if family == 4 else ""
    )
    return (
        f"give the address a CIDR length, e.g. {address}/{_FULL_LENGTH[family]} (this one "
        f"address){netmask or ', or a netmask column after it'}"
    )


def missing_mask(address: str, family: int) -> str:
    """The problem of an address without `/prefix` at the end of the line."""
    return (
        "the line ends where PostgreSQL expects the netmask of this address, as it has no "
        f"/prefix (PostgreSQL: end-of-line before netmask specification); {_fix(address, family)}"
    )


def mask_problem(address: str, family: int, mask: str, methods: tuple[str, ...]) -> str | None:
    """Why `mask`, the column after `address` (no /prefix), is not its netmask; or None."""
    try:
        mask_family = numeric_family(mask)
    except ZoneName as name:
        return _zone_problem(str(name), mask.partition("%")[0])
    if mask_family is None:
        # Only a method name is quoted: a token here may be a secret (ldapbindpasswd=...).
        what, said = (
            ("read as the netmask, not as the method,", f' "{mask}"')
            if mask in methods
            else ("not a netmask, which PostgreSQL expects here", "")
        )
        return (
            f"{what} because the address {address} has no /prefix (PostgreSQL: invalid IP "
            f"mask{said}); {_fix(address, family)}"
        )
    if mask_family != family:
        return (
            f"an IPv{mask_family} netmask for an IPv{family} address (PostgreSQL: IP address "
            "and mask do not match)"
        )
    return None
