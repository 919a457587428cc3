"""Open data over GraphQL: `datasets(query, filters, page)`, `dataset(id)` with resource previews, and the admin
mutations that create, change and delete datasets (the same services as the CKAN API)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from core.clock import local_date
from core.errors import Invalid
from core.opendata import datastore, interaction, quality, search, service, usage
from core.opendata.dsearch import jsonable
from core.opendata.models import Dataset, Organization, Resource
from schema.context import Context
from schema.opendata_interaction import OpenApp
from schema.pagination import check_page
from schema.permissions import ADMIN, caller_is_admin

Info = strawberry.Info[Context, None]
MAX_PREVIEW_ROWS = 50
MAX_DATASET_APPS = 50
FACETS = {"departments": "organization", "domains": "groups", "formats": "res_format"}


@strawberry.type(description="A department (CKAN organization) or a domain (CKAN group)")
class OpenOrganization:
    name: str
    title: str

    @classmethod
    def of(cls, org: Organization) -> OpenOrganization:
        return cls(name=org.name, title=org.title)


@strawberry.type(description="The first rows of a resource loaded into the datastore")
class OpenPreview:
    fields: list[str]
    rows: JSON = strawberry.field(description="A list of rows, each a list of values in the order of fields")


@strawberry.type(description="A file or API of a dataset")
class OpenResource:
    id: strawberry.ID
    name: str
    format: str
    url: str
    size: int | None
    sha256: str | None
    last_modified: datetime | None
    download_count: int
    datastore_active: bool

    @classmethod
    def of(cls, r: Resource) -> OpenResource:
        return cls(
            id=strawberry.ID(r.id),
            name=r.name,
            format=r.format,
            url=r.url,
            size=r.size,
            sha256=r.sha256,
            last_modified=r.last_modified,
            download_count=r.download_count,
            datastore_active=r.datastore_active,
        )

    @strawberry.field(description="The first rows (at most 50) when the resource is in the datastore")
    async def preview(self, info: Info, rows: int = 10) -> OpenPreview | None:
        if not self.datastore_active:
            return None
        found = await datastore.preview(info.context.pool, str(self.id), rows=max(1, min(rows, MAX_PREVIEW_ROWS)))
        if found is None:
            return None
        names, values = found
        return OpenPreview(fields=names, rows=cast(JSON, [[jsonable(v) for v in row] for row in values]))


@strawberry.type(
    description="A 回头看 finding: missing values, type errors, duplicate rows, schema drift, stale data, broken links"
)
class OpenQualityFinding:
    kind: str = strawberry.field(description="missing | type | duplicate | drift | stale | link")
    summary: str
    count: int = strawberry.field(
        description="Cells, rows or changes concerned (days for stale, failed checks in a row for link)"
    )
    column: str = strawberry.field(description="The column concerned, empty for the whole table")
    lines: list[int] = strawberry.field(description="The first source lines concerned")
    resource_id: strawberry.ID | None


@strawberry.type(description="One day of a dataset's use (开发者中心 statistics)")
class OpenUsageDay:
    day: date
    views: int = strawberry.field(description="package_show calls and page views")
    api_calls: int = strawberry.field(description="datastore_search and datastore_search_sql calls")
    downloads: int = strawberry.field(description="Uploaded files downloaded and datastore dumps")


@strawberry.type(description="A dataset of the open-data catalogue")
class OpenDataset:
    id: strawberry.ID
    name: str
    title: str
    notes: str
    department: OpenOrganization
    domain: OpenOrganization | None
    tags: list[str]
    license: str
    update_frequency: str
    temporal_start: date | None
    temporal_end: date | None
    spatial: str
    bbox: list[float] | None = strawberry.field(description="minx, miny, maxx, maxy (WGS84) of its GeoJSON resources")
    contact: str
    version: str
    source: str = strawberry.field(description="'local', or the base URL of the CKAN portal it was harvested from")
    modified: datetime | None
    resources: list[OpenResource]

    @classmethod
    def of(cls, d: Dataset) -> OpenDataset:
        return cls(
            id=strawberry.ID(d.id),
            name=d.name,
            title=d.title,
            notes=d.notes,
            department=OpenOrganization.of(d.organization),
            domain=OpenOrganization.of(d.domain) if d.domain else None,
            tags=list(d.tags),
            license=d.license_title or d.license_id,
            update_frequency=d.frequency,
            temporal_start=d.temporal_start,
            temporal_end=d.temporal_end,
            spatial=d.spatial,
            bbox=list(d.bbox) if d.bbox else None,
            contact=" ".join(x for x in (d.contact_name, d.contact_email, d.contact_phone) if x),
            version=d.version,
            source=d.source,
            modified=d.metadata_modified,
            resources=[OpenResource.of(r) for r in d.resources],
        )

    @strawberry.field(description="Use per day over the last `days` days (at most 366), newest first")
    async def usage(self, info: Info, days: int = 30) -> list[OpenUsageDay]:
        found = await usage.usage_of(info.context.pool, str(self.id), days=days, today=local_date(info.context.clock()))
        return [OpenUsageDay(day=u.day, views=u.views, api_calls=u.api_calls, downloads=u.downloads) for u in found]

    @strawberry.field(description="Applications registered as using this dataset (应用商城)")
    async def apps(self, info: Info) -> list[OpenApp]:
        found, _ = await interaction.list_apps(
            pool=info.context.pool, dataset_id=str(self.id), offset=0, limit=MAX_DATASET_APPS
        )
        return [OpenApp.of(a) for a in found]

    @strawberry.field(
        description="What the 回头看 quality review found: in its loaded resources, staleness, broken links"
    )
    async def quality(self, info: Info) -> list[OpenQualityFinding]:
        found = await quality.findings_of(info.context.pool, str(self.id), now=info.context.clock())
        return [
            OpenQualityFinding(
                kind=f.kind,
                summary=f.summary,
                count=f.count,
                column=f.column,
                lines=f.lines,
                resource_id=strawberry.ID(f.resource_id) if f.resource_id else None,
            )
            for f in found
        ]


@strawberry.type(description="A value of a facet and how many datasets of the search have it")
class OpenFacetValue:
    name: str
    title: str
    count: int


@strawberry.type(description="A page of datasets, the total and facets by department, domain and format")
class OpenDatasetPage:
    items: list[OpenDataset]
    total: int
    departments: list[OpenFacetValue]
    domains: list[OpenFacetValue]
    formats: list[OpenFacetValue]


@strawberry.input(description="Narrow a dataset search; each list matches any of its values")
class OpenDatasetFilters:
    departments: list[str] | None = None
    domains: list[str] | None = None
    formats: list[str] | None = strawberry.field(
        default=None,
        description="Resource formats, any case: those of the catalogue's resources and CSV, TSV, XLSX, GEOJSON, "
        "JSON; another is BAD_INPUT naming them",
    )
    tags: list[str] | None = None
    bbox: list[float] | None = strawberry.field(default=None, description="minx, miny, maxx, maxy")


def _facet(found: search.Found, key: str) -> list[OpenFacetValue]:
    values = found.facets.get(key, {})
    return [OpenFacetValue(name=k, title=found.titles.get(k, k), count=n) for k, n in values.items()]


@strawberry.type
class OpenDataQuery:
    @strawberry.field(description="Search the open-data catalogue (the same search as CKAN's package_search)")
    async def datasets(
        self,
        info: Info,
        query: str = "",
        filters: OpenDatasetFilters | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> OpenDatasetPage:
        offset, limit = check_page(page, page_size, info.context.settings.max_page_size)
        f = filters or OpenDatasetFilters()
        admin = await caller_is_admin(info)
        formats = await search.check_formats(info.context.pool, f.formats, include_private=admin) if f.formats else None
        fields = {"organization": f.departments, "groups": f.domains, "res_format": formats, "tags": f.tags}
        q = search.structured(
            query,
            {k: v for k, v in fields.items() if v},
            start=offset,
            rows=limit,
            include_private=admin,
            bbox=f.bbox,
            facets=list(FACETS.values()),
        )
        found = await search.run_search(info.context.pool, q)
        return OpenDatasetPage(
            items=[OpenDataset.of(d) for d in found.datasets],
            total=found.count,
            departments=_facet(found, "organization"),
            domains=_facet(found, "groups"),
            formats=_facet(found, "res_format"),
        )

    @strawberry.field(description="One dataset by id or name")
    async def dataset(self, info: Info, id: str) -> OpenDataset:
        found = await service.get_dataset(info.context.pool, id, is_admin=await caller_is_admin(info))
        return OpenDataset.of(found)


@strawberry.type
class OpenDataMutation:
    @strawberry.mutation(
        permission_classes=ADMIN, description="Create a dataset from a CKAN package dictionary (as package_create)"
    )
    async def create_dataset(self, info: Info, package: JSON) -> OpenDataset:
        made = await service.create_dataset(
            pool=info.context.pool, bus=info.context.bus, settings=info.context.settings, data=package
        )
        return OpenDataset.of(made)

    @strawberry.mutation(
        permission_classes=ADMIN, description="Change the fields given of a dataset (as package_patch)"
    )
    async def patch_dataset(self, info: Info, id: str, changes: JSON) -> OpenDataset:
        if not isinstance(changes, dict):
            raise Invalid("changes is a JSON object of the fields to change")
        data: dict[str, Any] = {**changes, "id": id}
        changed = await service.patch_dataset(
            pool=info.context.pool, bus=info.context.bus, settings=info.context.settings, data=data
        )
        return OpenDataset.of(changed)

    @strawberry.mutation(permission_classes=ADMIN, description="Delete a dataset (as package_delete); true when done")
    async def delete_dataset(self, info: Info, id: str) -> bool:
        await service.delete_dataset(
            pool=info.context.pool, bus=info.context.bus, settings=info.context.settings, id_or_name=id
        )
        return True
