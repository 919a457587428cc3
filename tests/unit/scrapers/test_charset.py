"""Decoding the charsets Chinese government pages really come in, declared rightly, wrongly or not at all."""

from __future__ import annotations

import codecs

import pytest

from scrapers.charset import codec_for, decode_html, header_charset, looks_binary, undecodable_share

TITLE = "济南市人民政府关于印发2024年政务公开工作要点的通知"
BODY = "各区县人民政府，市政府各部门：现将《2024年政务公开工作要点》印发给你们，请认真贯彻落实。"
TRADITIONAL = "臺北市政府關於印發一一三年度政務公開工作要點的通知"


def page(text: str, meta: str = "") -> str:
    return f"<!DOCTYPE html><html><head>{meta}<title>{text}</title></head><body><p>{text}</p></body></html>"


def test_gbk_page_with_meta_and_no_header_charset() -> None:
    html = page(TITLE + BODY, '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">')
    text, encoding = decode_html(html.encode("gbk"), "text/html")
    assert encoding == "gb18030"
    assert TITLE in text and BODY in text


def test_gbk_page_with_no_declaration_at_all_is_detected() -> None:
    text, encoding = decode_html(page(TITLE + BODY).encode("gbk"), None)
    assert encoding == "gb18030"
    assert BODY in text


def test_short_gbk_snippet_without_declaration() -> None:
    text, _ = decode_html("<title>首页</title><a href=/>网站地图</a>".encode("gbk"), "text/html")
    assert "网站地图" in text


def test_rare_characters_decode_although_the_page_says_gb2312() -> None:
    # 䶮 (CJK Extension A, a name character) exists only in GB18030; 𠀾 (Extension B) is four bytes there.
    name = "刘䶮 𠀾"
    html = page(f"关于{name}同志任职的通知", '<meta charset="gb2312">').encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        html.decode("gbk")
    text, encoding = decode_html(html, "text/html; charset=GB2312")
    assert encoding == "gb18030"
    assert name in text


def test_big5_declared_and_undeclared() -> None:
    html = page(TRADITIONAL, '<meta charset="big5">').encode("big5")
    text, encoding = decode_html(html, None)
    assert encoding == "big5hkscs" and TRADITIONAL in text
    text, encoding = decode_html(page(TRADITIONAL * 3).encode("big5"), "text/html")
    assert encoding == "big5hkscs" and TRADITIONAL in text


def test_big5_eten_extension_characters() -> None:
    # 碁 is an ETEN/cp950 extension byte pair (F9 D6) that strict Big5 lacks but real pages use.
    html = page("圍碁協會公告").encode("cp950")
    text, _ = decode_html(html, "text/html; charset=big5")
    assert "圍碁協會公告" in text


def test_utf8_bom_wins_over_a_wrong_header() -> None:
    html = codecs.BOM_UTF8 + page(TITLE, '<meta charset="gbk">').encode("utf-8")
    text, encoding = decode_html(html, "text/html; charset=gbk")
    assert encoding == "utf-8"
    assert text.startswith("<!DOCTYPE") and TITLE in text


def test_utf16_with_bom() -> None:
    html = codecs.BOM_UTF16_LE + page(TITLE).encode("utf-16-le")
    text, encoding = decode_html(html, "text/html")
    assert encoding == "utf-16-le" and TITLE in text


def test_header_says_utf8_but_the_bytes_are_gbk() -> None:
    html = page(TITLE + BODY, '<meta charset="utf-8">').encode("gbk")
    text, encoding = decode_html(html, "text/html; charset=UTF-8")
    assert encoding == "gb18030"
    assert TITLE in text and "\ufffd" not in text


def test_meta_says_gb2312_but_the_site_moved_to_utf8() -> None:
    html = page(TITLE + BODY, '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">')
    text, encoding = decode_html(html.encode("utf-8"), None)
    assert encoding == "utf-8" and BODY in text


def test_header_charset_beats_meta_when_both_are_valid() -> None:
    html = page(TRADITIONAL, '<meta charset="gbk">').encode("big5")
    text, encoding = decode_html(html, 'text/html; charset="Big5"')
    assert encoding == "big5hkscs" and TRADITIONAL in text


def test_one_bad_byte_does_not_discard_a_correct_declaration() -> None:
    html = page(TITLE + BODY * 5).encode("utf-8")
    damaged = html[:200] + b"\xff" + html[200:]
    text, encoding = decode_html(damaged, "text/html; charset=utf-8")
    assert encoding == "utf-8" and BODY in text


def test_xml_feed_declaration() -> None:
    feed = f'<?xml version="1.0" encoding="GBK"?><rss><channel><title>{TITLE}</title></channel></rss>'
    text, encoding = decode_html(feed.encode("gbk"), "application/rss+xml")
    assert encoding == "gb18030" and TITLE in text


def test_unknown_label_falls_through_to_detection() -> None:
    text, encoding = decode_html(page(TITLE + BODY).encode("utf-8"), "text/html; charset=x-no-such-charset")
    assert encoding == "utf-8" and TITLE in text


def test_plain_ascii() -> None:
    assert decode_html(b"<html><body>Open Government</body></html>", None) == (
        "<html><body>Open Government</body></html>",
        "ascii",
    )


def test_labels() -> None:
    assert header_charset('text/html; Charset="GB2312"') == "GB2312"
    assert header_charset("text/html") is None
    assert codec_for("x-gbk") == "gb18030"
    assert codec_for("GBK") == codec_for("gb2312") == codec_for("cp936") == "gb18030"
    assert codec_for("utf8") == "utf-8"
    assert codec_for("ISO-8859-1") == "cp1252"
    assert codec_for("nonsense") is None


def test_binary_bodies_are_recognised() -> None:
    assert looks_binary(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3")
    assert looks_binary(b"PK\x03\x04" + b"\x14" * 20), "docx, xlsx and zip files"
    assert looks_binary(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), "old .doc and .xls files"
    assert looks_binary(b"<html>\x00\x00\x00</html>")
    assert not looks_binary(codecs.BOM_UTF16_LE + "<p>通知</p>".encode("utf-16-le")), "UTF-16 text has NULs"
    assert not looks_binary(page(TITLE).encode("gbk"))
    assert undecodable_share(page(TITLE)) == 0.0
    assert undecodable_share("\ufffd\x01\x02ab") == 0.6
