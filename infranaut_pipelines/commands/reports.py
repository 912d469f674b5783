"""``infranaut reports serve``: the local lake's reports over read-only HTTP on 127.0.0.1.

The report links in the Dagster UI and in Slack point here when the lake is a local folder; with an S3 lake
they are presigned (or use ``INFRANAUT_REPORTS_BASE_URL``) and nothing needs serving.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from urllib.parse import urlparse


def _local_reports_folder(lake_url: str) -> Path | None:
    parsed = urlparse(lake_url)
    if parsed.scheme == "file":
        return Path(parsed.path) / "reports"
    if parsed.scheme == "":
        return Path(lake_url) / "reports"
    return None


def serve_main(argv: list[str]) -> int:
    from infranaut_pipelines.reports.links import serve_url
    from infranaut_pipelines.reports.server import make_server
    from infranaut_pipelines.settings import SettingsError, current

    try:
        settings = current()
    except SettingsError as exc:
        print(f"infranaut reports serve: {exc}", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(prog="infranaut reports serve", description=__doc__)
    parser.add_argument("--port", type=int, default=settings.reports_port,
                        help=f"port on 127.0.0.1 (default $INFRANAUT_REPORTS_PORT, {settings.reports_port}); "
                             "the links in the UI use $INFRANAUT_REPORTS_PORT")
    args = parser.parse_args(argv)
    folder = _local_reports_folder(settings.lake_url)
    if folder is None:
        print(f"the lake is {settings.lake_url}, not a local folder: its report links are presigned URLs "
              "(or under INFRANAUT_REPORTS_BASE_URL), nothing to serve", file=sys.stderr)
        return 2
    folder.mkdir(parents=True, exist_ok=True)  # a fresh lake: serve the empty folder, reports appear in it
    try:
        server = make_server(folder, args.port)
    except OSError as exc:
        print(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror} (another server running? use --port)",
              file=sys.stderr)
        return 2
    port = server.server_address[1]
    print(f"serving {folder} read-only at {serve_url(port)} (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: infranaut reports serve [--port PORT]\n  serve the local lake's reports/ folder read-only "
              "on 127.0.0.1 (the report links of the UI and Slack point there)")
        return 0 if argv else 2
    if argv[0] == "serve":
        return serve_main(argv[1:])
    print(f"unknown reports command {argv[0]!r}: expected `serve`", file=sys.stderr)
    return 2
