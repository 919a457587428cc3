-- Policy library: a home or column (list) page explains nothing (core/policy/links.py). The 政策解读 column's own
-- list page (/zcjd/) was stored as a 文字解读 of every policy whose 《title》 it listed and put first in its site's
-- 解读与回应 section; those stored before the rule leave both. An admin's kind (setInterpretationKind) stays.
delete from policy_mentions m using documents d
where d.id = m.document_id and d.kind in ('homepage', 'column');

delete from policy_explainers e using documents d
where d.id = e.document_id and d.kind in ('homepage', 'column') and e.kind_admin is null;

update policy_explainers e set kind_auto = null from documents d
where d.id = e.document_id and d.kind in ('homepage', 'column') and e.kind_auto is not null;
