-- Content analytics (issue 18): datasets are catalogue records, not web content (core/analytics/content.py), and
-- no longer count towards contentHotWords: the demo's open data, published by the hundred on one day, made
-- 名录 and 平房区 the group's hot words. Those counted before the rule take back what they added, as the consumer
-- does for a document that becomes one.
with gone as (
    delete from analytics_doc_terms t using documents d
    where d.id = t.document_id and d.kind = 'dataset'
    returning t.site_id, t.day, t.terms
), site_days as (
    update analytics_site_days s set documents = s.documents - g.n
    from (select site_id, day, count(*)::int as n from gone group by site_id, day) g
    where s.site_id = g.site_id and s.day = g.day
    returning s.site_id
)
update analytics_term_days t set documents = t.documents - g.n
from (
    select gone.site_id, gone.day, term, count(*)::int as n
    from gone cross join lateral unnest(gone.terms) as term
    group by gone.site_id, gone.day, term
) g
where t.site_id = g.site_id and t.day = g.day and t.term = g.term;

delete from analytics_term_days where documents <= 0;
