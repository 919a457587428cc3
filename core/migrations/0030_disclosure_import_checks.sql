-- Grassroots disclosure import (issue 15): the two foreign keys every imported item row paid for one at a time
-- (an item's unit, a revision's item: 43% of the import's insert statement, one trigger call and one locking query
-- per row) are gone; what they guaranteed still holds for every writer, not only the importer:
--   * an item names a stored unit: a trigger once per statement over its rows (a transition table) locks the units
--     they name `for key share` (the lock the key took per row, here once per unit) and refuses the statement if
--     one is not stored (SQLSTATE 23503 and the key's name, as before); deleting a unit or changing its code is
--     refused while an item names it (and outside read committed, where a snapshot could miss a new item).
--   * a revision is of a stored item: every writer of revisions (core/disclosure/store.py insert_revision after
--     its insert or update of the item; bulk_store.py from the rows it has just inserted or updated as items, in
--     the same transaction) writes it from the item it holds, so no check per row is left (one per statement
--     still cost 10% of the import's Postgres time); deleting items deletes their revisions, as `on delete
--     cascade` did (truncating them too), and an item's id cannot change while it has revisions.
-- And one index fewer to write per item: disclosure_items_published_idx (published_at desc) served no query (pages
-- read disclosure_items_page_idx and disclosure_items_recent_idx, freshness the (unit_code, category, ...) index).

alter table disclosure_items drop constraint disclosure_items_unit_code_fkey;
alter table disclosure_item_revisions drop constraint disclosure_item_revisions_item_id_fkey;
drop index disclosure_items_published_idx;

create function disclosure_items_name_units() returns trigger language plpgsql as $$
declare
    codes text[] := array(select distinct unit_code from named order by unit_code);
    locked integer;
begin
    -- what the key's per-row check did, once per unit: no unit named here is deleted or re-coded until this
    -- transaction ends (a unit deleted meanwhile is not locked, so it counts as missing)
    select count(*) into locked from (
        select 1 from disclosure_units where code = any(codes) order by code for key share) l;
    if locked < cardinality(codes) then
        raise foreign_key_violation using
            message = format('insert or update on table "disclosure_items" names unit %s, which is not stored',
                (select c from unnest(codes) c where not exists (select 1 from disclosure_units where code = c)
                 limit 1)),
            constraint = 'disclosure_items_unit_code_fkey', table = 'disclosure_items';
    end if;
    return null;
end $$;

create trigger disclosure_items_units_after_insert after insert on disclosure_items
    referencing new table as named for each statement execute function disclosure_items_name_units();
create trigger disclosure_items_units_after_update after update on disclosure_items
    referencing new table as named for each statement execute function disclosure_items_name_units();

create function disclosure_units_keep_items() returns trigger language plpgsql as $$
begin
    if tg_op = 'UPDATE' and new.code = old.code then
        return new;
    end if;
    -- a repeatable-read snapshot could miss an item committed after it (the key saw it through a fresh one)
    if current_setting('transaction_isolation') <> 'read committed' then
        raise serialization_failure using
            message = format('unit %s is deleted or re-coded only in a read committed transaction', old.code);
    end if;
    if exists (select 1 from disclosure_items where unit_code = old.code) then
        raise foreign_key_violation using
            message = format('unit %s is still named by disclosure items', old.code),
            constraint = 'disclosure_items_unit_code_fkey', table = 'disclosure_units';
    end if;
    return case when tg_op = 'DELETE' then old else new end;
end $$;

create trigger disclosure_units_keep_items before delete or update of code on disclosure_units
    for each row execute function disclosure_units_keep_items();

create function disclosure_items_take_revisions() returns trigger language plpgsql as $$
begin
    if tg_op = 'TRUNCATE' then
        delete from disclosure_item_revisions;  -- not truncate: `truncate disclosure_items, disclosure_item_revisions`
        return null;                            -- holds the table already
    end if;
    if tg_op = 'DELETE' then
        delete from disclosure_item_revisions r using removed d where r.item_id = d.id;
        return null;
    end if;
    if new.id <> old.id and exists (select 1 from disclosure_item_revisions where item_id = old.id) then
        raise foreign_key_violation using
            message = format('item %s has revisions: its id cannot change', old.id),
            constraint = 'disclosure_item_revisions_item_id_fkey', table = 'disclosure_items';
    end if;
    return new;
end $$;

create trigger disclosure_items_revisions_after_delete after delete on disclosure_items
    referencing old table as removed for each statement execute function disclosure_items_take_revisions();
create trigger disclosure_items_revisions_id before update of id on disclosure_items
    for each row execute function disclosure_items_take_revisions();
create trigger disclosure_items_revisions_truncate after truncate on disclosure_items
    for each statement execute function disclosure_items_take_revisions();
