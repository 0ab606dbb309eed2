"""A local stand-in for Tencent Cloud SMS `SendSms` (API 2021-01-11), for tests only.

It checks every request's TC3-HMAC-SHA256 signature with the signing code of Tencent's
own Python SDK (tencentcloud-sdk-python-common: `AbstractClient._get_tc3_signature`,
which builds the canonical request and calls `Sign.sign_tc3`), so the Rust client is
held to Tencent's reading of the algorithm, not to ours. It answers with the JSON
bodies Tencent documents and records what it accepted.

    python tencent.py PORT --secret-id ID --secret-key KEY [--templates FILE]

FILE maps template id -> number of variables; with it, an unknown template id or a
wrong number of variables is refused as Tencent does (FailedOperation.TemplateIncorrect
OrUnapproved: "模板未审批或内容不匹配").

Control endpoints (no signature):
- POST /_fake/script  a JSON list of outcomes for the next SendSms requests:
  {"code": "LimitExceeded.PhoneNumberThirtySecondLimit"} (an error; "level" is "number"
  for a per-number SendStatusSet code or "request" for Response.Error, chosen by code
  when absent), {"hang": true} (never answer), {"http_status": 502} (a non-JSON answer),
  {"ok": true} (the normal path). ?sdk_app_id=X scopes the script to that SMS app, so
  tests running side by side do not take each other's outcomes.
- GET /_fake/sent     the accepted messages (optionally ?sdk_app_id=X).
- POST /_fake/reset   forget scripts and sent messages (optionally ?sdk_app_id=X).
"""

import argparse
import hmac
import json
import secrets
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from tencentcloud.common.abstract_client import AbstractClient
from tencentcloud.common.http.request import RequestInternal

VERSION = "2021-01-11"
SERVICE = "sms"
REGIONS = {"ap-guangzhou", "ap-beijing", "ap-nanjing"}
# Tencent refuses a timestamp more than five minutes away from its clock.
MAX_SKEW_SECONDS = 300
# How long a scripted hang holds the request (a reset or shutdown ends it sooner).
HANG_SECONDS = 60

# Codes Tencent reports per number in SendStatusSet rather than as Response.Error.
PER_NUMBER_PREFIXES = (
    "LimitExceeded.PhoneNumber",
    "LimitExceeded.DeliveryFrequencyLimit",
    "LimitExceeded.AppDailyLimit",
    "InvalidParameterValue.IncorrectPhoneNumber",
    "FailedOperation.PhoneNumberInBlacklist",
    "FailedOperation.PhoneNumberOnBlacklist",
    "FailedOperation.InsufficientBalanceInSmsPackage",
)


class State:
    """Scripts and sent messages, shared by the handler threads."""

    def __init__(self, secret_id, secret_key, templates):
        self.secret_id = secret_id
        self.secret_key = secret_key
        self.templates = templates
        self.lock = threading.Lock()
        self.scripts = {}  # sdk_app_id or None (any app) -> list of outcomes
        self.sent = []
        self.wake = threading.Event()

    def next_outcome(self, app_id):
        with self.lock:
            for key in (app_id, None):
                queue = self.scripts.get(key)
                if queue:
                    return queue.pop(0)
        return {"ok": True}


def signature_of(state, method, host, content_type, timestamp, body, date):
    """The TC3 signature the SDK computes for this request."""
    req = RequestInternal(
        host=host,
        method=method,
        uri="/",
        header={"Content-Type": content_type, "Host": host, "X-TC-Timestamp": timestamp},
        data=body,
    )
    # `_get_tc3_signature` uses only its arguments, never the client instance.
    return AbstractClient._get_tc3_signature(None, None, req, date, SERVICE, state.secret_key)


def parse_authorization(value):
    """(secret_id, date, service, signed_headers, signature) or None."""
    prefix = "TC3-HMAC-SHA256 "
    if not value.startswith(prefix):
        return None
    fields = {}
    for part in value[len(prefix):].split(","):
        key, _, val = part.strip().partition("=")
        fields[key] = val
    scope = fields.get("Credential", "").split("/")
    if len(scope) != 4 or scope[3] != "tc3_request":
        return None
    return scope[0], scope[1], scope[2], fields.get("SignedHeaders"), fields.get("Signature", "")


def error_body(code, message):
    return {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": str(uuid.uuid4())}}


def status_body(phone, session, code, message, serial="", fee=0):
    return {
        "Response": {
            "SendStatusSet": [
                {
                    "SerialNo": serial,
                    "PhoneNumber": phone,
                    "Fee": fee,
                    "SessionContext": session,
                    "Code": code,
                    "Message": message,
                    "IsoCode": "CN",
                }
            ],
            "RequestId": str(uuid.uuid4()),
        }
    }


class Handler(BaseHTTPRequestHandler):
    server_version = "fake-tencent-sms"
    protocol_version = "HTTP/1.1"

    @property
    def state(self):
        return self.server.state

    def log_message(self, format, *args):
        sys.stderr.write("fake-tencent: " + (format % args) + "\n")

    def reply(self, status, body, content_type="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def query_app(self):
        values = parse_qs(urlparse(self.path).query).get("sdk_app_id")
        return values[0] if values else None

    def do_GET(self):
        if urlparse(self.path).path == "/_fake/sent":
            app = self.query_app()
            with self.state.lock:
                sent = [m for m in self.state.sent if app is None or m["SmsSdkAppId"] == app]
            return self.reply(200, sent)
        self.reply(404, {"error": "not found"})

    def do_POST(self):
        path = urlparse(self.path).path
        body = self.read_body()
        if path == "/_fake/script":
            return self.control_script(body)
        if path == "/_fake/reset":
            return self.control_reset()
        if path != "/":
            return self.reply(404, {"error": "not found"})
        self.send_sms(body)

    def control_script(self, body):
        try:
            outcomes = json.loads(body)
            assert isinstance(outcomes, list) and all(isinstance(o, dict) for o in outcomes)
        except (ValueError, AssertionError):
            return self.reply(400, {"error": "expected a JSON list of objects"})
        with self.state.lock:
            self.state.scripts.setdefault(self.query_app(), []).extend(outcomes)
        self.reply(200, {"scripted": len(outcomes)})

    def control_reset(self):
        app = self.query_app()
        with self.state.lock:
            if app is None:
                self.state.scripts.clear()
                self.state.sent.clear()
            else:
                self.state.scripts.pop(app, None)
                self.state.sent = [m for m in self.state.sent if m["SmsSdkAppId"] != app]
        # Release any hung request.
        self.state.wake.set()
        self.state.wake = threading.Event()
        self.reply(200, {"reset": True})

    def check_signature(self, body):
        """None when the request is signed correctly, else the error body to answer."""
        auth = parse_authorization(self.headers.get("Authorization", ""))
        if auth is None:
            return error_body("AuthFailure.InvalidAuthorization", "Authorization header is not TC3-HMAC-SHA256.")
        secret_id, date, service, signed_headers, signature = auth
        if secret_id != self.state.secret_id:
            return error_body("AuthFailure.SecretIdNotFound", "The SecretId is not found.")
        timestamp = self.headers.get("X-TC-Timestamp", "")
        try:
            ts = int(timestamp)
        except ValueError:
            return error_body("MissingParameter", "X-TC-Timestamp is missing or not a number.")
        if abs(time.time() - ts) > MAX_SKEW_SECONDS:
            return error_body("AuthFailure.SignatureExpire", "Signature expired.")
        utc_date = datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d")
        # The SDK's routine signs exactly content-type and host; so does this fake.
        if date != utc_date or service != SERVICE or signed_headers != "content-type;host":
            return error_body("AuthFailure.SignatureFailure", "Credential scope or signed headers do not match.")
        expected = signature_of(
            self.state,
            self.command,
            self.headers.get("Host", ""),
            self.headers.get("Content-Type", ""),
            timestamp,
            body,
            date,
        )
        if not hmac.compare_digest(expected, signature):
            return error_body(
                "AuthFailure.SignatureFailure",
                "The provided credentials could not be validated. Please check your signature is correct.",
            )
        return None

    def send_sms(self, body):
        refused = self.check_signature(body)
        if refused is not None:
            return self.reply(200, refused)
        if self.headers.get("X-TC-Action") != "SendSms":
            return self.reply(200, error_body("InvalidAction", "The action is not supported by this fake."))
        if self.headers.get("X-TC-Version") != VERSION:
            return self.reply(200, error_body("NoSuchVersion", "The API version does not exist."))
        if self.headers.get("X-TC-Region") not in REGIONS:
            return self.reply(200, error_body("UnsupportedRegion", "The region is not supported."))
        try:
            req = json.loads(body)
            phones = req["PhoneNumberSet"]
            app_id = req["SmsSdkAppId"]
            template_id = req["TemplateId"]
            params = req.get("TemplateParamSet") or []
            session = req.get("SessionContext", "")
            assert isinstance(phones, list) and len(phones) >= 1
        except (ValueError, KeyError, TypeError, AssertionError):
            return self.reply(200, error_body("FailedOperation.FailResolvePacket", "The request body is not a SendSms request."))
        phone = phones[0]

        outcome = self.state.next_outcome(app_id)
        if outcome.get("hang"):
            self.state.wake.wait(outcome.get("seconds", HANG_SECONDS))
            self.close_connection = True
            return
        if "http_status" in outcome:
            return self.reply(int(outcome["http_status"]), b"<html>bad gateway</html>", "text/html")
        code = outcome.get("code")
        if code:
            message = outcome.get("message", code)
            level = outcome.get("level") or ("number" if code.startswith(PER_NUMBER_PREFIXES) else "request")
            if level == "number":
                return self.reply(200, status_body(phone, session, code, message))
            return self.reply(200, error_body(code, message))

        templates = self.state.templates
        if templates is not None:
            if template_id not in templates:
                return self.reply(
                    200,
                    error_body("FailedOperation.TemplateIncorrectOrUnapproved", "template is not approved or not exist"),
                )
            if len(params) != templates[template_id]:
                return self.reply(
                    200,
                    error_body(
                        "FailedOperation.TemplateIncorrectOrUnapproved",
                        "template params count %d does not match the template (%d)" % (len(params), templates[template_id]),
                    ),
                )
        serial = "2433:%d" % secrets.randbits(96)
        with self.state.lock:
            self.state.sent.append(
                {
                    "SerialNo": serial,
                    "PhoneNumberSet": phones,
                    "SmsSdkAppId": app_id,
                    "SignName": req.get("SignName"),
                    "TemplateId": template_id,
                    "TemplateParamSet": params,
                    "SessionContext": session,
                    "Region": self.headers.get("X-TC-Region"),
                }
            )
        self.reply(200, status_body(phone, session, "Ok", "send success", serial=serial, fee=1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", type=int)
    parser.add_argument("--secret-id", required=True)
    parser.add_argument("--secret-key", required=True)
    parser.add_argument("--templates", help="JSON file: template id -> number of variables")
    args = parser.parse_args()
    templates = None
    if args.templates:
        with open(args.templates, encoding="utf-8") as f:
            templates = {str(k): int(v) for k, v in json.load(f).items()}
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.state = State(args.secret_id, args.secret_key, templates)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.state.wake.set()
        server.server_close()


if __name__ == "__main__":
    main()
