"""3D service halls: layouts as data (scene_assets/), checked plans, GLBs, routes, walkthroughs, directions."""

from core.halls.gltf import build_glb
from core.halls.layout import LayoutError, load_layout, parse_layout
from core.halls.library import HallLibrary
from core.halls.models import BuiltHall, Directions, Layout, Poi, Route, ServiceGuide, Walkthrough
from core.halls.plan import Plan, compile_layout
from core.halls.store import known_service_ids, service_guides
from core.halls.visits import Where, directions, walkthrough, where_for

__all__ = [
    "BuiltHall",
    "Directions",
    "HallLibrary",
    "Layout",
    "LayoutError",
    "Plan",
    "Poi",
    "Route",
    "ServiceGuide",
    "Walkthrough",
    "Where",
    "build_glb",
    "compile_layout",
    "directions",
    "known_service_ids",
    "load_layout",
    "parse_layout",
    "service_guides",
    "walkthrough",
    "where_for",
]
