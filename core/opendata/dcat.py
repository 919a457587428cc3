"""DCAT-AP: the catalogue and each dataset as an RDF graph (rdflib), serialised as Turtle, JSON-LD or RDF/XML.

The 政务数据目录 fields map onto DCAT-AP where they have a counterpart: 资源提供方 → dct:publisher, 更新周期 →
dct:accrualPeriodicity (EU frequency vocabulary), 所属领域 → dcat:theme, 时间范围 → dct:temporal, 空间范围 →
dct:spatial (with dcat:bbox), 联系方式 → dcat:contactPoint, 版本 → owl:versionInfo.
"""

from __future__ import annotations

import asyncio

import asyncpg
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, RDF, XSD

from core.errors import NotFound
from core.opendata import store
from core.opendata.models import Dataset, Resource
from core.opendata.turtle import turtle

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
FREQ = Namespace("http://publications.europa.eu/resource/authority/frequency/")
FREQUENCY = {
    "实时": "CONT",
    "每日": "DAILY",
    "每周": "WEEKLY",
    "每月": "MONTHLY",
    "每季度": "QUARTERLY",
    "每半年": "BIANNUAL",
    "每年": "ANNUAL",
    "不定期": "IRREG",
}
FORMATS = {"ttl": "turtle", "jsonld": "json-ld", "rdf": "xml"}
MEDIA_TYPES = {"ttl": "text/turtle", "jsonld": "application/ld+json", "rdf": "application/rdf+xml"}
PAGE_SIZE = 1000


def new_graph() -> Graph:
    g = Graph()
    for prefix, ns in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("vcard", VCARD), ("spdx", SPDX)):
        g.bind(prefix, ns)
    g.bind("hydra", HYDRA)
    g.bind("locn", LOCN)
    return g


def _zh(text: str) -> Literal:
    return Literal(text, lang="zh")


def _time(value: object) -> Literal:
    return Literal(value.isoformat() if hasattr(value, "isoformat") else str(value), datatype=XSD.dateTime)


def add_dataset(g: Graph, base: str, d: Dataset) -> URIRef:
    """The dataset, its publisher, domain, coverage, contact and distributions, as triples of `g`."""
    node = URIRef(f"{base}/dataset/{d.name}")
    g.add((node, RDF.type, DCAT.Dataset))
    g.add((node, DCTERMS.identifier, Literal(d.id)))
    g.add((node, DCTERMS.title, _zh(d.title)))
    if d.notes:
        g.add((node, DCTERMS.description, _zh(d.notes)))
    g.add((node, DCAT.landingPage, node))
    for tag in d.tags:
        g.add((node, DCAT.keyword, _zh(tag)))
    _agents(g, base, node, d)
    if d.metadata_created:
        g.add((node, DCTERMS.issued, _time(d.metadata_created)))
    if d.metadata_modified:
        g.add((node, DCTERMS.modified, _time(d.metadata_modified)))
    if d.frequency in FREQUENCY:
        g.add((node, DCTERMS.accrualPeriodicity, FREQ[FREQUENCY[d.frequency]]))
    if d.version:
        g.add((node, OWL.versionInfo, Literal(d.version)))
    if d.license_id:
        g.add((node, DCTERMS.license, Literal(d.license_title or d.license_id)))
    _coverage(g, node, d)
    _contact(g, node, d)
    for r in d.resources:
        g.add((node, DCAT.distribution, _distribution(g, f"{base}/dataset/{d.name}", r)))
    return node


def _agents(g: Graph, base: str, node: URIRef, d: Dataset) -> None:
    publisher = URIRef(f"{base}/organization/{d.organization.name}")
    g.add((node, DCTERMS.publisher, publisher))
    g.add((publisher, RDF.type, FOAF.Organization))
    g.add((publisher, FOAF.name, _zh(d.organization.title)))
    if d.domain is not None:
        theme = URIRef(f"{base}/group/{d.domain.name}")
        g.add((node, DCAT.theme, theme))
        g.add((theme, DCTERMS.title, _zh(d.domain.title)))


def _distribution(g: Graph, dataset_uri: str, r: Resource) -> URIRef:
    dist = URIRef(f"{dataset_uri}/resource/{r.id}")
    g.add((dist, RDF.type, DCAT.Distribution))
    g.add((dist, DCTERMS.title, _zh(r.name or r.format or r.id)))
    if r.url:
        g.add((dist, DCAT.accessURL, URIRef(r.url)))
        g.add((dist, DCAT.downloadURL, URIRef(r.url)))
    if r.format:
        g.add((dist, DCTERMS.format, Literal(r.format)))
    if r.mimetype:
        g.add((dist, DCAT.mediaType, Literal(r.mimetype)))
    if r.size is not None:
        g.add((dist, DCAT.byteSize, Literal(r.size, datatype=XSD.nonNegativeInteger)))
    if r.sha256:
        checksum = BNode()
        g.add((dist, SPDX.checksum, checksum))
        g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        g.add((checksum, SPDX.checksumValue, Literal(r.sha256, datatype=XSD.hexBinary)))
    if r.last_modified:
        g.add((dist, DCTERMS.modified, _time(r.last_modified)))
    return dist


def _coverage(g: Graph, node: URIRef, d: Dataset) -> None:
    if d.temporal_start or d.temporal_end:
        period = BNode()
        g.add((node, DCTERMS.temporal, period))
        g.add((period, RDF.type, DCTERMS.PeriodOfTime))
        if d.temporal_start:
            g.add((period, DCAT.startDate, Literal(d.temporal_start, datatype=XSD.date)))
        if d.temporal_end:
            g.add((period, DCAT.endDate, Literal(d.temporal_end, datatype=XSD.date)))
    if d.spatial or d.bbox:
        place = BNode()
        g.add((node, DCTERMS.spatial, place))
        g.add((place, RDF.type, DCTERMS.Location))
        if d.spatial:
            g.add((place, LOCN.geographicName, _zh(d.spatial)))
        if d.bbox:
            minx, miny, maxx, maxy = d.bbox
            wkt = f"POLYGON(({minx} {miny},{maxx} {miny},{maxx} {maxy},{minx} {maxy},{minx} {miny}))"
            g.add((place, DCAT.bbox, Literal(wkt, datatype=URIRef("http://www.opengis.net/ont/geosparql#wktLiteral"))))


def _contact(g: Graph, node: URIRef, d: Dataset) -> None:
    if not (d.contact_name or d.contact_email or d.contact_phone):
        return
    contact = BNode()
    g.add((node, DCAT.contactPoint, contact))
    g.add((contact, RDF.type, VCARD.Organization))
    g.add((contact, VCARD.fn, _zh(d.contact_name or d.organization.title)))
    if d.contact_email:
        g.add((contact, VCARD.hasEmail, URIRef(f"mailto:{d.contact_email}")))
    if d.contact_phone:
        g.add((contact, VCARD.hasTelephone, Literal(d.contact_phone)))


def catalog_graph(base: str, datasets: list[Dataset], *, page: int, total: int) -> Graph:
    """The catalogue (one page of its datasets, hydra paging as ckanext-dcat pages it)."""
    g = new_graph()
    catalog = URIRef(f"{base}/catalog")
    g.add((catalog, RDF.type, DCAT.Catalog))
    g.add((catalog, DCTERMS.title, _zh("政府数据开放平台")))
    g.add((catalog, DCTERMS.description, _zh("数据目录（DCAT-AP）")))
    g.add((catalog, FOAF.homepage, URIRef(base)))
    for d in datasets:
        g.add((catalog, DCAT.dataset, add_dataset(g, base, d)))
    last = max(1, -(-total // PAGE_SIZE))
    if last > 1:
        paging = URIRef(f"{base}/catalog.ttl?page={page}")
        g.add((paging, RDF.type, HYDRA.PagedCollection))
        g.add((paging, HYDRA.totalItems, Literal(total)))
        g.add((paging, HYDRA.itemsPerPage, Literal(PAGE_SIZE)))
        g.add((paging, HYDRA.firstPage, Literal(f"{base}/catalog.ttl?page=1")))
        g.add((paging, HYDRA.lastPage, Literal(f"{base}/catalog.ttl?page={last}")))
        if page < last:
            g.add((paging, HYDRA.nextPage, Literal(f"{base}/catalog.ttl?page={page + 1}")))
    return g


def serialise(g: Graph, fmt: str) -> str:
    return turtle(g) if fmt == "ttl" else g.serialize(format=FORMATS[fmt])


async def render_catalog(base: str, datasets: list[Dataset], *, page: int, total: int, fmt: str) -> str:
    """A page of the catalogue serialised in a worker thread: rdflib is pure Python, and a page of 1,000 datasets
    takes seconds of CPU that would otherwise stop every other request of the process (/healthz waited 18 s)."""
    return await asyncio.to_thread(lambda: serialise(catalog_graph(base, datasets, page=page, total=total), fmt))


async def catalog_text(pool: asyncpg.Pool, *, base: str, fmt: str, page: int) -> str:
    """One page of the catalogue, serialised."""
    # One snapshot: a dataset made private or deleted between the page of ids and their reading would be published.
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        ids, total = await store.public_dataset_ids(conn, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        datasets = await store.datasets_by_ids(conn, ids)
    return await render_catalog(base, datasets, page=page, total=total, fmt=fmt)


async def dataset_text(pool: asyncpg.Pool, *, base: str, id_or_name: str, fmt: str) -> str:
    """One public dataset, serialised; NotFound for an unknown, deleted or private one."""
    found = await store.dataset(pool, id_or_name)
    if found is None or found.state != "active" or found.private:
        raise NotFound("dataset not found")
    graph = new_graph()
    add_dataset(graph, base, found)
    return serialise(graph, fmt)
