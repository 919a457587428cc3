"""Sets the dramatiq broker from settings; import it before any actor module (the `dramatiq` CLI does)."""

from __future__ import annotations

import dramatiq

from core.jobs import build_broker
from core.settings import get_settings

broker = build_broker(get_settings())
dramatiq.set_broker(broker)
