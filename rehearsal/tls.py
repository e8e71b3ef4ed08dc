"""A test certificate authority (openssl) and server certificates for 127.0.0.1/localhost."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rehearsal._process import run


@dataclass(frozen=True)
class TestCA:
    """A CA plus server certificates; files are world-readable, keys readable by their owner."""

    __test__ = False  # not a pytest test class
    root: Path

    @property
    def cert(self) -> Path:
        return self.root / "ca.pem"

    @classmethod
    def create(cls, root: Path) -> TestCA:
        root.mkdir(parents=True, exist_ok=True)
        root.chmod(0o755)
        run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=okta-ldap-immuta test CA", "-keyout", str(root / "ca.key"),
             "-out", str(root / "ca.pem"), "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign"]
        )  # fmt: skip
        (root / "ca.pem").chmod(0o644)
        return cls(root)

    def server_cert(self, name: str, sans: str = "IP:127.0.0.1,DNS:localhost") -> tuple[Path, Path]:
        """(certificate, key) for a server whose names are `sans`."""
        key, csr, crt = (self.root / f"{name}.{ext}" for ext in ("key", "csr", "pem"))
        ext = self.root / f"{name}.ext"
        ext.write_text(f"subjectAltName={sans}\nextendedKeyUsage=serverAuth\n")
        run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}",
             "-keyout", str(key), "-out", str(csr)])  # fmt: skip
        run(["openssl", "x509", "-req", "-in", str(csr), "-CA", str(self.cert), "-CAkey",
             str(self.root / "ca.key"), "-CAcreateserial", "-days", "2", "-extfile", str(ext),
             "-out", str(crt)])  # fmt: skip
        crt.chmod(0o644)
        key.chmod(0o600)
        return crt, key


# --- slapd, laid out like Okta's LDAP Interface -----------------------------------------------
