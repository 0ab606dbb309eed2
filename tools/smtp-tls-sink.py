"""A local SMTP sink over TLS for tests: aiosmtpd storing every message in a Maildir.

Usage: smtp-tls-sink.py (implicit|starttls) CERT_PEM KEY_PEM MAILDIR

Binds 127.0.0.1 on a port the system picks and prints that port as the first line on
stdout, so the test that started it knows where to connect without racing for a port.
`implicit` wraps the listening socket in TLS (like port 465); `starttls` speaks plain
SMTP and refuses mail until the client has said STARTTLS (like port 587).
"""

import asyncio
import os
import ssl
import sys

from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import SMTP


def tls_context(cert: str, key: str) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


async def serve(mode: str, cert: str, key: str, maildir: str) -> None:
    # Python's Maildir makes its folders only when the top one is missing too.
    for folder in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(maildir, folder), exist_ok=True)
    handler = Mailbox(maildir)
    context = tls_context(cert, key)
    loop = asyncio.get_running_loop()
    if mode == "implicit":
        # The hostname is given so aiosmtpd does not ask DNS for this machine's name.
        def factory() -> SMTP:
            return SMTP(handler, hostname="localhost")

        server = await loop.create_server(factory, "127.0.0.1", 0, ssl=context)
    elif mode == "starttls":

        def factory() -> SMTP:
            return SMTP(
                handler,
                hostname="localhost",
                tls_context=context,
                require_starttls=True,
            )

        server = await loop.create_server(factory, "127.0.0.1", 0)
    else:
        raise SystemExit(f"unknown mode {mode!r}: implicit or starttls")
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    if len(sys.argv) != 5:
        raise SystemExit(__doc__)
    asyncio.run(serve(*sys.argv[1:]))


if __name__ == "__main__":
    main()
