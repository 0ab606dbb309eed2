#!/usr/bin/env python3
"""A local stand-in for Alibaba Cloud SMS (Dysmsapi 2017-05-25, SendSms) for tests.

Every SendSms request is checked as Alibaba's gateway checks a V3 (ACS3-HMAC-SHA256)
request: the signature is recomputed with the vendor's own Python code
(``alibabacloud_openapi_util.client.Client.get_authorization``, pinned in
tools/requirements.txt) from the request as it arrived and the AccessKey secret given
on the command line; the date must be within 15 minutes and the nonce new. Answers
are the JSON bodies Alibaba documents: ``{"Code":"OK","Message":"OK","BizId",
"RequestId"}`` on success, ``{"Code","Message","RequestId"}`` (HTTP 200) for SMS
errors, and gateway errors such as SignatureDoesNotMatch with HTTP 4xx, ``HostId`` and
``Recommend``.

With ``--templates FILE`` (JSON: template code -> list of variable names) only those
codes exist and TemplateParam must name exactly their variables.

Control endpoints for tests:
  POST /_fake/script  JSON list of outcomes for the next SendSms requests, each one of
                      {"code": "isv.BUSINESS_LIMIT_CONTROL"}  answer with that code,
                      {"hang": true}                          never answer,
                      {"status": 502, "body": "..."}          a raw answer;
                      an outcome with "phone": "138..." applies only to that number
                      (so tests running at the same time do not take each other's).
  GET  /_fake/sent    the accepted messages: phone, sign_name, template_code, params,
                      out_id, biz_id.
  POST /_fake/reset   forget script, messages and nonces; release hung requests.

Usage: aliyun.py PORT --access-key-id ID --access-key-secret SECRET [--templates FILE]
Binds 127.0.0.1 only.
"""

import argparse
import datetime
import hashlib
import hmac
import json
import random
import re
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from alibabacloud_openapi_util.client import Client as OpenApiUtil
from Tea.request import TeaRequest

ALGORITHM = "ACS3-HMAC-SHA256"
ACTION = "SendSms"
VERSION = "2017-05-25"
HOST_ID = "dysmsapi.aliyuncs.com"
MAX_CLOCK_SKEW = datetime.timedelta(minutes=15)
MAX_VARIABLE_CHARS = 35
REQUIRED_SIGNED = (
    "host",
    "x-acs-action",
    "x-acs-content-sha256",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-version",
)

# HTTP status and message of each code the fake can answer with. SMS business codes
# (isv.*, isp.*) come with HTTP 200; gateway codes with their 4xx/5xx.
ANSWERS = {
    "SignatureDoesNotMatch": (400, "Specified signature does not match our calculation."),
    "IncompleteSignature": (400, "The request signature does not conform to Aliyun standards."),
    "InvalidAccessKeyId.NotFound": (404, "Specified access key is not found."),
    "InvalidTimeStamp.Expired": (400, "Specified time stamp or date value is expired."),
    "InvalidTimeStamp.Format": (400, "Specified time stamp or date value is not well formatted."),
    "SignatureNonceUsed": (400, "Specified signature nonce was used already."),
    "InvalidAction.NotFound": (404, "Specified api is not found, please check your url and method."),
    "InvalidVersion": (400, "Specified parameter Version is not valid."),
    "InvalidParameter": (400, "The specified parameter is not valid."),
    "MissingPhoneNumbers": (400, "PhoneNumbers is mandatory for this action."),
    "MissingSignName": (400, "SignName is mandatory for this action."),
    "MissingTemplateCode": (400, "TemplateCode is mandatory for this action."),
    "Throttling.User": (400, "Request was denied due to user flow control."),
    "ServiceUnavailable": (503, "The request has failed due to a temporary failure of the server."),
    "InternalError": (500, "The request processing has failed due to some unknown error."),
    "isv.BUSINESS_LIMIT_CONTROL": (200, "触发分钟级流控Permits:1"),
    "isv.DAY_LIMIT_CONTROL": (200, "触发日发送限额"),
    "isv.MONTH_LIMIT_CONTROL": (200, "触发月发送限额"),
    "isv.MOBILE_NUMBER_ILLEGAL": (200, "非法手机号"),
    "isv.MOBILE_COUNT_OVER_LIMIT": (200, "手机号码数量超过限制"),
    "isv.SMS_TEMPLATE_ILLEGAL": (200, "该账号下找不到对应模板"),
    "isv.SMS_SIGNATURE_ILLEGAL": (200, "该账号下找不到对应签名"),
    "isv.TEMPLATE_MISSING_PARAMETERS": (200, "模板变量中存在未赋值变量"),
    "isv.TEMPLATE_PARAMS_ILLEGAL": (200, "传入的变量内容和实际申请模板时变量所选择的属性类型不配"),
    "isv.INVALID_JSON_PARAM": (200, "JSON参数不合法，只接受字符串值"),
    "isv.PARAM_LENGTH_LIMIT": (200, "参数超出长度限制"),
    "isv.AMOUNT_NOT_ENOUGH": (200, "账户余额不足"),
    "isv.OUT_OF_SERVICE": (200, "业务停机"),
    "isp.SYSTEM_ERROR": (200, "系统错误"),
}
GATEWAY_CODES = {code for code, (status, _) in ANSWERS.items() if status != 200}


class State:
    """What the fake remembers between requests (shared by the handler threads)."""

    def __init__(self, key_id, key_secret, templates):
        self.key_id = key_id
        self.key_secret = key_secret
        self.templates = templates
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.script = []
            self.sent = []
            self.nonces = set()
            release = getattr(self, "release", None)
            if release is not None:
                release.set()
            self.release = threading.Event()

    def next_outcome(self, phone):
        """The first scripted outcome for `phone` (or for any number), taken off."""
        with self.lock:
            for i, outcome in enumerate(self.script):
                if outcome.get("phone") in (None, phone):
                    return self.script.pop(i)
        return None


class Refusal(Exception):
    """An answer other than success: a code and, where the code has none, a message."""

    def __init__(self, code, message=None):
        super().__init__(code)
        self.code = code
        self.message = message


def answer_body(code, message=None):
    status, documented = ANSWERS.get(code, (200, code))
    request_id = str(uuid.uuid4()).upper()
    body = {"RequestId": request_id, "Message": message or documented, "Code": code}
    if code in GATEWAY_CODES:
        body["HostId"] = HOST_ID
        body["Recommend"] = (
            f"https://api.aliyun.com/troubleshoot?q={code}&product=Dysmsapi&requestId={request_id}"
        )
    return status, body


def parse_authorization(value):
    """(credential, signed header names, signature) of an ACS3 Authorization header."""
    if not value.startswith(ALGORITHM + " "):
        raise Refusal("IncompleteSignature")
    fields = {}
    for part in value[len(ALGORITHM) + 1 :].split(","):
        name, _, content = part.strip().partition("=")
        fields[name] = content
    if not all(fields.get(k) for k in ("Credential", "SignedHeaders", "Signature")):
        raise Refusal("IncompleteSignature")
    return fields["Credential"], fields["SignedHeaders"].split(";"), fields["Signature"]


def check_signature(state, method, path, headers, body):
    """Checks key, date, nonce and signature; returns the request's parameters."""
    authorization = headers.get("authorization")
    if not authorization:
        raise Refusal("IncompleteSignature")
    credential, signed_names, _ = parse_authorization(authorization.strip())
    if credential != state.key_id:
        raise Refusal("InvalidAccessKeyId.NotFound")
    # Alibaba: every header that is host, content-type or x-acs-* must be signed.
    must_sign = sorted(
        name for name in headers if name in ("host", "content-type") or name.startswith("x-acs-")
    )
    if any(name not in headers for name in REQUIRED_SIGNED):
        raise Refusal("IncompleteSignature")
    if headers["x-acs-action"] != ACTION:
        raise Refusal("InvalidAction.NotFound")
    if headers["x-acs-version"] != VERSION:
        raise Refusal("InvalidVersion")
    try:
        date = datetime.datetime.strptime(headers["x-acs-date"], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc
        )
    except ValueError:
        raise Refusal("InvalidTimeStamp.Format") from None
    if abs(datetime.datetime.now(datetime.timezone.utc) - date) > MAX_CLOCK_SKEW:
        raise Refusal("InvalidTimeStamp.Expired")

    url = urlsplit(path)
    params = {}
    for name, value in parse_qsl(url.query, keep_blank_values=True):
        if name in params:
            raise Refusal("InvalidParameter", f"parameter {name} is given twice")
        params[name] = value

    request = TeaRequest()
    request.method = method
    request.pathname = url.path or "/"
    request.query = dict(params)
    request.headers = {name: headers[name] for name in must_sign}
    payload_hash = hashlib.sha256(body).hexdigest()
    # The vendor's own signing function, on the request as it arrived.
    expected = OpenApiUtil.get_authorization(
        request, ALGORITHM, payload_hash, state.key_id, state.key_secret
    )
    if signed_names != must_sign or not hmac.compare_digest(
        expected.encode(), authorization.strip().encode()
    ):
        raise Refusal("SignatureDoesNotMatch")

    nonce = headers["x-acs-signature-nonce"]
    with state.lock:
        if nonce in state.nonces:
            raise Refusal("SignatureNonceUsed")
        state.nonces.add(nonce)

    if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        for name, value in parse_qsl(body.decode("utf-8"), keep_blank_values=True):
            params[name] = value
    return params


def check_message(state, params):
    """Checks the SendSms parameters as the SMS service does; returns the record."""
    for name in ("PhoneNumbers", "SignName", "TemplateCode"):
        if not params.get(name):
            raise Refusal("Missing" + name)
    phone = params["PhoneNumbers"]
    if not re.fullmatch(r"1\d{10}", phone):
        raise Refusal("isv.MOBILE_NUMBER_ILLEGAL")
    sign_name = params["SignName"]
    if not 2 <= len(sign_name) <= 12:
        raise Refusal("isv.SMS_SIGNATURE_ILLEGAL")
    code = params["TemplateCode"]
    if state.templates is not None:
        if code not in state.templates:
            raise Refusal("isv.SMS_TEMPLATE_ILLEGAL")
    elif not re.fullmatch(r"SMS_\d+", code):
        raise Refusal("isv.SMS_TEMPLATE_ILLEGAL")
    try:
        variables = json.loads(params.get("TemplateParam") or "{}")
    except ValueError:
        raise Refusal("isv.INVALID_JSON_PARAM") from None
    if not isinstance(variables, dict) or not all(isinstance(v, str) for v in variables.values()):
        raise Refusal("isv.INVALID_JSON_PARAM")
    if state.templates is not None:
        wanted = set(state.templates[code])
        if wanted - set(variables):
            raise Refusal("isv.TEMPLATE_MISSING_PARAMETERS")
        if set(variables) - wanted:
            raise Refusal("isv.TEMPLATE_PARAMS_ILLEGAL")
    if any(len(v) > MAX_VARIABLE_CHARS for v in variables.values()):
        raise Refusal("isv.PARAM_LENGTH_LIMIT")
    return {
        "phone": phone,
        "sign_name": sign_name,
        "template_code": code,
        "params": variables,
        "out_id": params.get("OutId"),
    }


class Handler(BaseHTTPRequestHandler):
    """Serves SendSms on `/` and the control endpoints under `/_fake/`."""

    server_version = "fake-aliyun-sms"
    protocol_version = "HTTP/1.1"

    @property
    def state(self):
        return self.server.state

    def log_message(self, format, *args):
        # Method and path only: the query holds phone numbers.
        sys.stderr.write(f"{self.command} {urlsplit(self.path).path}\n")

    def read_body(self):
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def send_json(self, status, body):
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("content-type", "application/json;charset=utf-8")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if urlsplit(self.path).path == "/_fake/sent":
            with self.state.lock:
                self.send_json(200, list(self.state.sent))
        else:
            self.send_sms("GET")

    def do_POST(self):
        path = urlsplit(self.path).path
        if path == "/_fake/script":
            outcomes = json.loads(self.read_body() or b"[]")
            if not isinstance(outcomes, list) or not all(isinstance(o, dict) for o in outcomes):
                self.send_json(400, {"error": "a JSON list of outcome objects"})
                return
            with self.state.lock:
                self.state.script.extend(outcomes)
            self.send_json(200, {"queued": len(outcomes)})
        elif path == "/_fake/reset":
            self.read_body()
            self.state.reset()
            self.send_json(200, {"reset": True})
        else:
            self.send_sms("POST")

    def send_sms(self, method):
        body = self.read_body()
        headers = {name.lower(): value.strip() for name, value in self.headers.items()}
        try:
            if urlsplit(self.path).path != "/":
                raise Refusal("InvalidAction.NotFound")
            params = check_signature(self.state, method, self.path, headers, body)
            outcome = self.state.next_outcome(params.get("PhoneNumbers"))
            if outcome is not None:
                self.scripted(outcome)
                return
            record = check_message(self.state, params)
        except Refusal as refusal:
            self.send_json(*answer_body(refusal.code, refusal.message))
            return
        record["biz_id"] = f"{random.randrange(10**17, 10**18)}^0"
        with self.state.lock:
            self.state.sent.append(record)
        self.send_json(
            200,
            {
                "RequestId": str(uuid.uuid4()).upper(),
                "Message": "OK",
                "BizId": record["biz_id"],
                "Code": "OK",
            },
        )

    def scripted(self, outcome):
        if outcome.get("hang"):
            # Never answer; give the thread back when reset or after a minute.
            self.state.release.wait(timeout=60)
            self.close_connection = True
        elif "status" in outcome:
            data = str(outcome.get("body", "")).encode("utf-8")
            self.send_response(int(outcome["status"]))
            self.send_header("content-type", "text/html")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        else:
            self.send_json(*answer_body(outcome["code"], outcome.get("message")))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", type=int)
    parser.add_argument("--access-key-id", required=True)
    parser.add_argument("--access-key-secret", required=True)
    parser.add_argument("--templates", help="JSON file: template code -> variable names")
    args = parser.parse_args()
    templates = None
    if args.templates:
        with open(args.templates, encoding="utf-8") as f:
            templates = json.load(f)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.state = State(args.access_key_id, args.access_key_secret, templates)
    print(f"fake Alibaba Cloud SMS on http://127.0.0.1:{args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
