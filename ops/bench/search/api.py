"""`python -m ops.bench.search.api`: the real API (uvicorn, one process) configured from the environment."""

from __future__ import annotations

import uvicorn

from api.app import create_app
from core.settings import Settings

if __name__ == "__main__":
    settings = Settings.from_env()
    uvicorn.run(
        create_app(settings), host="127.0.0.1", port=settings.port, log_level="warning", access_log=False, lifespan="on"
    )
