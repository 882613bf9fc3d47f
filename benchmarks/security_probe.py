"""Probe a running careguide for the web findings of the security review, from this machine only.

    python benchmarks/security_probe.py --url http://127.0.0.1:7860 [--user NAME --password-env VAR]

Bounded: a fixed list of requests (about 40), each with a timeout; loopback addresses only (the
probe refuses any other host). It reports each finding as high, medium or low and exits 1 when any
high or medium one is found. With workspace credentials it also checks sign-out, a stale cookie
and ids beyond 2^63 (it never sends wrong passwords, so it cannot lock the account).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
TIMEOUT_S = 180.0
"""An answer may need the model; anything slower counts as a failure to answer."""


@dataclass
class Probe:
    client: httpx.Client
    findings: list[dict[str, str]] = field(default_factory=list)
    checked: int = 0

    def finding(self, severity: str, what: str, detail: str) -> None:
        self.findings.append({"severity": severity, "finding": what, "detail": detail[:300]})

    def check(self, ok: bool, severity: str, what: str, detail: str = "") -> None:
        self.checked += 1
        if not ok:
            self.finding(severity, what, detail)


def script_src(policy: str) -> str:
    parts = {p.strip().split(" ")[0]: p.strip() for p in policy.split(";") if p.strip()}
    return parts.get("script-src", parts.get("default-src", ""))


def headers(probe: Probe) -> None:
    for path in ("/", "/search?q=asthma", "/healthz"):
        response = probe.client.get(path)
        h = response.headers
        policy = h.get("content-security-policy", "")
        probe.check(bool(policy), "medium", f"no Content-Security-Policy on {path}")
        probe.check("unsafe-inline" not in script_src(policy), "medium", f"inline scripts allowed on {path}")
        probe.check("frame-ancestors 'none'" in policy or h.get("x-frame-options") == "DENY",
                    "medium", f"{path} can be framed")  # fmt: skip
        probe.check(h.get("x-content-type-options") == "nosniff", "low", f"no nosniff on {path}")
        probe.check(bool(h.get("referrer-policy")), "low", f"no Referrer-Policy on {path}")
    page = probe.client.get("/search", params={"q": "symptoms"}).text
    probe.check(not re.search(r'href="\s*(javascript|data|vbscript):', page, re.I), "high",
                "a script URL is a link on /search")  # fmt: skip
    probe.check("file:///" not in page, "low", "a server file path is shown on /search")


def docs_and_cors(probe: Probe) -> None:
    docs = probe.client.get("/docs")
    probe.check(
        docs.status_code == 404 or "cdn." not in docs.text, "medium", "/docs loads scripts from a CDN"
    )
    origin = {"Origin": "http://localhost:1"}
    for path in ("/gradio_api/info", "/healthz"):
        allowed = probe.client.get(path, headers=origin).headers.get("access-control-allow-origin")
        probe.check(allowed is None, "medium", f"CORS allows a foreign origin on {path}", str(allowed))
    preflight = probe.client.options(
        "/v1/answer", headers=origin | {"Access-Control-Request-Method": "POST"}
    ).headers.get("access-control-allow-origin")
    probe.check(preflight is None, "medium", "CORS preflight allows a foreign origin", str(preflight))


def uploads(probe: Probe) -> None:
    for path in ("/gradio_api/upload", "/upload"):
        response = probe.client.post(path, files={"files": ("probe.bin", b"\0" * 1_000_000)})
        probe.check(response.status_code >= 400, "medium", f"anonymous upload accepted at {path}")


HOSTILE = [
    '{"question": "\\ud800"}',
    '{"question": "zzqx\\udfff"}',
    json.dumps({"question": " " * 1_200_000 + "zzqx"}),
    json.dumps({"question": "zzqx", "history": [" " * 1_200_000 + "hi"]}),
    '{"question": "zzqx", "conversation_id": "\\ud800jane"}',
    json.dumps({"question": "\x00\x1b[31m zzqx"}),
    '{"question": 12}',
    '{"question": "zzqx", "history": "not a list"}',
    "not json",
]


def answers(probe: Probe) -> None:
    for path in ("/v1/answer", "/v1/answer/stream"):
        for body in HOSTILE:
            try:
                response = probe.client.post(path, content=body, headers={"Content-Type": "application/json"})
            except httpx.HTTPError as exc:
                probe.check(False, "high", f"{path} did not answer", f"{type(exc).__name__}: {body[:60]}")
                continue
            probe.check(response.status_code < 500, "high", f"server error on {path}",
                        f"{response.status_code} for {body[:60]!r}")  # fmt: skip


def workspace(probe: Probe, user: str, password: str) -> None:
    login = probe.client.get("/workspace/login")
    token = re.search(r'name="token" value="([^"]+)"', login.text)
    if token is None:
        probe.finding("low", "workspace sign-in form not found", login.text[:100])
        return
    signed = probe.client.post(
        "/workspace/login", data={"username": user, "password": password, "token": token.group(1)}
    )
    home = probe.client.get("/workspace")
    csrf = re.search(r'name="csrf" value="([^"]+)"', home.text)
    if signed.status_code >= 400 or csrf is None:
        probe.finding("low", "could not sign in to the workspace with the given account", "")
        return
    for material_id in (2**63, 2**64):
        try:
            status = probe.client.get(f"/workspace/materials/{material_id}").status_code
        except httpx.HTTPError as exc:  # the server dropped the connection: an unhandled error
            status = 599
            detail = f"{type(exc).__name__} for id {material_id}"
        else:
            detail = f"{status} for id {material_id}"
        probe.check(status < 500, "medium", "server error for a large material id", detail)
    cookie = probe.client.cookies.get("careguide_workspace")
    probe.client.post("/workspace/logout", data={"csrf": csrf.group(1)})
    stale = httpx.Client(base_url=str(probe.client.base_url), timeout=TIMEOUT_S, follow_redirects=False)
    stale.cookies.set("careguide_workspace", cookie or "", path="/workspace")
    probe.check(
        stale.get("/workspace").status_code in (302, 303, 401), "high", "a signed-out cookie still works"
    )
    stale.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:7860")
    parser.add_argument("--user", default="")
    parser.add_argument("--password-env", default="CAREGUIDE_PROBE_PASSWORD")
    args = parser.parse_args(argv)
    host = urlsplit(args.url).hostname or ""
    if host not in LOOPBACK:
        print(f"The probe runs against this machine only; {host!r} is not a loopback address.")
        return 2
    with httpx.Client(base_url=args.url, timeout=TIMEOUT_S, follow_redirects=True) as client:
        probe = Probe(client)
        password = os.environ.get(args.password_env, "")
        sections: list[Callable[[Probe], None]] = [headers, docs_and_cors, uploads, answers]
        if args.user:
            sections.append(lambda p: workspace(p, args.user, password))
        for section in sections:
            try:
                section(probe)
            except httpx.HTTPError as exc:  # the server dropped a connection: an unhandled error
                probe.check(False, "high", "the server dropped a connection", f"{type(exc).__name__}: {exc}")
    for finding in probe.findings:
        print(json.dumps(finding))
    serious = [f for f in probe.findings if f["severity"] in ("high", "medium")]
    print(f"{probe.checked} checks, {len(probe.findings)} findings ({len(serious)} high or medium).")
    return 1 if serious else 0


if __name__ == "__main__":
    sys.exit(main())
