"""Grassroots disclosure (基层公开, issue 15): units of the four-level hierarchy, items of the six boards with
revisions and vouchers, village special-fund projects, collective resources and assets, roll-ups and imports."""

from core.disclosure.blobs import BlobStore, FilesystemBlobStore, store_voucher
from core.disclosure.boards import BOARDS, check_category
from core.disclosure.funds import (
    AssetDraft,
    FundDraft,
    SpendingDraft,
    add_spending,
    delete_fund,
    funds_payments,
    get_fund,
    list_funds,
    move_stage,
    save_asset,
    save_fund,
)
from core.disclosure.hierarchy import LEVELS, ancestors, check_code, level_of, site_id_of
from core.disclosure.importer import ImportReport, RowError, import_file
from core.disclosure.items import ItemDraft, create_item, edit_item, get_item, item_revisions, list_items, set_published
from core.disclosure.models import Asset, BlobRef, Fund, Item, Page, Payments, Revision, RollupRow, Spending, Unit
from core.disclosure.summary import computed_rollups, get_rollup, rebuild_rollups, stored_rollups
from core.disclosure.units import UnitRow, add_units, get_unit, get_units, list_children

__all__ = [
    "BOARDS",
    "LEVELS",
    "Asset",
    "AssetDraft",
    "BlobRef",
    "BlobStore",
    "FilesystemBlobStore",
    "Fund",
    "FundDraft",
    "ImportReport",
    "Item",
    "ItemDraft",
    "Page",
    "Payments",
    "Revision",
    "RollupRow",
    "RowError",
    "Spending",
    "SpendingDraft",
    "Unit",
    "UnitRow",
    "add_spending",
    "add_units",
    "ancestors",
    "check_category",
    "check_code",
    "computed_rollups",
    "create_item",
    "delete_fund",
    "edit_item",
    "funds_payments",
    "get_fund",
    "get_item",
    "get_rollup",
    "get_unit",
    "get_units",
    "import_file",
    "item_revisions",
    "level_of",
    "list_children",
    "list_funds",
    "list_items",
    "move_stage",
    "rebuild_rollups",
    "save_asset",
    "save_fund",
    "set_published",
    "site_id_of",
    "store_voucher",
    "stored_rollups",
]
