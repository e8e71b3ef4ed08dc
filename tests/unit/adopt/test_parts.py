"""The pure parts of adopt: the pg_hba comparison, bind DNs, config commands, the import file,
and the Okta emulator endpoints adopt reads."""

from __future__ import annotations

import httpx
import pytest

from adopt.hba_compare import UNPARSEABLE, compare, mask_line, normal_dn, read_line
from adopt.model import ImportEntry, engine_urn, implied_urns, import_file, provider_version
from adopt.okta_read import search_expression
from adopt.proposals import config_commands, login_of_dn
from rehearsal.okta_emulator import OktaEmulator
from tests.unit.adopt.manual_setup import HAND_LINE, PAGE_LINE, READ_ONLY_ADMIN, user

RENDERED = (
    'hostssl immuta +okta_user 10.0.0.0/8 ldap ldapserver="acme.ldap.okta.com" ldapport="389" '
    'ldaptls="1" ldapbasedn="ou=users,dc=acme,dc=okta,dc=com" ldapsearchattribute="uid" '
    'ldapbinddn="uid=svc@acme.example,dc=acme,dc=okta,dc=com" ldapbindpasswd="new ""pw"""'
)


def test_the_pages_line_has_no_address_column() -> None:
    view = read_line(HAND_LINE)
    assert view is not None
    assert (view.address, view.method, view.role) == (None, "ldap", "okta_user")
    assert view.transport() == "ldaps"
    assert view.problems  # PostgreSQL 15 refuses it
    rendered = read_line(RENDERED)
    assert rendered is not None
    assert (rendered.address, rendered.transport(), rendered.problems) == (
        "10.0.0.0/8",
        "starttls",
        (),
    )


def test_the_comparison_names_each_difference_in_meaning() -> None:
    result = compare(HAND_LINE, [RENDERED], ["Manual-Bind-Canary-7f3a"])
    rows = {r[0]: r for r in result.rows}
    assert rows["address column"][1:3] == ("(missing)", "10.0.0.0/8")
    assert rows["TLS"][1:3] == ("ldaps", "starttls")
    assert rows["ldapbasedn"][3] == "the same DN (blanks only)"
    assert rows["quoting"][1] == "unquoted: ldapscheme"
    assert "Manual-Bind-Canary-7f3a" not in repr(result)
    assert 'new ""pw' not in repr(result)


def test_unquoted_commas_quoted_roles_and_backquotes_are_called_out() -> None:
    line = (
        'hostssl immuta "+okta_user" 0.0.0.0/0 ldap ldapserver=acme.ldap.okta.com '
        "ldapbasedn=ou=users, dc=acme ldapscheme=ldaps ldapbindpasswd=x,y"
    )
    rows = {r[0]: r for r in compare(line, [RENDERED]).rows}
    assert "ldapbasedn quoting" in rows
    assert rows["ldapbasedn quoting"][1].endswith("dc=acme")
    assert rows["user column"][1] == '"+okta_user"'
    assert "not the members" in rows["user column"][3]
    assert "ldapbindpasswd quoting" in rows  # the piece after the comma is masked
    assert "y" not in rows["ldapbindpasswd quoting"][1].split(":")[-1]
    backquoted = {r[0]: r for r in compare(PAGE_LINE, [RENDERED]).rows}
    assert "backquotes" in backquoted["ldapbinddn"][3]


def test_masking_finds_the_password_wherever_it_stands() -> None:
    assert "secret-pw" not in mask_line('host all all ldap ldapbindpasswd="secret-pw" x=1')
    assert "ldapbindpasswd=[secret]" in mask_line("hostssl a b c ldapbindpasswd=secret-pw")
    assert mask_line('hostssl a b 0/0 ldap ldapbindpasswd="open') == UNPARSEABLE
    assert "hunter22" not in mask_line("hostssl a b 0/0 ldap # hunter22", ["hunter22"])


def test_bind_dns_give_logins() -> None:
    assert login_of_dn("uid=svc@acme.example,dc=acme,dc=okta,dc=com") == ("svc@acme.example", "")
    assert login_of_dn("UID = a\\2cb@x.example , dc=x") == ("a,b@x.example", "")
    assert login_of_dn("uid=`svc@acme.example`,dc=`acme`") == (
        "svc@acme.example",
        "backquotes from the page's formatting removed",
    )
    assert login_of_dn("cn=svc,dc=x") is None
    assert normal_dn("ou=users, dc=Acme") == normal_dn("OU=users,dc=acme")


def test_search_expressions_quote_what_they_search() -> None:
    assert search_expression('a"b@x.example') == ('profile.login eq "a\\"b@x.example"', False)
    assert search_expression("svc-immuta") == ('profile.login sw "svc-immuta@"', True)


def test_config_commands_set_lists_element_by_element() -> None:
    assert config_commands("prod", {"p:a": "true", "p:l": '["x y", "it\'s"]'}) == [
        "pulumi config set --stack prod p:a -- 'true'",
        "pulumi config set --stack prod --path 'p:l[0]' -- 'x y'",
        "pulumi config set --stack prod --path 'p:l[1]' -- 'it'\\''s'",
    ]


def test_the_import_file_is_what_pulumi_import_reads() -> None:
    entries = [
        ImportEntry("okta:user/user:User", "u", "00u1", "accounts", version="7.0.1"),
        ImportEntry("my:c:Accounts", "accounts", component=True),
    ]
    document = import_file(entries)
    assert document == {
        "nameTable": {},
        "resources": [
            {"type": "my:c:Accounts", "name": "accounts", "component": True},
            {
                "type": "okta:user/user:User",
                "name": "u",
                "id": "00u1",
                "parent": "accounts",
                "version": "7.0.1",
            },
        ],
    }
    assert implied_urns(document, "proj", "dev") == {
        "accounts": "urn:pulumi:dev::proj::my:c:Accounts::accounts",
        "u": "urn:pulumi:dev::proj::my:c:Accounts$okta:user/user:User::u",
    }
    assert engine_urn("urn:pulumi:dev::proj::pulumi:pulumi:Stack$my:c:Accounts::accounts") == (
        "urn:pulumi:dev::proj::my:c:Accounts::accounts"
    )
    with pytest.raises(ValueError, match="unique"):
        import_file([*entries, entries[0]])
    assert provider_version("okta:user/user:User") == "7.0.1"
    assert provider_version("pulumi-python:dynamic:Resource") is None


def test_the_okta_emulator_serves_the_reads_adopt_needs() -> None:
    with OktaEmulator() as emu:
        emu.seed(
            users=[
                user("00u1", "svc@acme.example"),
                user("00u2", "svc@other.example"),
                user("00u3", "alice@acme.example"),
            ],
            groups=[{"id": "00g1", "type": "OKTA_GROUP", "profile": {"name": "g"}}],
            user_groups={"00u1": ["00g1"], "00u3": ["00g1"]},
            roles={"00u1": [READ_ONLY_ADMIN]},
        )
        get = lambda path, **q: httpx.get(emu.url + path, params=q, headers=emu.auth_header)  # noqa: E731
        by_login = get("/api/v1/users", search='profile.login eq "SVC@acme.example"').json()
        assert [u["id"] for u in by_login] == ["00u1"]
        prefix = get("/api/v1/users", search='profile.login sw "svc@"').json()
        assert [u["id"] for u in prefix] == ["00u1", "00u2"]
        assert get("/api/v1/users", search="profile.firstName eq 1").status_code == 400
        assert get("/api/v1/users/00u1/roles").json() == [READ_ONLY_ADMIN]
        assert get("/api/v1/users/00u2/roles").json() == []
        assert get("/api/v1/users/nobody/roles").status_code == 404
        assert [u["id"] for u in get("/api/v1/groups/00g1/users").json()] == ["00u1", "00u3"]
        assert get("/api/v1/groups/00gNone/users").status_code == 404
        assert get("/api/v1/users/00u1").json()["id"] == "00u1"  # existing routes unchanged
