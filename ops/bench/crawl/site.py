"""The benchmark site: N generated government-style pages served from memory by aiohttp on loopback."""

from __future__ import annotations

import argparse
import random

from aiohttp import web

PER_LIST = 50
TEXT = "为进一步优化营商环境，深化“放管服”改革，结合本市实际，制定本实施方案。各区、各部门要高度重视，抓好落实。"


def article(i: int, n: int) -> str:
    rng = random.Random(i)
    links = "".join(f'<li><a href="/p/{rng.randrange(n)}.html">相关文件{k}</a></li>' for k in range(5))
    paragraphs = "".join(f"<p>{TEXT * rng.randint(2, 5)}</p>" for _ in range(rng.randint(4, 10)))
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>示范市政策文件第{i}号</title>'
        f'<meta name="ArticleTitle" content="示范市政策文件第{i}号">'
        f'<meta name="PubDate" content="2024-05-{i % 28 + 1:02d}"></head><body>'
        f'<div class="nav"><a href="/">首页</a> &gt; <a href="/list/{i // PER_LIST}.html">政策文件</a></div>'
        f'<table class="xxgk"><tr><td>索引号：</td><td>000014349/2024-{i:05d}</td><td>发文机关：</td><td>示范市人民政府'
        f"</td></tr><tr><td>文号：</td><td>示政发〔2024〕{i}号</td><td>成文日期：</td><td>2024年05月{i % 28 + 1}日</td>"
        f'</tr></table><div class="TRS_Editor"><h1>示范市政策文件第{i}号</h1>{paragraphs}</div><ul>{links}</ul>'
        f'<div class="footer">主办：示范市人民政府办公厅 <a href="/p/{(i + 1) % n}.html">下一篇</a></div></body></html>'
    )


def listing(j: int, n: int) -> str:
    items = "".join(
        f'<li><a href="/p/{i}.html">示范市政策文件第{i}号</a><span>2024-05-{i % 28 + 1:02d}</span></li>'
        for i in range(j * PER_LIST, min(n, (j + 1) * PER_LIST))
    )
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>政策文件 第{j}页</title></head><body>'
        f'<div class="crumb">当前位置：<a href="/">首页</a> &gt; 政策文件</div><ul class="list">{items}</ul>'
        "</body></html>"
    )


def build(n: int) -> dict[str, bytes]:
    lists = (n + PER_LIST - 1) // PER_LIST
    home = "".join(f'<a href="/list/{j}.html">第{j}页</a>' for j in range(lists))
    head = '<!DOCTYPE html><html><head><meta charset="utf-8"><title>示范市人民政府</title></head>'
    pages = {"/": f"{head}<body>{home}</body></html>"}
    pages |= {f"/list/{j}.html": listing(j, n) for j in range(lists)}
    pages |= {f"/p/{i}.html": article(i, n) for i in range(n)}
    return {path: text.encode() for path, text in pages.items()}


def app(n: int) -> web.Application:
    pages = build(n)

    async def handle(request: web.Request) -> web.Response:
        if request.path == "/robots.txt":
            return web.Response(text="User-agent: *\nDisallow: /admin/\n")
        body = pages.get(request.path)
        if body is None:
            return web.Response(status=404)
        return web.Response(body=body, content_type="text/html", charset="utf-8")

    application = web.Application()
    application.router.add_get("/{tail:.*}", handle)
    return application


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pages", type=int, default=5000)
    args = parser.parse_args()
    web.run_app(app(args.pages), host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
