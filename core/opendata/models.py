"""The catalogue's records (departments, domains, datasets, resources) and their CKAN dictionaries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

FREQUENCIES = ("实时", "每日", "每周", "每月", "每季度", "每半年", "每年", "不定期")
# How many days each may wait before the data counts as stale: table opendata_frequencies (migration 0028).


def iso(value: datetime | date | None) -> str | None:
    """CKAN writes timestamps as naive ISO strings (UTC); dates as YYYY-MM-DD."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat()
    return value.isoformat()


@dataclass(frozen=True, kw_only=True)
class Organization:
    """A department (CKAN organization)."""

    id: str
    name: str
    title: str
    description: str = ""
    image_url: str = ""
    created: datetime | None = None
    package_count: int = 0

    def as_ckan(self, *, is_org: bool = True) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "title": self.title,
            "display_name": self.title,
            "description": self.description,
            "image_url": self.image_url,
            "image_display_url": self.image_url,
            "created": iso(self.created),
            "is_organization": is_org,
            "type": "organization" if is_org else "group",
            "state": "active",
            "approval_status": "approved",
            "package_count": self.package_count,
        }


@dataclass(frozen=True, kw_only=True)
class Resource:
    """A file or API of a dataset."""

    id: str
    dataset_id: str
    position: int
    name: str
    url: str
    format: str = ""
    description: str = ""
    url_type: str = ""
    mimetype: str = ""
    size: int | None = None
    sha256: str | None = None
    last_modified: datetime | None = None
    created: datetime | None = None
    download_count: int = 0
    datastore_active: bool = False

    def as_ckan(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "package_id": self.dataset_id,
            "position": self.position,
            "name": self.name,
            "description": self.description,
            "format": self.format,
            "url": self.url,
            "url_type": self.url_type or None,
            "mimetype": self.mimetype or None,
            "size": self.size,
            "hash": f"sha256:{self.sha256}" if self.sha256 else "",
            "last_modified": iso(self.last_modified),
            "created": iso(self.created),
            "metadata_modified": iso(self.last_modified or self.created),
            "state": "active",
            "datastore_active": self.datastore_active,
            "download_count": self.download_count,
        }


@dataclass(frozen=True, kw_only=True)
class Dataset:
    """A dataset with its department, domain and resources."""

    id: str
    name: str
    title: str
    organization: Organization
    notes: str = ""
    domain: Organization | None = None
    tags: tuple[str, ...] = ()
    license_id: str = ""
    license_title: str = ""
    frequency: str = ""
    temporal_start: date | None = None
    temporal_end: date | None = None
    spatial: str = ""
    bbox: tuple[float, float, float, float] | None = None
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    version: str = ""
    private: bool = False
    state: str = "active"
    source: str = "local"
    source_id: str | None = None
    extras: dict[str, str] = field(default_factory=dict)
    metadata_created: datetime | None = None
    metadata_modified: datetime | None = None
    revision: int = 1
    resources: tuple[Resource, ...] = ()

    def as_ckan(self) -> dict[str, Any]:
        """The package dictionary of package_show (CKAN's core fields, ours beside them)."""
        extras = dict(self.extras)
        if self.bbox is not None:  # ckanext-spatial keeps the geometry as a GeoJSON string in the `spatial` extra
            extras["spatial"] = bbox_geojson(self.bbox)
        return {
            "id": self.id,
            "name": self.name,
            "title": self.title,
            "notes": self.notes,
            "type": "dataset",
            "state": self.state,
            "private": self.private,
            "owner_org": self.organization.id,
            "organization": self.organization.as_ckan(),
            "groups": [_group(self.domain)] if self.domain else [],
            "tags": [{"name": t, "display_name": t, "state": "active", "vocabulary_id": None} for t in self.tags],
            "num_tags": len(self.tags),
            "resources": [r.as_ckan() for r in self.resources],
            "num_resources": len(self.resources),
            "license_id": self.license_id,
            "license_title": self.license_title,
            "maintainer": self.contact_name,
            "maintainer_email": self.contact_email,
            "author": self.organization.title,
            "author_email": None,
            "version": self.version,
            "url": None,
            "metadata_created": iso(self.metadata_created),
            "metadata_modified": iso(self.metadata_modified),
            "extras": [{"key": k, "value": v} for k, v in sorted(extras.items())],
            "relationships_as_object": [],
            "relationships_as_subject": [],
            # our fields, beside CKAN's (as ckanext-scheming adds them)
            "domain": self.domain.title if self.domain else None,
            "update_frequency": self.frequency,
            "temporal_start": iso(self.temporal_start),
            "temporal_end": iso(self.temporal_end),
            "spatial_coverage": self.spatial,
            "bbox": list(self.bbox) if self.bbox else None,
            "contact_phone": self.contact_phone,
            "harvest_source": self.source,
        }


def _group(domain: Organization) -> dict[str, Any]:
    return {
        "id": domain.id,
        "name": domain.name,
        "title": domain.title,
        "display_name": domain.title,
        "description": domain.description,
        "image_display_url": "",
    }


def bbox_geojson(bbox: tuple[float, float, float, float]) -> str:
    """The bbox as a GeoJSON polygon string (counter-clockwise, closed)."""
    minx, miny, maxx, maxy = bbox
    ring = [[minx, miny], [maxx, miny], [maxx, maxy], [minx, maxy], [minx, miny]]
    return '{"type": "Polygon", "coordinates": [' + str(ring).replace(" ", "") + "]}"
