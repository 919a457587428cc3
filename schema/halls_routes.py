"""The GraphQL types of a hall's routes: positions on a floor plan, the route, its steps and its legs per floor
(schema/halls_types.py has the hall and its POIs)."""

from __future__ import annotations

import strawberry

from core.halls import models


@strawberry.type(description="A point on a floor plan, metres: x east, y north (the GLB has x, elevation, -y)")
class HallPosition:
    x: float
    y: float
    floor: str

    @classmethod
    def at(cls, point: tuple[float, float], floor: str) -> HallPosition:
        return cls(x=round(point[0], 3), y=round(point[1], 3), floor=floor)


@strawberry.type(description="One leg of a route, told for a visitor")
class HallRouteStep:
    instruction: str
    metres: float
    to: HallPosition


@strawberry.type(description="The walk on one floor of a route (a route between floors has one per floor)")
class HallRouteLeg:
    floor: str
    points: list[HallPosition]
    metres: float


@strawberry.type(
    description="A walk between two POIs: the polyline, its length (stairs' flights included) and narration; "
    "between floors it takes stairs or an elevator and `legs` holds the walk on each floor"
)
class HallRoute:
    from_poi: strawberry.ID
    to_poi: strawberry.ID
    metres: float
    points: list[HallPosition]
    steps: list[HallRouteStep]
    narration: str
    legs: list[HallRouteLeg]

    @classmethod
    def of(cls, r: models.Route) -> HallRoute:
        legs = [
            HallRouteLeg(floor=leg.floor, points=[HallPosition.at(p, leg.floor) for p in leg.points], metres=leg.metres)
            for leg in r.legs
        ]
        return cls(
            from_poi=strawberry.ID(r.from_poi),
            to_poi=strawberry.ID(r.to_poi),
            metres=r.metres,
            points=[p for leg in legs for p in leg.points],
            steps=[
                HallRouteStep(instruction=s.instruction, metres=s.metres, to=HallPosition.at(s.to, s.floor or r.floor))
                for s in r.steps
            ],
            narration=r.narration,
            legs=legs,
        )
