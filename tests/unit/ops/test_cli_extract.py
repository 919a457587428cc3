"""`yiwang extract`: JSON and readable output for a saved page."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ops.cli import main

PAGE = "govcn-policy-pages-zhouynf/html/content_5365945.html"


@pytest.mark.corpus
def test_extract_json(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(
            [
                "extract",
                str(corpus / PAGE),
                "--json",
                "--url",
                "http://www.gov.cn/zhengce/content/2019-02/15/content_5365945.htm",
            ]
        )
    assert exit_info.value.code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["kind"] == "policy"
    assert out["title"] == "国务院关于在市场监管领域全面推行部门联合“双随机、一公开”监管的意见"
    assert out["published_at"] == "2019-02-15"
    assert out["meta"]["doc_no_normalized"] == "国发〔2019〕5号"
    assert out["meta"]["written_date"] == "2019-01-27"
    assert out["url"].startswith("http://www.gov.cn/")


@pytest.mark.corpus
def test_extract_readable_listing_of_a_gbk_file(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    html = (corpus / PAGE).read_text(encoding="utf-8")
    saved = tmp_path / "page.html"
    saved.write_bytes(("<meta charset='gbk'>" + html).encode("gbk", errors="replace"))
    with pytest.raises(SystemExit) as exit_info:
        main(["extract", str(saved)])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "policy" in out and "国发〔2019〕5号" in out and "2019-02-15" in out


def test_missing_file_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["extract", str(tmp_path / "nope.html")])
    assert exit_info.value.code == 2
    assert "no such file" in capsys.readouterr().err


def test_extract_fetches_a_url_and_honours_its_gbk_charset(capsys: pytest.CaptureFixture[str]) -> None:
    html = (
        "<html><head><title>示例通知</title><meta name='PubDate' content='2024-05-06 09:00'></head><body>"
        "<h1>示例通知</h1><div id='zoom'><p>这是一则用GBK编码的通知正文。</p></div></body></html>"
    ).encode("gbk")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=GBK")
            self.send_header("Content-Length", str(len(html)))
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(SystemExit) as exit_info:
            main(["extract", f"http://127.0.0.1:{server.server_address[1]}/tzgg/post_1.html", "--json"])
    finally:
        server.shutdown()
        server.server_close()
    assert exit_info.value.code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["title"] == "示例通知"
    assert out["published_at"] == "2024-05-06"
    assert "GBK编码的通知正文" in out["text"]
