"""A test certificate authority (openssl) and server certificates for 127.0.0.1/localhost."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from rehearsal._process import run

_SIGNING = threading.Lock()  # one `openssl x509 -CAcreateserial` at a time per process (ca.srl)
RSA = ("-newkey", "rsa:2048")
EC = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1")  # ~100x faster to make


@dataclass(frozen=True)
class TestCA:
    """A CA plus server certificates; files are world-readable, keys readable by their owner."""

    __test__ = False  # not a pytest test class
    root: Path
    key_type: tuple[str, ...] = RSA  # openssl req's key options, for the CA and every server

    @property
    def cert(self) -> Path:
        return self.root / "ca.pem"

    @classmethod
    def create(cls, root: Path, key_type: tuple[str, ...] = RSA) -> TestCA:
        root.mkdir(parents=True, exist_ok=True)
        root.chmod(0o755)
        run(
            ["openssl", "req", "-x509", *key_type, "-nodes", "-days", "2",
             "-subj", "/CN=okta-ldap-immuta test CA", "-keyout", str(root / "ca.key"),
             "-out", str(root / "ca.pem"), "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign"]
        )  # fmt: skip
        (root / "ca.pem").chmod(0o644)
        return cls(root, key_type)

    def server_cert(self, name: str, sans: str = "IP:127.0.0.1,DNS:localhost") -> tuple[Path, Path]:
        """(certificate, key) for a server whose names are `sans`."""
        key, csr, crt = (self.root / f"{name}.{ext}" for ext in ("key", "csr", "pem"))
        ext = self.root / f"{name}.ext"
        ext.write_text(f"subjectAltName={sans}\nextendedKeyUsage=serverAuth\n")
        run(["openssl", "req", *self.key_type, "-nodes", "-subj", f"/CN={name}",
             "-keyout", str(key), "-out", str(csr)])  # fmt: skip
        with _SIGNING:
            run(["openssl", "x509", "-req", "-in", str(csr), "-CA", str(self.cert), "-CAkey",
                 str(self.root / "ca.key"), "-CAcreateserial", "-days", "2", "-extfile", str(ext),
                 "-out", str(crt)])  # fmt: skip
        crt.chmod(0o644)
        key.chmod(0o600)
        return crt, key


# --- slapd, laid out like Okta's LDAP Interface -----------------------------------------------
