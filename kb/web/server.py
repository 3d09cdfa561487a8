"""`kb serve`: start-up checks, then gradio mounted on FastAPI behind kb.web.access.Gate, run by uvicorn.

Start: refuse a network address without accounts; remove scratch folders of dead servers; point gradio's
upload cache into this process's scratch folder; `kb index check` (repairing); load the index. Shutdown by
SIGTERM, SIGINT or SIGHUP goes through uvicorn's graceful exit, whose lifespan end removes the scratch
folder (drafts included). A SIGKILL leaves it for the next start to remove.
"""

import contextlib
import os
import signal
import socket
import sys
from collections.abc import Callable

from kb import audit, errors
from kb.accounts import Accounts
from kb.config import Settings
from kb.web import uploads

LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}
WILDCARDS = {"0.0.0.0", "::", ""}


def is_loopback(host: str) -> bool:
    import ipaddress

    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def refuse_unsafe(settings: Settings, host: str) -> None:
    """A network address needs accounts: without them anyone on the LAN could delete documents."""
    if not is_loopback(host) and not Accounts(settings).any():
        raise errors.ServeRefused(
            f"不能在网络地址 {host} 上共享：还没有任何账户，任何能访问本机的人都可以修改知识库",
            hint="先创建管理员账户：kb users add 姓名 --role admin（再按需添加 editor/viewer 账户）；"
                 "只在本机使用时请去掉 --host 参数")


def allowed_host_names(host: str, extra: list[str]) -> set[str]:
    """Host headers this server answers: loopback, the bound address, --allowed-host/KB_ALLOWED_HOSTS, and for a
    wildcard address this machine's own name and addresses. Anything else (a rebound DNS name) is refused."""
    names = set(LOOPBACK_NAMES) | {h.strip().lower() for h in extra if h.strip()}
    names |= {h.strip().lower() for h in os.environ.get("KB_ALLOWED_HOSTS", "").split(",") if h.strip()}
    if host not in WILDCARDS:
        names.add(host.strip("[]").lower())
        return names
    hostname = socket.gethostname()
    names |= {hostname.lower(), socket.getfqdn().lower()}
    with contextlib.suppress(OSError):
        names |= {info[4][0].lower() for info in socket.getaddrinfo(hostname, None)}
    return names


def create_app(settings: Settings, allowed_hosts: set[str], shared: bool = False):
    """The ASGI app: Gate(FastAPI(login, logout, downloads, gradio at /)); `shared`: bound to a network address."""
    import gradio as gr
    from fastapi import FastAPI, Form, Request
    from fastapi.responses import HTMLResponse, RedirectResponse, Response

    from kb.web import render
    from kb.web.access import COOKIE, Access, Gate, LoginRefused, client_address
    from kb.web.app import CSS, build_app

    access, downloads = Access(settings, shared), uploads.Downloads()

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        yield
        uploads.remove_own(settings)  # graceful shutdown (SIGTERM/SIGINT/SIGHUP): no draft survives

    api = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    @api.get("/login", response_class=HTMLResponse)
    def login_form():
        return render.login_page()

    @api.post("/login")
    def login(request: Request, username: str = Form(""), password: str = Form("")):
        try:
            token = access.login(username, password, client_address(request))
        except LoginRefused as exc:
            return HTMLResponse(render.login_page(exc.message, username), status_code=exc.status)
        response = RedirectResponse("/", status_code=303)
        # a browser-session cookie; the server ends idle and old sessions itself. SameSite=Strict: another site's
        # page cannot make the browser send it (no cross-site request forgery of the API)
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict")
        return response

    @api.get("/logout")
    def logout(request: Request):
        access.logout(request.cookies.get(COOKIE), client_address(request))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE)
        return response

    @api.get("/kb/download/{token}")
    def download(token: str, request: Request):
        item = downloads.take(token, access.gradio_user(request))
        if item is None:
            return HTMLResponse("该下载已取过或已过期（审查报告只能下载一次），请重新审查。", status_code=404)
        from urllib.parse import quote

        return Response(item.data, media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(item.filename)}",
                                 "Cache-Control": "no-store"})

    demo = build_app(settings, access, downloads)
    demo.queue(default_concurrency_limit=4, max_size=200)
    gr.mount_gradio_app(api, demo, path="/", auth_dependency=access.gradio_user, ssr_mode=False, show_error=False,
                        theme=gr.themes.Default(), css=CSS, max_file_size=2 * settings.max_file_bytes,
                        allowed_paths=[str(uploads.work_dir(settings) / "out")], footer_links=[], run_history=False)
    return Gate(api, access, allowed_hosts)


def prepare(settings: Settings, report: Callable[[str], None]) -> None:
    """Before gradio is imported: clean up after dead servers, keep gradio's cache in our scratch folder,
    check (and repair) corpus and index, load the index."""
    from kb.changes import check

    stale = uploads.remove_stale(settings)
    if stale:
        report(f"已删除之前未正常退出的网页进程留下的临时文件：{len(stale)} 个目录")
    os.environ["GRADIO_TEMP_DIR"] = str(uploads.work_dir(settings) / "gradio")
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # no telemetry calls from an offline office network
    def waiting(holder) -> None:
        report(f"等待中：{holder.describe() if holder else '另一个写入操作'}正在写入知识库，完成后继续启动…")

    for line in check(settings, audit.Actor("kb serve", "cli"), repair=True, on_wait=waiting).lines():
        report(f"启动检查：{line}")
    from kb.web.views import warm_up

    report(f"政策知识库：{warm_up(settings)}")


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860, allowed_hosts: list[str] | None = None,
          report: Callable[[str], None] = print) -> None:
    """Run the web app until a signal stops it (blocking)."""
    refuse_unsafe(settings, host)
    names = allowed_host_names(host, allowed_hosts or [])
    prepare(settings, report)
    import uvicorn

    app = create_app(settings, names, shared=not is_loopback(host))
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on"))
    # uvicorn exits gracefully on SIGINT/SIGTERM; SIGHUP (a closed terminal) would kill without cleanup
    signal.signal(signal.SIGHUP, lambda *_: setattr(server, "should_exit", True))
    mode = "需要登录" if Accounts(settings).any() else "未启用账户，仅限本机"
    report(f"网页地址：http://{'127.0.0.1' if host in WILDCARDS else host}:{port}/（{mode}；允许的访问地址：{'、'.join(sorted(names))}）")
    try:
        server.run()
    finally:
        uploads.remove_own(settings)


def main(argv: list[str] | None = None) -> None:
    """`python app.py [--host --port]`: the same as `kb serve`."""
    from kb.cli import main as cli_main

    raise SystemExit(cli_main(["serve", *(argv if argv is not None else sys.argv[1:])]))
