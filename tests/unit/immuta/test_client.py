"""ImmutaClient against a scripted Immuta (httpx.MockTransport): auth, retries, errors, and the
read-modify-write of the App Settings document. No network, no servers, no real sleeping."""

from __future__ import annotations

import copy
import json
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

import components.immuta.client as client
from components.immuta.client import (
    ImmutaAuthError,
    ImmutaClient,
    ImmutaConflict,
    ImmutaError,
    ImmutaRejected,
    ImmutaUnavailable,
)
from components.immuta.connection import ImmutaConnection

URL = "https://immuta.test"
# Canaries: none of them may ever show up in an exception message.
API_KEY = "canary-api-key-7f3a9c"
TOKEN = "canary-token-1b2e8d"
BIND_PW = "canary-bind-pw-5c6d0e"
SECRETS = (API_KEY, TOKEN, BIND_PW)
IAM_ID = "okta-ldap"
TIMEOUT = 7.5

Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


@dataclass(frozen=True)
class Seen:
    """One request as the server saw it."""

    method: str
    path: str
    raw_path: bytes
    headers: httpx.Headers
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def bearer(self) -> str | None:
        value = self.headers.get("Authorization")
        return value.removeprefix("Bearer ") if value else None


class FakeImmuta:
    """A small stateful Immuta: issues tokens, serves the configuration document (with an ETag
    unless told otherwise) and the IAM list; `script` queues replies that override it."""

    def __init__(self, document: dict[str, Any] | None = None, *, etag: bool = True) -> None:
        self.document: dict[str, Any] = copy.deepcopy(document) if document else {}
        self.etag = etag
        self.version = 0
        self.requests: list[Seen] = []
        self.issued: list[str] = []
        self.valid: set[str] = set()
        self.iams: list[Any] = []
        self.scripted: dict[tuple[str, str], list[Reply]] = {}
        # Called after the n-th (1-based) GET /configuration has been answered: another writer.
        self.after_read: dict[int, Callable[[FakeImmuta], None]] = {}
        self.reads = 0

    def script(self, method: str, path: str, *replies: Reply) -> None:
        self.scripted.setdefault((method, path), []).extend(replies)

    def expire_tokens(self) -> None:
        self.valid.clear()

    def write(self, change: Callable[[dict[str, Any]], None]) -> None:
        """Another writer changes the document (new version, new ETag)."""
        change(self.document)
        self.version += 1

    def seen(self, method: str, path: str) -> list[Seen]:
        return [r for r in self.requests if (r.method, r.path) == (method, path)]

    @property
    def puts(self) -> list[Seen]:
        return self.seen("PUT", client.CONFIG_PATH)

    @property
    def auths(self) -> list[Seen]:
        return self.seen("POST", client.AUTH_PATH)

    def handler(self, request: httpx.Request) -> httpx.Response:
        seen = Seen(
            request.method,
            request.url.path,
            request.url.raw_path,
            request.headers,
            request.read(),
        )
        self.requests.append(seen)
        queue = self.scripted.get((seen.method, seen.path))
        if queue:
            reply = queue.pop(0)
            if isinstance(reply, Exception):
                raise reply
            return reply if isinstance(reply, httpx.Response) else reply(request)
        return self._default(seen)

    def _default(self, seen: Seen) -> httpx.Response:
        if (seen.method, seen.path) == ("POST", client.AUTH_PATH):
            if seen.json() != {"apikey": API_KEY}:
                return httpx.Response(401, json={"message": "bad api key"})
            token = f"{TOKEN}-{len(self.issued) + 1}"
            self.issued.append(token)
            self.valid.add(token)
            return httpx.Response(200, json={"authenticated": True, "token": token})
        if seen.bearer not in self.valid:
            return httpx.Response(401, json={"message": "Unauthorized"})
        if (seen.method, seen.path) == ("GET", client.CONFIG_PATH):
            self.reads += 1
            response = httpx.Response(200, json=self.document, headers=self._etag_header())
            if self.reads in self.after_read:
                self.after_read[self.reads](self)
            return response
        if (seen.method, seen.path) == ("PUT", client.CONFIG_PATH):
            if_match = seen.headers.get("If-Match")
            if self.etag and if_match is not None and if_match != self._etag():
                return httpx.Response(412, json={"message": "Precondition Failed"})
            self.document = seen.json()
            self.version += 1
            return httpx.Response(200, json={})
        if (seen.method, seen.path) == ("GET", client.IAM_LIST_PATH):
            return httpx.Response(200, json=self.iams)
        if seen.method == "POST" and seen.path.startswith("/iam/"):
            return httpx.Response(200, json={"success": True})
        return httpx.Response(404, json={"message": "Not Found"})

    def _etag(self) -> str:
        return f'"v{self.version}"'

    def _etag_header(self) -> dict[str, str]:
        return {"ETag": self._etag()} if self.etag else {}


# --- fixtures and helpers ------------------------------------------------------------------


@pytest.fixture(scope="module")
def _ssl_context() -> ssl.SSLContext:
    return ssl.create_default_context()


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, _ssl_context: ssl.SSLContext) -> Iterator[None]:
    """No token leaks between tests; no real backoff; one system CA load for the whole file
    (the mock transport never uses the context, and loading it costs ~25 ms a client)."""
    client._TOKENS.clear()
    monkeypatch.setattr(client.ssl, "create_default_context", lambda: _ssl_context)
    monkeypatch.setattr(client, "BACKOFF_INITIAL", 0)
    monkeypatch.setattr(client, "BACKOFF_MAX", 0)
    yield
    client._TOKENS.clear()


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every wait the retry loop asks for, recorded instead of slept."""
    waits: list[float] = []
    monkeypatch.setattr(client.tenacity.nap.time, "sleep", waits.append)
    return waits


def connection(api_key: str = API_KEY, url: str = URL) -> ImmutaConnection:
    return ImmutaConnection(url=url, api_key=api_key, ca_pem=None, timeout=TIMEOUT)


def make_client(fake: FakeImmuta, api_key: str = API_KEY) -> ImmutaClient:
    return ImmutaClient(connection(api_key), transport=httpx.MockTransport(fake.handler))


def assert_no_secret(exc: BaseException, *extra: str) -> None:
    text = f"{exc} {exc!r} {exc.args!r}"
    for secret in (*SECRETS, *extra):
        assert secret not in text
    assert exc.__cause__ is None


def raises_clean(kind: type[BaseException], fn: Callable[[], object], *extra: str) -> BaseException:
    """`fn()` raises `kind`, whose message holds no canary."""
    with pytest.raises(kind) as info:
        fn()
    assert_no_secret(info.value, *extra)
    return info.value


def iam(iam_id: str = IAM_ID, host: str = "acme.ldap.okta.com") -> dict[str, Any]:
    return {
        "id": iam_id,
        "displayName": "Okta LDAP",
        "type": "ldap",
        "plugin": "ldap",
        "supportedActions": ["linkPostgresAccount", "ldapSync", "syncGroups"],
        "credentials": {"bind_dn": "uid=immuta,dc=acme", "bind_pw": BIND_PW},
        "options": {"host": host, "port": 636, "useSSL": True},
        "ldapSync": {"cronRule": "0 * * * *", "paged": True, "pageSize": 1000},
    }


def document(*plugins: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    """An App Settings document with unrelated keys (and other IAMs' secrets) around."""
    return {
        "hostname": "immuta.test",
        "plugins": {
            "builtin": {"id": "bim", "type": "bim", "displayName": "Immuta"},
            "corp-saml": {
                "id": "corp-saml",
                "type": "saml",
                "credentials": {"privateKey": "other-iam-secret", "ünïcode": "✓"},
            },
            **dict(plugins),
        },
        "ui": {"theme": "dark", "flags": [1, 2.5, None, True], "nested": {"z": 1, "a": 2}},
        "zzz": "last key",
    }


def dumps(value: Any) -> str:
    """Key order preserved: equal strings mean the same bytes would be sent."""
    return json.dumps(value, ensure_ascii=False)


# --- authentication ----------------------------------------------------------------------


def test_authenticates_once_and_reuses_the_token_across_calls_and_clients() -> None:
    fake = FakeImmuta()
    with make_client(fake) as first:
        first.list_iams()
        first.list_iams()
    with make_client(fake) as second:  # same url + key: the process-wide cache
        second.list_iams()

    assert len(fake.auths) == 1
    assert fake.auths[0].json() == {"apikey": API_KEY}
    calls = fake.seen("GET", client.IAM_LIST_PATH)
    assert len(calls) == 3
    assert {c.headers["Authorization"] for c in calls} == {f"Bearer {fake.issued[0]}"}
    assert "Authorization" not in fake.auths[0].headers


def test_a_different_api_key_gets_its_own_token() -> None:
    fake = FakeImmuta()
    other_key = "another-key-0000"
    fake.script(
        "POST",
        client.AUTH_PATH,
        httpx.Response(200, json={"authenticated": True, "token": "tok-A"}),
        httpx.Response(200, json={"authenticated": True, "token": "tok-B"}),
    )
    fake.valid |= {"tok-A", "tok-B"}
    with make_client(fake) as a, make_client(fake, other_key) as b:
        a.list_iams()
        b.list_iams()
    assert [r.json()["apikey"] for r in fake.auths] == [API_KEY, other_key]
    assert [r.bearer for r in fake.seen("GET", client.IAM_LIST_PATH)] == ["tok-A", "tok-B"]


def test_401_reauthenticates_once_and_retries_once() -> None:
    fake = FakeImmuta()
    fake.iams = [{"id": "x"}]
    with make_client(fake) as c:
        c.list_iams()
        fake.expire_tokens()
        assert c.list_iams() == [{"id": "x"}]

    assert len(fake.auths) == 2
    calls = fake.seen("GET", client.IAM_LIST_PATH)
    assert [r.bearer for r in calls] == [fake.issued[0], fake.issued[0], fake.issued[1]]
    assert client._TOKENS[c._token_key] == fake.issued[1]


def test_a_second_401_raises_auth_error() -> None:
    fake = FakeImmuta()
    fake.script(
        "GET",
        client.IAM_LIST_PATH,
        httpx.Response(401, json={"message": "Unauthorized"}),
        httpx.Response(401, json={"message": "Unauthorized"}),
    )
    with make_client(fake) as c:
        exc = raises_clean(ImmutaAuthError, c.list_iams)
    assert "fresh token" in str(exc)
    assert len(fake.auths) == 2  # the first token, then exactly one fresh one
    assert len(fake.seen("GET", client.IAM_LIST_PATH)) == 2
    assert fake.issued[1] not in str(exc)


def test_500_on_a_cached_token_reauthenticates_and_retries_once() -> None:
    fake = FakeImmuta()
    fake.iams = [{"id": "x"}]
    with make_client(fake) as c:
        c.list_iams()  # token now cached
        fake.script("GET", client.IAM_LIST_PATH, httpx.Response(500, json={"message": "oops"}))
        assert c.list_iams() == [{"id": "x"}]

    assert len(fake.auths) == 2
    calls = fake.seen("GET", client.IAM_LIST_PATH)
    assert [r.bearer for r in calls] == [fake.issued[0], fake.issued[0], fake.issued[1]]


def test_500_on_a_fresh_token_is_an_error_without_reauthentication() -> None:
    fake = FakeImmuta()
    fake.script("GET", client.IAM_LIST_PATH, httpx.Response(500, json={"message": "boom"}))
    with make_client(fake) as c:
        exc = raises_clean(ImmutaError, c.list_iams)
    assert not isinstance(exc, ImmutaAuthError | ImmutaUnavailable | ImmutaRejected)
    assert "HTTP 500" in str(exc)
    assert "boom" in str(exc)
    assert len(fake.auths) == 1
    assert len(fake.seen("GET", client.IAM_LIST_PATH)) == 1


@pytest.mark.parametrize("status", [401, 403])
def test_refused_api_key_raises_auth_error_without_the_key(status: int) -> None:
    fake = FakeImmuta()
    fake.script(
        "POST",
        client.AUTH_PATH,
        httpx.Response(status, json={"message": f"api key {API_KEY} is not valid"}),
    )
    with make_client(fake) as c:
        exc = raises_clean(ImmutaAuthError, c.list_iams)
    assert f"HTTP {status}" in str(exc)
    assert len(fake.auths) == 1  # no retry of a refused key
    assert fake.seen("GET", client.IAM_LIST_PATH) == []
    assert client._TOKENS == {}


@pytest.mark.parametrize(
    "body", [{"authenticated": False}, {"authenticated": True}, {"token": TOKEN}, ["x"]]
)
def test_authenticate_without_a_token_raises_auth_error(body: Any) -> None:
    fake = FakeImmuta()
    fake.script("POST", client.AUTH_PATH, httpx.Response(200, json=body))
    with make_client(fake) as c:
        raises_clean(ImmutaAuthError, c.list_iams)
    assert client._TOKENS == {}


# --- retries and unavailability ----------------------------------------------------------


@pytest.mark.parametrize("retry_after", ["0", "3"])
def test_429_with_retry_after_then_200_succeeds(sleeps: list[float], retry_after: str) -> None:
    fake = FakeImmuta()
    fake.iams = [{"id": "a"}]
    fake.script(
        "GET", client.IAM_LIST_PATH, httpx.Response(429, headers={"Retry-After": retry_after})
    )
    with make_client(fake) as c:
        assert c.list_iams() == [{"id": "a"}]
    assert len(fake.seen("GET", client.IAM_LIST_PATH)) == 2
    assert sleeps == [float(retry_after)]  # honoured, not the exponential backoff
    assert len(fake.auths) == 1  # a 429 is not a stale token


def test_retry_after_is_capped_by_the_retry_budget(sleeps: list[float]) -> None:
    fake = FakeImmuta()
    fake.script("GET", client.IAM_LIST_PATH, httpx.Response(429, headers={"Retry-After": "9999"}))
    with make_client(fake) as c:
        c.list_iams()
    assert sleeps == [client.MAX_RETRY_SECONDS]


@pytest.mark.parametrize("status", [502, 503, 504])
def test_5xx_every_time_raises_unavailable_after_max_attempts(
    sleeps: list[float], status: int
) -> None:
    fake = FakeImmuta()
    fake.script(
        "GET",
        client.IAM_LIST_PATH,
        *[httpx.Response(status, json={"message": API_KEY}) for _ in range(client.MAX_ATTEMPTS)],
    )
    with make_client(fake) as c:
        exc = raises_clean(ImmutaUnavailable, c.list_iams)
    assert f"HTTP {status}" in str(exc)
    assert len(fake.seen("GET", client.IAM_LIST_PATH)) == client.MAX_ATTEMPTS
    assert len(sleeps) == client.MAX_ATTEMPTS - 1
    assert len(fake.auths) == 1


def test_retries_stop_at_the_time_budget(
    monkeypatch: pytest.MonkeyPatch, sleeps: list[float]
) -> None:
    monkeypatch.setattr(client, "MAX_RETRY_SECONDS", 0.0)  # budget spent after one attempt
    fake = FakeImmuta()
    fake.script("GET", client.IAM_LIST_PATH, httpx.Response(503), httpx.Response(503))
    with make_client(fake) as c:
        raises_clean(ImmutaUnavailable, c.list_iams)
    assert len(fake.seen("GET", client.IAM_LIST_PATH)) == 1
    assert sleeps == []


def test_connect_error_every_time_raises_unavailable(sleeps: list[float]) -> None:
    fake = FakeImmuta()
    fake.script(
        "POST",
        client.AUTH_PATH,
        *[httpx.ConnectError(f"refused {API_KEY}") for _ in range(client.MAX_ATTEMPTS)],
    )
    with make_client(fake) as c:
        exc = raises_clean(ImmutaUnavailable, c.list_iams)
    assert "ConnectError" in str(exc)
    assert URL in str(exc)
    assert len(fake.auths) == client.MAX_ATTEMPTS
    assert fake.seen("GET", client.IAM_LIST_PATH) == []


def test_connect_error_then_success_is_retried(sleeps: list[float]) -> None:
    fake = FakeImmuta()
    fake.script("GET", client.IAM_LIST_PATH, httpx.ConnectError("reset"))
    with make_client(fake) as c:
        assert c.list_iams() == []
    assert len(fake.seen("GET", client.IAM_LIST_PATH)) == 2
    assert len(sleeps) == 1


def test_timeout_every_time_raises_unavailable_mentioning_the_timeout(
    sleeps: list[float],
) -> None:
    fake = FakeImmuta()
    fake.script(
        "GET",
        client.IAM_LIST_PATH,
        *[httpx.ReadTimeout("timed out") for _ in range(client.MAX_ATTEMPTS)],
    )
    with make_client(fake) as c:
        exc = raises_clean(ImmutaUnavailable, c.list_iams)
    assert "timed out" in str(exc)
    assert f"{TIMEOUT:g}s" in str(exc)
    assert len(fake.seen("GET", client.IAM_LIST_PATH)) == client.MAX_ATTEMPTS


# --- rejected requests -------------------------------------------------------------------


def test_400_message_becomes_rejected_with_the_detail() -> None:
    fake = FakeImmuta()
    fake.script("GET", client.IAM_LIST_PATH, httpx.Response(400, json={"message": "bad filter"}))
    with make_client(fake) as c:
        exc = raises_clean(ImmutaRejected, c.list_iams)
    assert "HTTP 400" in str(exc)
    assert "bad filter" in str(exc)


def test_422_validation_codes_become_rejected_with_the_detail() -> None:
    fake = FakeImmuta()
    body = {"validation": [{"code": "INVALID_HOST"}, {"code": "MISSING_BIND_DN"}, "plain"]}
    fake.script("GET", client.IAM_LIST_PATH, httpx.Response(422, json=body))
    with make_client(fake) as c:
        exc = raises_clean(ImmutaRejected, c.list_iams)
    assert "HTTP 422" in str(exc)
    assert "INVALID_HOST; MISSING_BIND_DN; plain" in str(exc)


def test_rejected_detail_masks_api_key_token_and_bind_password() -> None:
    fake = FakeImmuta(document())

    def echo(request: httpx.Request) -> httpx.Response:
        token = request.headers["Authorization"].removeprefix("Bearer ")
        message = f"key={API_KEY} token={token} pw={BIND_PW} end"
        return httpx.Response(400, json={"message": message})

    fake.script("PUT", client.CONFIG_PATH, echo)
    with make_client(fake) as c:
        exc = raises_clean(ImmutaRejected, lambda: c.upsert_iam(iam()))
    assert "key=[secret] token=[secret] pw=[secret] end" in str(exc)
    assert_no_secret(exc, *fake.issued)


def test_422_validation_detail_masks_secrets() -> None:
    fake = FakeImmuta()

    def echo(request: httpx.Request) -> httpx.Response:
        token = request.headers["Authorization"].removeprefix("Bearer ")
        body = {"validation": [{"code": f"BAD_PW:{BIND_PW}"}, {"code": f"TOKEN:{token}"}]}
        return httpx.Response(422, json=body)

    fake.script("POST", client.sync_path(IAM_ID), echo)
    with make_client(fake) as c:
        exc = raises_clean(ImmutaRejected, lambda: c.test_iam(iam()))
    assert "BAD_PW:[secret]; TOKEN:[secret]" in str(exc)
    assert_no_secret(exc, *fake.issued)


# --- upsert_iam: read-modify-write ---------------------------------------------------------


def test_upsert_adds_our_entry_and_keeps_everything_else_byte_for_byte() -> None:
    original = document()
    fake = FakeImmuta(original)
    with make_client(fake) as c:
        c.upsert_iam(iam())

    assert len(fake.puts) == 1
    expected = copy.deepcopy(original)
    expected["plugins"][IAM_ID] = iam()
    assert dumps(fake.puts[0].json()) == dumps(expected)
    sent = fake.puts[0].json()
    for key in ("hostname", "ui", "zzz"):
        assert dumps(sent[key]) == dumps(original[key])
    for key in ("builtin", "corp-saml"):
        assert dumps(sent["plugins"][key]) == dumps(original["plugins"][key])
    assert fake.puts[0].headers["If-Match"] == '"v0"'
    assert fake.puts[0].bearer == fake.issued[0]


def test_upsert_replaces_our_entry_under_its_existing_key() -> None:
    original = document(("ours-under-another-key", iam(host="old.example")))
    fake = FakeImmuta(original)
    with make_client(fake) as c:
        c.upsert_iam(iam())

    expected = copy.deepcopy(original)
    expected["plugins"]["ours-under-another-key"] = iam()
    assert dumps(fake.puts[0].json()) == dumps(expected)
    assert IAM_ID not in fake.puts[0].json()["plugins"]


def test_upsert_creates_the_plugins_map_when_missing() -> None:
    fake = FakeImmuta({"hostname": "h", "plugins": None})
    with make_client(fake) as c:
        c.upsert_iam(iam())
    assert fake.puts[0].json() == {"hostname": "h", "plugins": {IAM_ID: iam()}}


def test_upsert_without_etag_sends_no_if_match() -> None:
    fake = FakeImmuta(document(), etag=False)
    with make_client(fake) as c:
        c.upsert_iam(iam())
    assert len(fake.puts) == 1
    assert "If-Match" not in fake.puts[0].headers
    # read, change, re-read to compare, then write
    assert len(fake.seen("GET", client.CONFIG_PATH)) == 2


def test_upsert_retries_after_412_by_rereading() -> None:
    fake = FakeImmuta(document())
    # Another writer saves between our read and our write: our If-Match is stale.
    fake.after_read[1] = lambda f: f.write(lambda d: d.update(hostname="changed.test"))
    with make_client(fake) as c:
        c.upsert_iam(iam())

    assert [p.headers["If-Match"] for p in fake.puts] == ['"v0"', '"v1"']
    assert len(fake.seen("GET", client.CONFIG_PATH)) == 2
    assert fake.document["hostname"] == "changed.test"  # their change survived
    assert fake.document["plugins"][IAM_ID] == iam()  # and ours was applied on top


def test_upsert_gives_up_with_conflict_when_other_writers_keep_winning() -> None:
    fake = FakeImmuta(document())
    fake.script(
        "PUT",
        client.CONFIG_PATH,
        *[httpx.Response(412) for _ in range(client.CONFLICT_ATTEMPTS)],
    )
    with make_client(fake) as c:
        exc = raises_clean(ImmutaConflict, lambda: c.upsert_iam(iam()))
    assert "nothing of ours was saved" in str(exc)
    assert len(fake.puts) == client.CONFLICT_ATTEMPTS
    assert len(fake.seen("GET", client.CONFIG_PATH)) == client.CONFLICT_ATTEMPTS


def test_upsert_without_etag_starts_over_when_the_document_changed() -> None:
    fake = FakeImmuta(document(), etag=False)
    # Between our first read and the re-read just before writing, another writer saves.
    fake.after_read[1] = lambda f: f.write(lambda d: d.update(hostname="changed.test"))
    with make_client(fake) as c:
        c.upsert_iam(iam())

    # read, re-read (changed: start over), read, re-read (same), write
    assert len(fake.seen("GET", client.CONFIG_PATH)) == 4
    assert len(fake.puts) == 1
    sent = fake.puts[0].json()
    assert sent["hostname"] == "changed.test"
    assert sent["plugins"][IAM_ID] == iam()


def test_create_only_refuses_an_existing_iam_without_writing() -> None:
    fake = FakeImmuta(document((IAM_ID, iam(host="theirs.example"))))
    called: list[int] = []
    with make_client(fake) as c:
        exc = raises_clean(
            ImmutaConflict,
            lambda: c.upsert_iam(iam(), create_only=True, before_write=lambda: called.append(1)),
        )
    assert IAM_ID in str(exc)
    assert "immutaIamAdopt" in str(exc)
    assert fake.puts == []
    assert called == []  # nothing tested against a stranger's IAM


def test_create_only_refuses_an_identical_iam_it_did_not_write() -> None:
    fake = FakeImmuta(document(("elsewhere", iam())))
    with make_client(fake) as c:
        exc = raises_clean(ImmutaConflict, lambda: c.upsert_iam(iam(), create_only=True))
    assert "identical to this stack's" in str(exc)
    assert fake.puts == []


def test_create_whose_put_answer_was_lost_without_etag_converges() -> None:
    fake = FakeImmuta(document(), etag=False)

    def apply_then_drop(request: httpx.Request) -> httpx.Response:
        fake.document = json.loads(request.read())
        raise httpx.RemoteProtocolError("connection dropped", request=request)

    fake.script("PUT", client.CONFIG_PATH, apply_then_drop)
    with make_client(fake) as c:
        c.upsert_iam(iam(), create_only=True)
    assert fake.document["plugins"][IAM_ID] == iam()
    assert [p.json()["plugins"][IAM_ID] for p in fake.puts] == [iam(), iam()]  # resent, same


def test_create_only_refuses_an_iam_another_writer_created_between_read_and_put() -> None:
    fake = FakeImmuta(document())

    def theirs(f: FakeImmuta) -> None:
        f.document["plugins"]["by-hand"] = iam(host="theirs.example")
        f.version += 1

    fake.after_read[1] = theirs  # right after our first read: our PUT gets 412
    with make_client(fake) as c:
        raises_clean(ImmutaConflict, lambda: c.upsert_iam(iam(), create_only=True))
    assert fake.document["plugins"]["by-hand"] == iam(host="theirs.example")
    assert IAM_ID not in fake.document["plugins"]


def test_create_only_writes_a_new_iam() -> None:
    fake = FakeImmuta(document())
    with make_client(fake) as c:
        c.upsert_iam(iam(), create_only=True)
    assert len(fake.puts) == 1
    assert fake.document["plugins"][IAM_ID] == iam()


def test_upsert_of_an_identical_entry_does_not_write() -> None:
    fake = FakeImmuta(document((IAM_ID, iam())))
    with make_client(fake) as c:
        c.upsert_iam(iam())
    assert fake.puts == []
    assert len(fake.seen("GET", client.CONFIG_PATH)) == 1


def test_before_write_runs_exactly_once_before_the_first_put() -> None:
    fake = FakeImmuta(document())
    fake.script("PUT", client.CONFIG_PATH, httpx.Response(412))  # forces a second round
    puts_when_called: list[int] = []
    with make_client(fake) as c:
        c.upsert_iam(iam(), before_write=lambda: puts_when_called.append(len(fake.puts)))
    assert puts_when_called == [0]
    assert len(fake.puts) == 2


def test_before_write_failure_prevents_the_write() -> None:
    fake = FakeImmuta(document())

    def refuse() -> None:
        raise ImmutaRejected("dry run failed")

    with make_client(fake) as c, pytest.raises(ImmutaRejected, match="dry run failed"):
        c.upsert_iam(iam(), before_write=refuse)
    assert fake.puts == []


def test_read_iam_finds_our_entry_by_id() -> None:
    fake = FakeImmuta(document(("some-key", iam())))
    with make_client(fake) as c:
        assert c.read_iam(IAM_ID) == iam()
        assert c.read_iam("absent") is None


def test_configuration_that_is_not_an_object_is_an_error() -> None:
    fake = FakeImmuta()
    fake.script("GET", client.CONFIG_PATH, httpx.Response(200, json=["not", "a", "dict"]))
    with make_client(fake) as c:
        exc = raises_clean(ImmutaError, lambda: c.read_iam(IAM_ID))
    assert "not a JSON object" in str(exc)


# --- delete_iam --------------------------------------------------------------------------


def test_delete_removes_only_our_entry() -> None:
    original = document(("ours", iam()), ("neighbour", iam("neighbour")))
    fake = FakeImmuta(original)
    with make_client(fake) as c:
        assert c.delete_iam(IAM_ID) is True

    expected = copy.deepcopy(original)
    del expected["plugins"]["ours"]
    assert len(fake.puts) == 1
    assert dumps(fake.puts[0].json()) == dumps(expected)
    assert fake.puts[0].headers["If-Match"] == '"v0"'


def test_delete_of_an_absent_iam_returns_false_without_writing() -> None:
    fake = FakeImmuta(document())
    with make_client(fake) as c:
        assert c.delete_iam(IAM_ID) is False
    assert fake.puts == []


# --- test_iam (dry-run) ------------------------------------------------------------------


def test_test_iam_posts_the_dry_run_body_to_the_quoted_sync_path() -> None:
    fake = FakeImmuta()
    entry = iam("odd id/with?chars")
    with make_client(fake) as c:
        c.test_iam(entry)

    [post] = [r for r in fake.requests if r.method == "POST" and r.path != client.AUTH_PATH]
    assert post.raw_path == b"/iam/odd%20id%2Fwith%3Fchars/sync"
    assert post.json() == {"userId": "*", "dryRun": True, "iamConfig": entry}
    assert post.bearer == fake.issued[0]
    assert fake.puts == []


# --- start_sync ---------------------------------------------------------------------------


def test_start_sync_posts_a_body_with_dry_run_false() -> None:
    fake = FakeImmuta()
    with make_client(fake) as c:
        c.start_sync(IAM_ID)
    [post] = fake.seen("POST", f"/iam/{IAM_ID}/sync")
    assert post.json() == {"userId": "*", "dryRun": False}  # Model287 requires dryRun
    assert fake.seen("POST", client.SYNC_USERS_PATH) == []


def test_start_sync_ignores_an_answer_that_is_not_json() -> None:
    fake = FakeImmuta()
    fake.script("POST", f"/iam/{IAM_ID}/sync", httpx.Response(200, text="started"))
    with make_client(fake) as c:
        c.start_sync(IAM_ID)


@pytest.mark.parametrize("status", [400, 404, 405, 422])
def test_a_refused_sync_falls_back_to_sync_users(status: int) -> None:
    fake = FakeImmuta()
    fake.script("POST", f"/iam/{IAM_ID}/sync", httpx.Response(status, json={"message": "no"}))
    fake.script("POST", client.SYNC_USERS_PATH, httpx.Response(200, text="ok"))
    with make_client(fake) as c:
        c.start_sync(IAM_ID)
    [post] = fake.seen("POST", client.SYNC_USERS_PATH)
    assert post.json() == {"iamid": IAM_ID}


def test_a_sync_refused_twice_says_both_reasons_without_secrets() -> None:
    fake = FakeImmuta()
    fake.script("POST", f"/iam/{IAM_ID}/sync", httpx.Response(400, json={"message": API_KEY}))
    fake.script("POST", client.SYNC_USERS_PATH, httpx.Response(403, json={"message": "denied"}))
    with make_client(fake) as c:
        exc = raises_clean(ImmutaError, lambda: c.start_sync(IAM_ID))
    assert "rejected it (HTTP 400)" in str(exc)
    assert "then /bim/syncUsers: Immuta answered HTTP 403 denied" in str(exc)


def test_a_sync_that_fails_otherwise_does_not_fall_back() -> None:
    fake = FakeImmuta()
    fake.script("POST", f"/iam/{IAM_ID}/sync", httpx.Response(403, json={"message": "denied"}))
    with make_client(fake) as c:
        exc = raises_clean(ImmutaError, lambda: c.start_sync(IAM_ID))
    assert "HTTP 403 denied" in str(exc)
    assert fake.seen("POST", client.SYNC_USERS_PATH) == []


def test_test_iam_wraps_a_400_saying_nothing_was_saved() -> None:
    fake = FakeImmuta()
    fake.script(
        "POST",
        client.sync_path(IAM_ID),
        httpx.Response(400, json={"message": f"LDAP bind failed for password {BIND_PW}"}),
    )
    with make_client(fake) as c:
        exc = raises_clean(ImmutaRejected, lambda: c.test_iam(iam()))
    assert "Nothing was saved" in str(exc)
    assert "LDAP bind failed for password [secret]" in str(exc)
    assert "dry-run" in str(exc)


def test_test_iam_does_not_wrap_other_errors() -> None:
    fake = FakeImmuta()
    fake.script("POST", client.sync_path(IAM_ID), httpx.Response(404, json={"message": "no"}))
    with make_client(fake) as c:
        exc = raises_clean(ImmutaError, lambda: c.test_iam(iam()))
    assert not isinstance(exc, ImmutaRejected)
    assert "Nothing was saved" not in str(exc)


# --- list_iams ---------------------------------------------------------------------------


def test_list_iams_returns_only_dict_items() -> None:
    fake = FakeImmuta()
    fake.iams = [{"id": "a", "type": "ldap"}, "junk", 3, None, ["x"], {"id": "b"}]
    with make_client(fake) as c:
        assert c.list_iams() == [{"id": "a", "type": "ldap"}, {"id": "b"}]


@pytest.mark.parametrize("body", [{"items": []}, "text", None])
def test_list_iams_of_a_non_list_is_empty(body: Any) -> None:
    fake = FakeImmuta()
    fake.script("GET", client.IAM_LIST_PATH, httpx.Response(200, content=dumps(body).encode()))
    with make_client(fake) as c:
        assert c.list_iams() == []


def test_list_iams_of_non_json_is_an_error() -> None:
    fake = FakeImmuta()
    fake.script("GET", client.IAM_LIST_PATH, httpx.Response(200, text="<html>"))
    with make_client(fake) as c:
        exc = raises_clean(ImmutaError, c.list_iams)
    assert "not JSON" in str(exc)


def test_create_whose_put_response_was_lost_is_not_a_conflict_with_itself() -> None:
    fake = FakeImmuta(document())

    def apply_then_time_out(request: httpx.Request) -> httpx.Response:
        fake.document = json.loads(request.read())
        fake.version += 1
        raise httpx.ReadTimeout("response lost", request=request)

    fake.script("PUT", client.CONFIG_PATH, apply_then_time_out)
    with make_client(fake) as c:
        c.upsert_iam(iam(), create_only=True)
    assert fake.document["plugins"][IAM_ID] == iam()


def test_secret_in_a_validation_item_without_code_is_masked() -> None:
    pw = "back\\slash-pw-9"
    fake = FakeImmuta(document())
    body = {"validation": [{"field": "credentials.bind_pw", "value": pw}]}
    fake.script("PUT", client.CONFIG_PATH, httpx.Response(422, json=body))
    entry = iam()
    entry["credentials"]["bind_pw"] = pw
    with make_client(fake) as c, pytest.raises(ImmutaRejected) as info:
        c.upsert_iam(entry)
    assert pw not in str(info.value)
    assert "slash-pw" not in str(info.value)
