"""Each .eml of the corpus, parsed as ingest sees it: the reply text, the files, the noise and the damage."""

from pathlib import Path

import pytest

from xobito_tickets.inbound.parse import parse_message

CORPUS = Path(__file__).parent / "corpus"

#: file -> what a person reading the stored reply would check.
EXPECTED = {
    "gmail_reply.eml": dict(
        reply="Thanks, restarting the spooler fixed it. You can close this.\n\nAnna",
        sender="anna.smith@gmail.example",
        in_reply_to=["<4f2a9c@helpdesk.test>"],
    ),
    "outlook_desktop.eml": dict(
        reply='Grüße, the printer still shows "offline" after the restart.\n\nBernd Meier\nIT, Contoso',
        sender="b.meier@contoso.example",
    ),
    "outlook_original_message.eml": dict(reply="Same problem on floor 3."),
    "outlook_web_html_only.eml": dict(reply="It works again, thank you!"),
    "apple_mail.eml": dict(reply="Printed a test page — all good."),
    "thunderbird.eml": dict(reply="The driver update did the trick."),
    "iphone.eml": dict(reply="Yes, please send a technician tomorrow."),
    "android_outlook.eml": dict(reply="Tomorrow at 9 works for me."),
    "shift_jis.eml": dict(
        reply="プリンターが動かないです。\nエラーコード104です。",
        subject="プリンターが動かない",
        sender_name="山田 太郎",
    ),
    "iso_8859_1_new_ticket.eml": dict(
        reply="La máquina de café del vestíbulo muestra el error E4.\nGracias,\nJosé",
        subject="La máquina de café no funciona",
        sender_name="José García",
        recipients=["acme+technical-support@inbound.test"],
    ),
    "inline_image.eml": dict(
        reply="The login page shows this error:\n[image: error.png]", files=[("error.png", "image/png", True)]
    ),
    "winmail_dat.eml": dict(
        reply="Please see the attached invoice, the total looks wrong.",
        files=[("winmail.dat", "application/ms-tnef", False)],
    ),
    "forwarded.eml": dict(
        reply="Forwarding the shop's confirmation: the delivery address is wrong.",
        files=[("attachment.eml", "message/rfc822", False)],
    ),
    "vacation_autoreply.eml": dict(noise="automatic message (Auto-Submitted: auto-replied)"),
    "bounce_report.eml": dict(noise="delivery or read report"),
    "mailing_list.eml": dict(noise="bulk mail (Precedence: bulk)"),
    "x_autoreply.eml": dict(noise="automatic reply (X-Autoreply)"),
    "malformed_mime.eml": dict(problem="malformed MIME structure"),
    "html_phishing.eml": dict(reply="Your account is locked. Click here to verify"),
}


def test_every_corpus_file_has_expectations():
    assert sorted(p.name for p in CORPUS.glob("*.eml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_message(name):
    expected = EXPECTED[name]
    parsed = parse_message((CORPUS / name).read_bytes())
    assert parsed.problem == expected.get("problem")
    assert parsed.noise == expected.get("noise")
    if "reply" in expected:
        assert parsed.reply_text == expected["reply"]
        assert "<" not in parsed.reply_text and "script" not in parsed.reply_text.lower()
    for key in ("sender", "subject", "sender_name", "in_reply_to"):
        if key in expected:
            assert getattr(parsed, key) == expected[key]
    if "recipients" in expected:
        assert parsed.recipients == expected["recipients"]
    if "files" in expected:
        assert [(f.filename, f.content_type, f.inline) for f in parsed.files] == expected["files"]
        assert all(f.data for f in parsed.files)
    assert parsed.message_id.startswith("<")


def test_quoted_history_is_kept_in_the_whole_text():
    parsed = parse_message((CORPUS / "outlook_desktop.eml").read_bytes())
    assert "please restart the print spooler" in parsed.text
    assert "please restart the print spooler" not in parsed.reply_text
