-- Grassroots disclosure (issue 15): a unit's fund projects are listed newest year first over its whole subtree
-- (`unit_code between first and last order by year desc, unit_code, id`). With only (unit_code, year desc) a
-- city's or district's page sorted every project below it (134,734 at the issue's full size: 55 ms a page); in
-- this order the city reads its first 20 entries, and the planner keeps the unit index for small subtrees.
create index disclosure_funds_order_idx on disclosure_funds (year desc, unit_code, id);
