"""Issue 10 item 3: scrubbing by rule.  Secrets of more than 35 kinds are planted where real
traffic carries them (documents, CONTEXT, USER_TEMPLATE, host templates, API template strings,
API IN and OUT values, RETRY ARGUMENTS nested two and three base64 levels deep, ill-formed
bodies); none may survive at any base64 depth, and every body that was valid stays valid."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockhm import Cloud, HookEvent, api_event
from mockhm.schemas.validation import check_message
from mockhm.streams.record import Scrubber
from mockhm.wire.bodies import document_state_event, retry_message
from mockhm.wire.documents import HostDocument

CAPTURES = Path(__file__).resolve().parents[2].parent / "shared" / "opennebula" / "captures-7.4.0"

PEM = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----"
#: name -> a realistic secret value, unique so that a survivor is found at any depth.
SECRETS: dict[str, str] = {
    # USER_TEMPLATE (item 3: AWS_SECRET_ACCESS_KEY, SECRET, ONE_AUTH, PASSWORD_BASE64)
    "ut_aws_secret": "wJalrXUtnFEMIK7MDENGbPxRfiCYzq01SECRETKEY",
    "ut_aws_key_id": "AKIAZQ01EXAMPLEKEYID",
    "ut_secret": "zq02-my-little-secret",
    "ut_one_auth": "oneadmin:zq03OneAuthPassw0rd",
    "ut_password_b64": base64.b64encode(b"zq04-base64-password").decode(),
    "ut_api_token": "zq05tokenvalue-for-api",
    "ut_unknown": "zq06 whatever users keep here",
    "ut_db_pass": "zq07-db-pass",
    "ut_private_key": PEM.replace("b3Bl", "zq08"),
    # CONTEXT (known names, *_BASE64 and unknown names)
    "ctx_root_password": "zq09-root-password",
    "ctx_password": "zq10-password",
    "ctx_ssh_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIzq11sshkey user@laptop",
    "ctx_start_script": "#!/bin/sh\necho zq12-in-a-script > /root/token",
    "ctx_start_script_b64": base64.b64encode(b"#!/bin/sh\nexport TOKEN=zq13").decode(),
    "ctx_user_data": "#cloud-config\npassword: zq14-cloud-init",
    "ctx_unknown": "zq15-custom-context-value",
    "ctx_vault_url": "https://deploy:zq16vaultpw@vault.example.com",
    # host templates (item 3: EC2_ACCESS, EC2_SECRET, AZ_CERT)
    "host_ec2_access": "AKIAZQ17HOSTACCESSID",
    "host_ec2_secret": "zq18EC2SecretAccessKeyValue",
    "host_az_cert": "-----BEGIN CERTIFICATE-----\nMIIzq19\n-----END CERTIFICATE-----",
    "host_az_id": "zq20-azure-subscription",
    "host_vcenter_password": "zq21-vcenter-password",
    "host_one_password": "zq22-oneprovision",
    # VM TEMPLATE values with innocent names but secret-looking values
    "tpl_notes_pem": PEM.replace("b3Bl", "zq23"),
    "tpl_desc_ssh": "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABzq24 ops@bastion",
    "tpl_label_aws": "AKIAZQ25LABELKEYIDXY",
    "tpl_info_jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ6cTI2In0.zq26signature",
    "tpl_repo_url": "https://ci:zq27repopassword@git.example.com/x.git",
    # API template strings (item 3: PASSWORD_BASE64="…" and unknown CONTEXT keys)
    "api_password_b64": base64.b64encode(b"zq28-api-password").decode(),
    "api_ctx_unknown": "zq29-api-context",
    "api_root_password": "zq30-instantiate-password",
    "api_host_ec2_secret": "zq31-host-update-secret",
    "api_ctx_ssh": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIzq32 api@x",
    # API IN and OUT values (item 3: the one.user.login token in OUT)
    "login_out_token": "0f" * 19 + "a1",  # oned returns 40 hex digits
    "login_in_token": "zq34-login-token-in",
    "allocate_password": "zq35-new-user-password",
    "passwd_password": "zq36-changed-password",
    "chauth_password": "zq37-chauth-password",
    # RETRY ARGUMENTS (item 3: everything in RETRY messages)
    "retry_state_ctx": "zq38-retry-context-secret",
    "retry_state_ut": "zq39-retry-user-template",
    "retry_api_token": "ab" * 20,
    "retry_api_password_b64": base64.b64encode(b"zq41-retry-api-password").decode(),
    # an ill-formed body (§3.2.1: a raw '&' in a template string)
    "illformed_password": "zq42&-ill-formed",
}


def _vm_events() -> list[HookEvent]:
    cloud = Cloud(seed=3)
    cloud.host_allocate()
    cloud.host_monitor(0)
    user_template = {
        "AWS_SECRET_ACCESS_KEY": SECRETS["ut_aws_secret"], "AWS_ACCESS_KEY_ID": SECRETS["ut_aws_key_id"],
        "SECRET": SECRETS["ut_secret"], "ONE_AUTH": SECRETS["ut_one_auth"],
        "PASSWORD_BASE64": SECRETS["ut_password_b64"], "API_TOKEN": SECRETS["ut_api_token"],
        "MY_NOTE": SECRETS["ut_unknown"], "DB_PASS": SECRETS["ut_db_pass"], "DEPLOY_KEY": SECRETS["ut_private_key"],
    }  # fmt: skip
    events = cloud.vm_allocate(user_template=user_template)
    vm = cloud.vms[0]
    context = vm.template["CONTEXT"]
    assert isinstance(context, dict)
    context.update({
        "ROOT_PASSWORD": SECRETS["ctx_root_password"], "PASSWORD": SECRETS["ctx_password"],
        "SSH_PUBLIC_KEY": SECRETS["ctx_ssh_key"], "START_SCRIPT": SECRETS["ctx_start_script"],
        "START_SCRIPT_BASE64": SECRETS["ctx_start_script_b64"], "USER_DATA": SECRETS["ctx_user_data"],
        "MY_CUSTOM": SECRETS["ctx_unknown"], "VAULT_ADDR": SECRETS["ctx_vault_url"],
    })  # fmt: skip
    vm.template.update({
        "NOTES": SECRETS["tpl_notes_pem"], "DESCRIPTION": SECRETS["tpl_desc_ssh"],
        "LABEL": SECRETS["tpl_label_aws"], "INFO": SECRETS["tpl_info_jwt"], "REPO": SECRETS["tpl_repo_url"],
    })  # fmt: skip
    events += cloud.vm_deploy(0)
    return events


def _host_events() -> list[HookEvent]:
    host = HostDocument(id=7, name="ec2-host", state="MONITORED", prev_state="INIT", template={
        "IM_MAD": "ec2", "VM_MAD": "ec2", "EC2_ACCESS": SECRETS["host_ec2_access"],
        "EC2_SECRET": SECRETS["host_ec2_secret"], "AZ_CERT": SECRETS["host_az_cert"], "AZ_ID": SECRETS["host_az_id"],
        "VCENTER_PASSWORD": SECRETS["host_vcenter_password"], "ONE_PASSWORD": SECRETS["host_one_password"],
    })  # fmt: skip
    return [document_state_event(host, "7.4")]


def _unmasked(event: HookEvent, position: int, secret: str) -> HookEvent:
    """oned prints these passwords as ``****`` (§3.2.1); a source that does not must still be scrubbed."""
    masked = f"<POSITION>{position}</POSITION><TYPE>IN</TYPE><VALUE>****</VALUE>".encode()
    assert masked in event.body
    body = event.body.replace(masked, masked.replace(b"****", secret.encode()))
    return dataclasses.replace(event, body=body)


def _api_events() -> list[HookEvent]:
    s = SECRETS
    update = (
        f'PASSWORD_BASE64="{s["api_password_b64"]}"\nCONTEXT=[MY_THING="{s["api_ctx_unknown"]}", '
        f'SSH_PUBLIC_KEY="{s["api_ctx_ssh"]}", NETWORK="YES"]\nCPU="1"'
    )
    return [
        api_event("one.vm.update", [0, update, 1], result=0),
        api_event(
            "one.template.instantiate",
            [0, "web", False, f'ROOT_PASSWORD="{s["api_root_password"]}"', False],
            result=4,
        ),
        api_event("one.host.update", [7, f'EC2_SECRET = "{s["api_host_ec2_secret"]}"', 1], result=7),
        _unmasked(
            api_event("one.user.login", ["alice", "x", 3600, -1], result=s["login_out_token"]),
            3,
            s["login_in_token"],
        ),
        _unmasked(
            api_event("one.user.allocate", ["bob", "x", "core", [1]], result=5), 3, s["allocate_password"]
        ),
        _unmasked(api_event("one.user.passwd", [5, "x"], result=5), 3, s["passwd_password"]),
        _unmasked(api_event("one.user.chauth", [5, "core", "x"], result=5), 4, s["chauth_password"]),
        api_event(
            "one.vm.update", [0, f'ROOT_PASSWORD="{s["illformed_password"]}"', 1], result=0, ill_formed=True
        ),
    ]


def _retry_events(vm_doc: bytes) -> list[HookEvent]:
    """HEM stores $TEMPLATE (base64 of the document) or $API (base64 of CALL_INFO) as ARGUMENTS;
    oned base64s it once more into the RETRY body (§3.4, 7.4.0-hooks-retry.jsonl)."""
    state_args = base64.b64encode(vm_doc).decode()
    login = api_event(
        "one.user.login", ["carol", "****", 60, -1], result=SECRETS["retry_api_token"]
    ).body.decode()
    call_info = re.search(r"<CALL_INFO>.*</CALL_INFO>", login, re.S)
    assert call_info is not None
    api_info = call_info[0].replace(
        "<VALUE>carol</VALUE>", f'<VALUE>PASSWORD_BASE64="{SECRETS["retry_api_password_b64"]}"</VALUE>'
    )
    api_args = base64.b64encode(api_info.encode()).decode()
    return [retry_message(3, state_args, remote_host="node-9"), retry_message(1, api_args)]


def _planted() -> list[HookEvent]:
    vm_events = _vm_events()
    deployed = vm_events[-1].body
    vm_doc = re.search(rb"<VM>.*</VM>", deployed, re.S)
    assert vm_doc is not None
    ctx = vm_doc[0].replace(
        b"<MY_CUSTOM><![CDATA[", b"<MY_CUSTOM><![CDATA[" + SECRETS["retry_state_ctx"].encode()
    )
    ctx = ctx.replace(b"<MY_NOTE><![CDATA[", b"<MY_NOTE><![CDATA[" + SECRETS["retry_state_ut"].encode())
    return vm_events + _host_events() + _api_events() + _retry_events(ctx)


def _layers(data: bytes, depth: int = 0) -> Iterator[bytes]:
    """``data`` and every base64 layer inside it, however deep."""
    yield data
    if depth > 5:
        return
    for token in re.findall(rb"[A-Za-z0-9+/]{12,}={0,2}", data.replace(b"\n", b"")):
        try:
            inner = base64.b64decode(token + b"=" * (-len(token) % 4), validate=True)
        except (binascii.Error, ValueError):
            continue
        if inner and sum(32 <= c < 127 or c in (9, 10, 13) for c in inner) >= 0.9 * len(inner):
            yield from _layers(inner, depth + 1)


def _needles(secret: str) -> list[bytes]:
    """What must not appear: the value, its lines, and what it decodes to if it is base64."""
    out = [
        line.encode()
        for line in secret.splitlines()
        if len(line) >= 8 and "BEGIN" not in line and "END" not in line
    ]
    try:
        decoded = base64.b64decode(secret, validate=True)
    except (binascii.Error, ValueError):
        return out
    if decoded.isascii() and decoded.decode().isprintable():
        out.append(decoded)
    return out


def test_every_planted_secret_is_in_the_input() -> None:
    text = b"".join(layer for e in _planted() for m in e.messages() for f in m.frames for layer in _layers(f))
    missing = [name for name, secret in SECRETS.items() if not all(n in text for n in _needles(secret))]
    assert not missing, missing
    assert len(SECRETS) >= 43


def test_no_planted_secret_survives_and_valid_bodies_stay_valid() -> None:
    scrubber = Scrubber()
    survivors: dict[str, list[str]] = {}
    for event in _planted():
        for message in event.messages():
            out = scrubber.scrub(message.frames)
            assert out[0] == message.frames[0]  # keys are never changed
            text = b"\n".join(_layers(out[1]))
            for name, secret in SECRETS.items():
                if any(n in text for n in _needles(secret)):
                    survivors.setdefault(name, []).append(message.key)
            if event.label is None and not check_message(message.frames, profile="7.4"):
                assert check_message(out, profile="7.4") == [], (message.key, scrubber.summary())
    assert survivors == {}, survivors
    assert scrubber.ill_formed == 1 and scrubber.unscrubbable == 0


@pytest.mark.skipif(not CAPTURES.is_dir(), reason=f"captures not found at {CAPTURES}")
def test_real_captures_stay_valid_after_scrubbing() -> None:
    """Every message of the 7.4.0 captures that validates before scrubbing validates after."""
    scrubber = Scrubber()
    checked = 0
    for path in sorted(CAPTURES.glob("7.4.0-*.jsonl")):
        for line in path.read_text().splitlines()[1:]:
            record = json.loads(line)
            if "frames" not in record:
                continue
            frames = tuple(f.encode() for f in record["frames"])
            if check_message(frames, profile="7.4"):
                continue
            out = scrubber.scrub(frames)
            assert check_message(out, profile="7.4") == [], (path.name, frames[0])
            checked += 1
    assert checked > 100
    assert scrubber.counts["UNAME"] > 0
