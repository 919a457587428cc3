"""The GraphQL operations the pages run: copy them into a frontend as they are (docs/portal.md)."""

from __future__ import annotations

HIT = """documentId url title titleHighlighted snippet site kind publishedAt docNo issuer pinned position
copies { url site }"""

HOME = """query Home($site: ID!) {
  site(id: $site) { id name level region department }
  sites(enabled: true) { id name level }
  latest: documents(site: $site, pageSize: 8) { items { id title kind publishedAt url } }
  policies(pageSize: 5) { items { id title docNos publishedDate } }
  hotQueries(window: WEEK, limit: 8) { query searches }
  halls { id name }
}"""

SEARCH = (
    """query Search($q: String!, $filters: SearchFilters, $page: Int!, $sort: SearchSort!) {
  search(query: $q, filters: $filters, page: $page, pageSize: 10, sort: $sort) {
    searchId query total page pageSize tookMs didYouMean related
    interpreted { original searched message }
    answers { kind title text source items }
    facets { field values { value count } }
    scenes { key name count }
    hits { """
    + HIT
    + """ }
  }
}"""
)

SUGGEST = """query Suggest($prefix: String!) { suggest(prefix: $prefix, limit: 8) { text source } }"""

DOCUMENT = """query Document($url: String!) {
  document(url: $url) {
    id url siteId kind title text column publishedAt version firstSeen lastChanged gone
    attachments { name url type size }
    meta { indexNo theme issuer writtenDate publishedDate docNo docNoNormalized validity }
    site { id name }
  }
}"""

PUBLISHED_LETTER = """query PublishedLetter($id: ID!) {
  publishedLetter(id: $id) {
    id kind department subject question reply submittedOn repliedOn url
    site { id name }
  }
}"""

POLICY = """query Policy($id: ID!) {
  policy(id: $id) {
    id canonicalId title docNos issuers validity validitySource theme audience writtenDate publishedDate
    copies { documentId title url siteId }
    interpretations { documentId title url siteId kind }
    responses { documentId title url siteId kind }
    qa { id question answer basisUrl basisTitle }
    relatedServices { documentId title url siteId }
  }
}"""

ASK = """query Ask($question: String!, $session: String) {
  ask(question: $question, sessionId: $session) {
    kind answer qaId confidence hotline needsSignIn loginUrl
    basis { url title kind }
    options { qaId question }
    related { qaId question }
    services { title url }
    results { title url }
  }
}"""

SCREEN = """query Screen($site: ID!) {
  site(id: $site) { id name level }
  inventory(site: $site) {
    siteName documents lastPublished updatesLast30Days openFindings
    byKind { kind count }
    columns { name type items updatesLast30Days lastPublished }
  }
  departments: inventoryComparison(level: "部门", pageSize: 8) {
    items { siteName department documents updatesLast30Days }
  }
  updateTrend(site: $site, weeks: 12) { week count }
  hotQueries(window: DAY, limit: 10) { query searches }
  latest: documents(site: $site, pageSize: 50) { items { title } }
  inspection(site: $site) {
    scorecard { score passed inspectedAt items { rule title count vetoed vetoRule deduction measured applies } }
    findings(pageSize: 10) { total items { id rule summary firstSeen } }
  }
}"""

# What screen.js subscribes to over the WebSocket (graphql-transport-ws); kept here so docs and tests cite one text.
ALERTS_SUBSCRIPTION = "subscription Alerts($site: ID) { alerts(site: $site) { findingId rule state summary at } }"
# Hot queries of the whole group: searches run across every site (a site's own search box would pass site).
HOT_SUBSCRIPTION = "subscription Hot { hotQueries(window: DAY, limit: 10) { query searches } }"

# The user space (docs/userspace.md): run with the signed-in person's access token as the bearer.
ME = """query Me {
  me {
    id username name kind realNameLevel
    letters(page: 1, pageSize: 20) {
      total
      items { id site kind department subject status submittedAt dueOn late reply { body repliedAt late } publishedUrl }
    }
    replies(page: 1, pageSize: 20) { total items { letterId subject department body repliedAt late } }
    applications(page: 1, pageSize: 20) {
      total
      items { platform applicationId service department stage status note updatedAt steps { stage status occurredAt } }
    }
  }
  sites(enabled: true) { id name }
}"""

SUBMIT_LETTER = """mutation SubmitLetter(
  $site: ID!, $kind: String!, $department: String!, $subject: String!, $body: String!, $consent: Boolean!
) {
  submitLetter(
    site: $site, kind: $kind, department: $department, subject: $subject, body: $body, consentToPublish: $consent
  ) { id subject dueOn }
}"""

HALL = """query HallPage($id: ID!) {
  hall(id: $id) {
    id name address hotline viewerUrl missingServices
    services { id found title url materials }
    pois(kind: "window") { id name number services { id } }
  }
}"""

WALKTHROUGH = """query HallWalkthrough($id: ID!, $service: String!) {
  hall(id: $id) {
    walkthrough(service: $service) {
      service sequence metres window { name }
      stops { action reminders checklist poi { name kind } route { metres narration } }
    }
  }
}"""

# Open data (docs/opendata.md): the catalogue with its facets, and one dataset with previews and quality findings.
DATASETS = """query Datasets($q: String!, $filters: OpenDatasetFilters, $page: Int!) {
  datasets(query: $q, filters: $filters, page: $page, pageSize: 10) {
    total
    departments { name title count }
    domains { name title count }
    items { id name title notes department { title } domain { title } modified resources { format } }
  }
}"""

DATASET = """query Dataset($id: String!) {
  dataset(id: $id) {
    id name title notes tags license updateFrequency temporalStart temporalEnd spatial contact version modified
    department { name title }
    domain { name title }
    resources { id name format url size lastModified datastoreActive preview(rows: 10) { fields rows } }
    quality { kind summary count column lines }
  }
}"""

# Grassroots disclosure (docs/disclosure.md): the top units, and one unit's page.
UNITS = """query Units($page: Int!) {
  units(page: $page, pageSize: 50) { total page pageSize items { code name level } }
}"""

UNIT = """query Unit($code: String!, $page: Int!) {
  unit(code: $code) {
    code name level
    parent { code name parent { code name parent { code name } } }
    children(pageSize: 100) { total items { code name level } }
    boards { name categories { category count } }
    latest: items(below: true, pageSize: 30) { items { id board category title dated } }
    items(below: true, page: $page, pageSize: 20) {
      total page pageSize
      items { id board category period dated title body }
    }
    funds(pageSize: 20) { total items { id name category source amount spent stage year } }
    rollup {
      items
      funds { count amount spent }
      fundsByStage { key count amount spent }
      resources resourceArea assets assetValue
    }
  }
}"""
