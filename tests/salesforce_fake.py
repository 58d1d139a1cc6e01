"""A local Salesforce for tests: an HTTPS server on 127.0.0.1 speaking the parts of the REST API Okuru uses.

Not a mock: Okuru's real client (requests for OAuth, simple-salesforce for the API) talks to it over TLS, with a
certificate authority made here and trusted through REQUESTS_CA_BUNDLE (simple-salesforce only speaks https).

    POST /services/oauth2/token                    refresh_token and password grants; OAuth errors
    GET  /services/data/vXX.X/query?q=SOQL         SELECT Id, Email FROM Contact|Lead WHERE Email IN (...) [AND ...]
    POST /services/data/vXX.X/composite/sobjects   {"allOrNone": false, "records": [Task, ...]}

Errors are in Salesforce's shapes: `[{"message", "errorCode"}]` for the API, `{"error", "error_description"}` for
OAuth, `{"success": false, "errors": [{"statusCode", "message", "fields"}]}` per record. Everything it received is
in `requests`; `fail(...)` makes the next matching requests answer an error.
"""

from __future__ import annotations

import datetime
import itertools
import json
import ssl
import threading
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CLIENT_ID = "3MVG9okuru.consumer.key"
CLIENT_SECRET = "okuru-consumer-secret-5f1c"
REFRESH_TOKEN = "5Aep861okuru-refresh-token-e2b7"
USERNAME = "okuru@alpha.example"
PASSWORD = "Sf-password-9d3a"
SECURITY_TOKEN = "SECTOKENq81z"

SESSION_EXPIRED = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
LIMIT_EXCEEDED = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
SERVER_ERROR = [
    {
        "message": "An unexpected error occurred. Please include this ErrorId: 1234-5678 (-98765)",
        "errorCode": "UNKNOWN_EXCEPTION",
    }
]


@dataclass(frozen=True)
class TLSFiles:
    ca: Path
    cert: Path
    key: Path


def make_tls_files(folder: Path) -> TLSFiles:
    """A certificate authority and a server certificate for 127.0.0.1 signed by it."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Okuru test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    files = TLSFiles(ca=folder / "ca.pem", cert=folder / "server.pem", key=folder / "server-key.pem")
    files.ca.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return files


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    body: object
    authorization: str

    @property
    def soql(self) -> str:
        return self.query.get("q", "")


@dataclass
class Fault:
    path_part: str
    status: int
    body: object
    times: int


class SoqlError(ValueError):
    pass


def parse_string_list(text: str, start: int) -> tuple[list[str], int]:
    """SOQL `('a', 'b\\'c')` from `start` (the opening parenthesis): the values and the index after `)`."""
    escapes = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
    if text[start] != "(":
        raise SoqlError("expected (")
    values, position = [], start + 1
    while True:
        while text[position] == " ":
            position += 1
        if text[position] != "'":
            raise SoqlError(f"expected a quoted string at {position}")
        position += 1
        value = []
        while text[position] != "'":
            if text[position] == "\\":
                position += 1
                if text[position] not in escapes:
                    raise SoqlError(f"invalid escape \\{text[position]}")
                value.append(escapes[text[position]])
            else:
                value.append(text[position])
            position += 1
        values.append("".join(value))
        position += 1
        while text[position] == " ":
            position += 1
        if text[position] == ")":
            return values, position + 1
        if text[position] != ",":
            raise SoqlError(f"expected , or ) at {position}")
        position += 1


class FakeSalesforce:
    def __init__(self, tls: TLSFiles):
        self.contacts: list[dict] = []
        self.leads: list[dict] = []
        self.tasks: list[dict] = []
        self.requests: list[Received] = []
        self.faults: list[Fault] = []
        self.record_errors: dict[str, tuple[str, str]] = {}  # WhoId -> (statusCode, message)
        self.refresh_tokens = {REFRESH_TOKEN}
        self.passwords = {USERNAME: PASSWORD + SECURITY_TOKEN}
        self.access_tokens: set[str] = set()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.fake = self
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls.cert, tls.key)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="fake-salesforce", daemon=True)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.httpd.server_address[1]}"

    def start(self) -> FakeSalesforce:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    # the org's data
    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):012d}AAA"

    def add_contact(self, email: str) -> str:
        record = {"Id": self._new_id("003"), "Email": email}
        self.contacts.append(record)
        return record["Id"]

    def add_lead(self, email: str, *, converted: bool = False) -> str:
        record = {"Id": self._new_id("00Q"), "Email": email, "IsConverted": converted}
        self.leads.append(record)
        return record["Id"]

    # the test's levers
    def fail(self, path_part: str, status: int, body: object, *, times: int = 1) -> None:
        """The next `times` requests whose path contains `path_part` answer `status` with `body`."""
        self.faults.append(Fault(path_part, status, body, times))

    def expire_sessions(self) -> None:
        self.access_tokens.clear()

    def received(self, path_part: str) -> list[Received]:
        return [request for request in self.requests if path_part in request.path]

    def queries(self, sobject: str | None = None) -> list[str]:
        soqls = [request.soql for request in self.received("/query")]
        return [soql for soql in soqls if sobject is None or f" FROM {sobject} " in soql + " "]

    # the protocol
    def answer(self, received: Received) -> tuple[int, object]:
        with self._lock:
            self.requests.append(received)
            for fault in self.faults:
                if fault.times > 0 and fault.path_part in received.path:
                    fault.times -= 1
                    return fault.status, fault.body
        if received.path == "/services/oauth2/token" and received.method == "POST":
            return self._token(received.form)
        if not received.path.startswith("/services/data/v"):
            return 404, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]
        if received.authorization.removeprefix("Bearer ") not in self.access_tokens:
            return 401, SESSION_EXPIRED
        resource = received.path.split("/", 4)[4]
        if resource == "query/" or resource == "query":
            return self._query(received.soql)
        if resource == "composite/sobjects" and received.method == "POST":
            return self._create(received.body)
        return 404, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]

    def _token(self, form: dict[str, str]) -> tuple[int, object]:
        if form.get("client_id") != CLIENT_ID:
            return 400, {"error": "invalid_client_id", "error_description": "client identifier invalid"}
        if form.get("client_secret", CLIENT_SECRET) != CLIENT_SECRET:
            return 400, {"error": "invalid_client", "error_description": "invalid client credentials"}
        grant = form.get("grant_type")
        if grant == "refresh_token":
            if form.get("refresh_token") not in self.refresh_tokens:
                return 400, {"error": "invalid_grant", "error_description": "expired access/refresh token"}
        elif grant == "password":
            if "client_secret" not in form:
                return 400, {"error": "invalid_client", "error_description": "invalid client credentials"}
            if self.passwords.get(form.get("username", "")) != form.get("password"):
                return 400, {"error": "invalid_grant", "error_description": "authentication failure"}
        else:
            return 400, {"error": "unsupported_grant_type", "error_description": "grant type not supported"}
        token = f"00D000000000001!AQ{next(self._ids):08d}"
        self.access_tokens.add(token)
        return 200, {
            "access_token": token,
            "instance_url": self.url,
            "id": f"{self.url}/id/00D000000000001AAA/005000000000001AAA",
            "token_type": "Bearer",
            "issued_at": "1764230400000",
            "signature": "c2lnbmF0dXJl",
        }

    def _query(self, soql: str) -> tuple[int, object]:
        head, _, rest = soql.partition(" FROM ")
        sobject = rest.split(" ", 1)[0]
        table = {"Contact": self.contacts, "Lead": self.leads}.get(sobject)
        if not head.startswith("SELECT ") or table is None:
            return 400, [{"message": f"sObject type '{sobject}' is not supported.", "errorCode": "INVALID_TYPE"}]
        rows = list(table)
        marker = " WHERE Email IN "
        if marker in soql:
            try:
                emails, after = parse_string_list(soql, soql.index(marker) + len(marker))
            except (SoqlError, IndexError) as error:
                return 400, [{"message": str(error), "errorCode": "MALFORMED_QUERY"}]
            wanted = {email.lower() for email in emails}
            rows = [row for row in rows if row["Email"].lower() in wanted]
            condition = soql[after:].strip()
            if condition == "AND IsConverted = false":
                rows = [row for row in rows if not row.get("IsConverted")]
            elif condition:
                return 400, [{"message": f"unexpected: {condition}", "errorCode": "MALFORMED_QUERY"}]
        elif soql.endswith(" LIMIT 1"):
            rows = rows[:1]
        records = [
            {
                "attributes": {"type": sobject, "url": f"/services/data/v62.0/sobjects/{sobject}/{row['Id']}"},
                "Id": row["Id"],
                "Email": row["Email"],
            }
            for row in rows
        ]
        return 200, {"totalSize": len(records), "done": True, "records": records}

    def _create(self, body: object) -> tuple[int, object]:
        if (
            not isinstance(body, dict)
            or body.get("allOrNone") is not False
            or not isinstance(body.get("records"), list)
        ):
            return 400, [{"message": "allOrNone false and records expected", "errorCode": "JSON_PARSER_ERROR"}]
        if len(body["records"]) > 200:
            return 400, [{"message": "Maximum 200 records", "errorCode": "EXCEEDED_ID_LIMIT"}]
        results = []
        for record in body["records"]:
            if record.get("attributes", {}).get("type") != "Task":
                results.append({"success": False, "errors": [{"statusCode": "INVALID_TYPE", "message": "x"}]})
                continue
            error = self.record_errors.get(record.get("WhoId", ""))
            if error is not None:
                code, message = error
                results.append({"success": False, "errors": [{"statusCode": code, "message": message, "fields": []}]})
                continue
            task_id = self._new_id("00T")
            with self._lock:
                self.tasks.append({"Id": task_id, **{k: v for k, v in record.items() if k != "attributes"}})
            results.append({"id": task_id, "success": True, "errors": []})
        return 200, results


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeSalesforce/1.0"

    def log_message(self, format, *args):  # quiet
        pass

    def _handle(self) -> None:
        parts = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        content_type = self.headers.get("Content-Type", "")
        form: dict[str, str] = {}
        body: object = None
        if "application/x-www-form-urlencoded" in content_type:
            form = dict(urllib.parse.parse_qsl(raw.decode()))
        elif raw:
            body = json.loads(raw)
        received = Received(
            method=self.command,
            path=parts.path,
            query=dict(urllib.parse.parse_qsl(parts.query)),
            form=form,
            body=body,
            authorization=self.headers.get("Authorization", ""),
        )
        status, answer = self.server.fake.answer(received)
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = _handle
    do_POST = _handle


@pytest.fixture(scope="session")
def salesforce_tls(tmp_path_factory) -> TLSFiles:
    return make_tls_files(tmp_path_factory.mktemp("salesforce-tls"))


@pytest.fixture
def fake_salesforce(salesforce_tls, monkeypatch, settings):
    """A running FakeSalesforce that Okuru's client trusts and may reach (SALESFORCE_HOST_SUFFIXES)."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(salesforce_tls.ca))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    settings.SALESFORCE_HOST_SUFFIXES = ["127.0.0.1"]
    server = FakeSalesforce(salesforce_tls).start()
    yield server
    server.stop()
