"""Who may write when the dashboard is served: the serving policy of ``osca dashboard`` and ``streamlit run app.py``.

Three ways to serve, decided by the bind address, viewer mode (``--viewer``, ``$OSCA_VIEWER``) and whether sign-in
is configured (an ``[auth]`` table in ``.streamlit/secrets.toml``, Streamlit's ``st.login`` over OIDC):

| bind address | ``--viewer`` | ``[auth]`` | who writes to the shared store |
|---|---|---|---|
| loopback (127.0.0.0/8, ::1, localhost) | no | any | the local user (named ``local`` in the write log) |
| any | yes | any | nobody: visitors try their own logs in a temporary per-session store |
| beyond loopback | no | yes | signed-in users on the allow list (``[osca] editors``) |
| beyond loopback | no | no | refused: :func:`serve_problem`, one line naming both options |

The allow list (``editors = ["ada@lab.org", "@lab.org", "lab.org"]`` under ``[osca]`` in ``secrets.toml``) holds
e-mail addresses and domains (with or without the leading ``@``); matching ignores case. An empty list lets no one
write. Every write to the shared store is appended to ``writes.log`` beside the store (:func:`record_write`, one JSON
object a line: time, user, action, dataset).
"""

from __future__ import annotations

import ipaddress
import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

WRITE_LOG = "writes.log"
LOCAL_USER = "local"
# the keys Streamlit's st.login needs (streamlit/auth_util.py validate_auth_credentials): in [auth] itself ...
AUTH_KEYS = ("redirect_uri", "cookie_secret")
# ... and, for the default provider in [auth] or a named one in [auth.NAME]
PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")


def is_loopback(host: str | None) -> bool:
    """True when ``host`` only listens on this machine (127.0.0.0/8, ::1, ``localhost``); unset, blank, 0.0.0.0,
    :: and any other address are beyond loopback."""
    h = (host or "").strip().strip("[]")
    if not h:
        return False
    if h.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def auth_providers(secrets: Mapping) -> tuple[str, ...]:
    """The sign-in providers configured in ``secrets`` (the parsed ``secrets.toml``): ``"default"`` when ``[auth]``
    holds the provider keys itself, plus the name of every complete ``[auth.NAME]`` table; () without a complete
    ``[auth]`` (its ``redirect_uri`` and ``cookie_secret``)."""
    auth = secrets.get("auth") if isinstance(secrets, Mapping) else None
    if not isinstance(auth, Mapping) or not all(auth.get(k) for k in AUTH_KEYS):
        return ()
    out = ["default"] if all(auth.get(k) for k in PROVIDER_KEYS) else []
    out += [k for k, v in auth.items() if isinstance(v, Mapping) and all(v.get(p) for p in PROVIDER_KEYS)]
    return tuple(out)


def read_secrets(files: Sequence[Path]) -> dict:
    """The secrets of the TOML files that exist, later files overriding earlier ones (Streamlit's order); a file
    that does not parse counts as empty (Streamlit reports it when the app starts)."""
    import tomllib

    out: dict = {}
    for f in files:
        try:
            with open(f, "rb") as fh:
                out.update(tomllib.load(fh))
        except (OSError, tomllib.TOMLDecodeError):
            continue
    return out


def secrets_files(app_dir: Path, cwd: Path | None = None) -> list[Path]:
    """Where Streamlit looks for ``secrets.toml`` by default (its ``secrets.files`` option): the user's
    ``~/.streamlit``, the working directory's ``.streamlit``, then the one beside the app script."""
    cwd = Path.cwd() if cwd is None else cwd
    return [Path.home() / ".streamlit" / "secrets.toml", cwd / ".streamlit" / "secrets.toml",
            app_dir / ".streamlit" / "secrets.toml"]


def serve_problem(host: str | None, *, viewer: bool, auth: bool) -> str | None:
    """Why the dashboard refuses to serve on ``host``, in one line, or None (see the module's table)."""
    if viewer or auth or is_loopback(host):
        return None
    where = (host or "").strip() or "every interface"
    return (f"serving on {where} reaches beyond this machine, where anyone could write to the store: add --viewer "
            f"(a read-only public demo; OSCA_VIEWER=1 under streamlit run) or configure sign-in for editors ([auth] in .streamlit/secrets.toml, "
            f"see docs/dashboard.md)")


def allow_list(secrets: Mapping) -> tuple[str, ...]:
    """The editors' e-mails and domains (``[osca] editors`` in ``secrets.toml``), lower-cased; () when absent."""
    osca = secrets.get("osca") if isinstance(secrets, Mapping) else None
    raw = osca.get("editors", ()) if isinstance(osca, Mapping) else ()
    if isinstance(raw, str):
        raw = [raw]
    return tuple(str(x).strip().lower() for x in raw if str(x).strip())


def may_edit(email: str | None, allowed: Sequence[str]) -> bool:
    """True when ``email`` is on ``allowed``: the address itself or its domain (``lab.org`` or ``@lab.org``)."""
    e = (email or "").strip().lower()
    if "@" not in e:
        return False
    domain = e.rsplit("@", 1)[1]
    return any(a == e or a.lstrip("@") == domain for a in allowed)


def record_write(home: Path, user: str, action: str, dataset: str | None = None) -> dict:
    """Append one write (``action`` on ``dataset`` by ``user``) to ``home/writes.log``; the entry written."""
    entry = {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "user": user, "action": action,
             "dataset": dataset}
    home.mkdir(parents=True, exist_ok=True)
    with open(home / WRITE_LOG, "a", encoding="utf-8") as f:
        f.write(json.dumps(entry, sort_keys=True) + "\n")
    return entry
