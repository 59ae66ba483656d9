"""The application factory: config, database, blueprints, babel, login, security headers, and jobs."""
from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from incidents.config import load_settings


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build an app; keys in ``config`` override ``INCIDENTS_*`` environment variables."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    config = dict(config or {})
    instance_path = config.pop("INSTANCE_PATH", None) or os.environ.get(
        "INCIDENTS_INSTANCE_PATH", os.path.join(root, "instance"))
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=False,
                template_folder=os.path.join(root, "templates"),
                static_folder=os.path.join(root, "static"))
    settings = load_settings(instance_path, config)
    from incidents.memory import tune_heap
    tune_heap()
    from incidents.web.json_provider import FastJSONProvider
    app.json = FastJSONProvider(app)
    app.config.from_mapping(
        SETTINGS=settings,
        SECRET_KEY=settings.SECRET_KEY,
        TESTING=settings.TESTING,
        MAX_CONTENT_LENGTH=settings.MAX_CONTENT_LENGTH,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.SESSION_COOKIE_SECURE,
        SESSION_COOKIE_NAME="incidents_session",
        # No remember-me cookie: a session ends with the browser or a logout.
        REMEMBER_COOKIE_DURATION=0,
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_TRANSLATION_DIRECTORIES=os.path.join(root, "translations"),
        BABEL_DEFAULT_LOCALE="en",
    )
    # Flask's own keys (WTF_CSRF_ENABLED in tests, say) pass straight through.
    app.config.update({k: v for k, v in config.items() if k not in settings.__dataclass_fields__})

    if settings.TRUSTED_PROXIES:
        from werkzeug.middleware.proxy_fix import ProxyFix
        hops = settings.TRUSTED_PROXIES
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    from incidents.keys.encryption import keyring, parse_keys
    keyring.configure(parse_keys(settings.DATA_KEY))
    from incidents.db import init_database, register_request_hooks
    init_database(settings.DATABASE_URL)
    register_request_hooks(app)

    from incidents.web import init_web
    init_web(app)

    # What the worker does (``flask --app app worker``), kind by kind; each kind lives with its concern.
    from incidents.dossiers.jobs import bundle_job
    from incidents.evidence.background_ingest import ingest_job
    from incidents.evidence.copies import make_fingerprint
    from incidents.evidence.fixity import check_store, due_store_check
    from incidents.evidence.jobs import make_derivative, make_previews
    from incidents.evidence.redaction import make_proposal
    from incidents.jobs.queue import init_jobs
    from incidents.notifications.mail import mail_job
    from incidents.timestamps.heads import due_head_stamp, stamp_job
    init_jobs(app, {"previews": make_previews, "derivative": make_derivative, "dossier": bundle_job,
                    "mail": mail_job, "store_check": check_store, "ingest": ingest_job,
                    "fingerprint": make_fingerprint, "faces": make_proposal, "audit_stamp": stamp_job},
              hourly=[due_store_check, due_head_stamp])

    from incidents.cli import register_commands
    register_commands(app)
    return app
