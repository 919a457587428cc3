"""A plan turned into a GLB with pygltflib: one mesh per kind (a shared unit box and a material), placed by
nodes that scale and move it — so every repeated thing (walls, seats, windows) is an instance, not new geometry."""

from __future__ import annotations

import struct

import pygltflib as gl

from core.halls.models import Floor, Layout, Poi, Rect

GENERATOR = "yiwang core.halls 2"  # a new builder version rebuilds every hall
WALL_HEIGHT_SHARE = 1.0  # walls run floor to ceiling
SLAB_M = 0.1
POI_MARK_M = 0.45
POI_MARK_AT_M = 2.6
# base colours (linear RGBA) per kind; POIs are bright so a visitor finds them at a glance
COLOURS: dict[str, tuple[float, float, float, float]] = {
    "floor": (0.82, 0.80, 0.74, 1.0),
    "wall": (0.93, 0.93, 0.95, 1.0),
    "counter": (0.55, 0.36, 0.20, 1.0),
    "seats": (0.20, 0.42, 0.70, 1.0),
    "kiosk": (0.25, 0.60, 0.55, 1.0),
    "ticket_machine": (0.85, 0.45, 0.10, 1.0),
    "sign": (0.10, 0.35, 0.75, 1.0),
    "desk": (0.60, 0.45, 0.30, 1.0),
    "pillar": (0.70, 0.70, 0.72, 1.0),
    "board": (0.15, 0.25, 0.55, 1.0),
    "plant": (0.20, 0.55, 0.20, 1.0),
    "poi": (0.95, 0.20, 0.20, 1.0),
    "poi-window": (0.95, 0.75, 0.10, 1.0),
    "poi-connector": (0.10, 0.70, 0.35, 1.0),  # stairs and elevators
}
# a unit box centred on the origin: 6 faces x 4 corners, each face with its own normal
_FACES = (
    ((1, 0, 0), ((0.5, -0.5, -0.5), (0.5, 0.5, -0.5), (0.5, 0.5, 0.5), (0.5, -0.5, 0.5))),
    ((-1, 0, 0), ((-0.5, -0.5, 0.5), (-0.5, 0.5, 0.5), (-0.5, 0.5, -0.5), (-0.5, -0.5, -0.5))),
    ((0, 1, 0), ((-0.5, 0.5, -0.5), (-0.5, 0.5, 0.5), (0.5, 0.5, 0.5), (0.5, 0.5, -0.5))),
    ((0, -1, 0), ((-0.5, -0.5, 0.5), (-0.5, -0.5, -0.5), (0.5, -0.5, -0.5), (0.5, -0.5, 0.5))),
    ((0, 0, 1), ((0.5, -0.5, 0.5), (0.5, 0.5, 0.5), (-0.5, 0.5, 0.5), (-0.5, -0.5, 0.5))),
    ((0, 0, -1), ((-0.5, -0.5, -0.5), (-0.5, 0.5, -0.5), (0.5, 0.5, -0.5), (0.5, -0.5, -0.5))),
)


def _box_bytes() -> tuple[bytes, bytes, bytes]:
    positions: list[float] = []
    normals: list[float] = []
    indices: list[int] = []
    for n, (normal, corners) in enumerate(_FACES):
        for corner in corners:
            positions.extend(corner)
            normals.extend(normal)
        base = n * 4
        indices.extend((base, base + 1, base + 2, base, base + 2, base + 3))
    return (
        struct.pack(f"<{len(positions)}f", *positions),
        struct.pack(f"<{len(normals)}f", *normals),
        struct.pack(f"<{len(indices)}H", *indices),
    )


class _Scene:
    """The glTF document under construction: one material and mesh per kind, made on first use."""

    def __init__(self) -> None:
        pos, nor, idx = _box_bytes()
        self.blob = pos + nor + idx
        self.doc = gl.GLTF2(asset=gl.Asset(generator=GENERATOR, version="2.0"))
        self.doc.buffers.append(gl.Buffer(byteLength=len(self.blob)))
        views = ((0, len(pos), gl.ARRAY_BUFFER), (len(pos), len(nor), gl.ARRAY_BUFFER))
        for offset, length, target in (*views, (len(pos) + len(nor), len(idx), gl.ELEMENT_ARRAY_BUFFER)):
            self.doc.bufferViews.append(gl.BufferView(buffer=0, byteOffset=offset, byteLength=length, target=target))
        self.doc.accessors += [
            gl.Accessor(bufferView=0, componentType=gl.FLOAT, count=24, type=gl.VEC3, min=[-0.5] * 3, max=[0.5] * 3),
            gl.Accessor(bufferView=1, componentType=gl.FLOAT, count=24, type=gl.VEC3),
            gl.Accessor(bufferView=2, componentType=gl.UNSIGNED_SHORT, count=36, type=gl.SCALAR),
        ]
        self.meshes: dict[str, int] = {}
        self.roots: list[int] = []

    def mesh(self, kind: str) -> int:
        if kind not in self.meshes:
            self.doc.materials.append(
                gl.Material(
                    name=kind,
                    pbrMetallicRoughness=gl.PbrMetallicRoughness(
                        baseColorFactor=list(COLOURS[kind]), metallicFactor=0.0, roughnessFactor=0.8
                    ),
                )
            )
            primitive = gl.Primitive(
                attributes=gl.Attributes(POSITION=0, NORMAL=1), indices=2, material=len(self.doc.materials) - 1
            )
            self.doc.meshes.append(gl.Mesh(name=kind, primitives=[primitive]))
            self.meshes[kind] = len(self.doc.meshes) - 1
        return self.meshes[kind]

    def box(self, *, name: str, kind: str, rect: Rect, bottom: float, height: float, extras: dict | None = None) -> int:
        """A node placing the kind's unit box over `rect` (plan x east, y north → glTF x, -z; y up)."""
        cx, cy = rect.centre
        node = gl.Node(
            name=name,
            mesh=self.mesh(kind),
            translation=[round(cx, 4), round(bottom + height / 2, 4), round(-cy, 4)],
            scale=[round(rect.x1 - rect.x0, 4), round(height, 4), round(rect.y1 - rect.y0, 4)],
            extras=extras or {},
        )
        self.doc.nodes.append(node)
        return len(self.doc.nodes) - 1


def _floor_nodes(scene: _Scene, floor: Floor) -> list[int]:
    base = floor.elevation
    nodes = [
        scene.box(
            name=f"{floor.id}/room/{r.id}",
            kind="floor",
            rect=r.rect,
            bottom=base - SLAB_M,
            height=SLAB_M,
            extras={"room": r.id, "name": r.name},
        )
        for r in floor.rooms
    ]
    for wall in floor.walls:
        for part, rect in enumerate(_wall_parts(floor, wall.rect)):
            nodes.append(
                scene.box(
                    name=f"{floor.id}/wall/{wall.id}/{part}",
                    kind="wall",
                    rect=rect,
                    bottom=base,
                    height=floor.height * WALL_HEIGHT_SHARE,
                )
            )
    for item in floor.furniture:
        nodes.append(
            scene.box(
                name=f"{floor.id}/{item.kind}/{item.id}",
                kind=item.kind,
                rect=item.rect,
                bottom=base,
                height=item.height,
                extras={"furniture": item.id},
            )
        )
    nodes += [_poi_node(scene, floor, poi) for poi in floor.pois]
    return nodes


def _wall_parts(floor: Floor, rect: Rect) -> list[Rect]:
    """The wall's footprint with the doors on it cut out."""
    parts = [rect]
    for door in floor.doors:
        half = door.width / 2
        cut = Rect(door.at[0] - half, door.at[1] - half, door.at[0] + half, door.at[1] + half)
        parts = [piece for p in parts for piece in _cut(p, cut)]
    return parts


def _cut(rect: Rect, hole: Rect) -> list[Rect]:
    if hole.x1 <= rect.x0 or hole.x0 >= rect.x1 or hole.y1 <= rect.y0 or hole.y0 >= rect.y1:
        return [rect]
    along_x = (rect.x1 - rect.x0) >= (rect.y1 - rect.y0)
    if along_x:
        pieces = [Rect(rect.x0, rect.y0, hole.x0, rect.y1), Rect(hole.x1, rect.y0, rect.x1, rect.y1)]
        return [p for p in pieces if p.x1 - p.x0 > 1e-3]
    pieces = [Rect(rect.x0, rect.y0, rect.x1, hole.y0), Rect(rect.x0, hole.y1, rect.x1, rect.y1)]
    return [p for p in pieces if p.y1 - p.y0 > 1e-3]


def _poi_node(scene: _Scene, floor: Floor, poi: Poi) -> int:
    half = POI_MARK_M / 2
    rect = Rect(poi.at[0] - half, poi.at[1] - half, poi.at[0] + half, poi.at[1] + half)
    extras: dict[str, object] = {"poi": poi.id, "kind": poi.kind, "name": poi.name, "services": list(poi.services)}
    if poi.number is not None:
        extras["number"] = poi.number
    if poi.connects:
        extras["connects"] = list(poi.connects)
    kind = {"window": "poi-window", "stairs": "poi-connector", "elevator": "poi-connector"}.get(poi.kind, "poi")
    return scene.box(
        name=f"{floor.id}/poi/{poi.id}",
        kind=kind,
        rect=rect,
        bottom=floor.elevation + POI_MARK_AT_M,
        height=POI_MARK_M,
        extras=extras,
    )


def build_glb(layout: Layout) -> bytes:
    """The hall as one binary glTF: a root node per floor, named nodes below, POI ids in their extras."""
    scene = _Scene()
    floor_roots = []
    for floor in layout.floors:
        children = _floor_nodes(scene, floor)
        scene.doc.nodes.append(
            gl.Node(name=f"{floor.id}", children=children, extras={"floor": floor.id, "name": floor.name})
        )
        floor_roots.append(len(scene.doc.nodes) - 1)
    scene.doc.scenes.append(
        gl.Scene(name=layout.name, nodes=floor_roots, extras={"hall": layout.id, "layoutDigest": layout.digest})
    )
    scene.doc.scene = 0
    scene.doc.set_binary_blob(scene.blob)
    return b"".join(scene.doc.save_to_bytes())
