"""The dramatiq worker's entry module (`dramatiq workers.actors`): the broker from settings, every job declared."""

from __future__ import annotations

import dramatiq

from core.jobs import build_broker
from core.settings import get_settings
from workers.jobs import declare_actors

# dramatiq's CLI imports this module and then takes the global broker, so this one module builds it at
# import; nothing else needs a broker to import (the scheduler and the API build theirs in their startup).
broker = build_broker(get_settings())
dramatiq.set_broker(broker)
actors = declare_actors(broker)
