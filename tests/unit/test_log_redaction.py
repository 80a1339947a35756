"""Secrets are masked in every log line, whatever logs them."""

from __future__ import annotations

import logging

import pytest

from bot.log_redaction import MASK, install_redaction, redact, secrets_in

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


@pytest.mark.parametrize(("text", "secret"), [
    (f"POST https://api.telegram.org/bot{TOKEN}/sendMessage", TOKEN),
    ("GET https://qyapi.weixin.qq.com/cgi-bin/gettoken?corpid=ww1&corpsecret=S3cr3tValue99",
     "S3cr3tValue99"),
    ("POST https://api.weixin.qq.com/cgi-bin/message/custom/send?access_token=ACCESS-123456",
     "ACCESS-123456"),
    ("POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0",
     "693a91f6-7xxx-4bc4-97a0"),
    ("postgresql+asyncpg://yizhan:hunter2pass@db/station", "hunter2pass"),
])
def test_secret_shapes_are_masked(text: str, secret: str) -> None:
    clean = redact(text)
    assert secret not in clean and MASK in clean


def test_secrets_from_the_environment_are_masked_wherever_they_appear() -> None:
    env = {"YIZHAN_WECHAT_AES_KEY": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
           "YIZHAN_GROUP_ROBOT": "robot-key-0001", "HOME": "/root", "YIZHAN_WECOM_SECRET": "x"}
    secrets = secrets_in(env)
    assert "/root" not in secrets and "x" not in secrets          # not secrets, or too short
    text = "decrypt with abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG failed; robot-key-0001"
    assert redact(text, secrets) == f"decrypt with {MASK} failed; {MASK}"


def test_every_record_is_redacted_tracebacks_included(
        caplog: pytest.LogCaptureFixture) -> None:
    before = logging.getLogRecordFactory()
    undo = install_redaction(("hunter2-secret",))
    again = install_redaction(("hunter2-secret",))       # installed twice: not stacked
    assert getattr(logging.getLogRecordFactory(), "redacting", None) is getattr(
        before, "redacting", before)
    try:
        caplog.set_level(logging.INFO)
        log = logging.getLogger("some.library")
        log.info("connecting with %s", "hunter2-secret")
        try:
            raise ValueError(f"bad url /bot{TOKEN}/getMe")
        except ValueError:
            log.exception("request failed")
        text = caplog.text
        assert "hunter2-secret" not in text and TOKEN not in text
        assert "connecting with ***" in text and "ValueError" in text
    finally:
        again()
        undo()
    assert logging.getLogRecordFactory() is before
