"""The three demo sites: portal, a department and a county, with their columns."""

from __future__ import annotations

from ops.demo.model import ColumnSpec, SiteSpec

PORTAL = SiteSpec(
    id="demo-portal",
    name="示范市人民政府门户网站",
    short="示范市人民政府",
    level="市",
    region="990100",
    department=None,
    sponsor="示范市人民政府办公室",
    site_code="9901000001",
    icp="示ICP备05001234号",
    charset="utf-8",
    page_size=20,
    schedule="10m",
    issuers=(("示政发", "示范市人民政府"), ("示政办发", "示范市人民政府办公室")),
    id_base=512000,
    topics=(
        "shebao",
        "gjj",
        "kaiban",
        "yanglao",
        "jiaoyu",
        "jiuye",
        "yibao",
        "rencai",
        "jiuzhu",
        "budongchan",
        "huanjing",
    ),
    columns=(
        ColumnSpec("ywdt", "要闻动态", "news", 60, column_type="政务动态"),
        ColumnSpec("tzgg", "通知公告", "notice", 40, column_type="通知公告"),
        ColumnSpec("zcwj", "政策文件", "policy", 45, column_type="政策文件"),
        ColumnSpec("zcjd", "政策解读", "interpretation", 20, column_type="政策解读"),
        ColumnSpec("bsfw", "办事服务", "guide", 26, column_type="办事服务"),
        ColumnSpec("hdjl", "互动交流", "letter", 30, column_type="互动交流"),
        ColumnSpec("rsrm", "人事任免", "personnel", 16, stale=True, column_type="人事信息"),
        ColumnSpec("zwdc", "政务督查", "news", 0, column_type="政务动态"),
    ),
    retired=(("2019年两会专题", "/ztzl/2019lh/index.html"),),
    guides=(  # the windows of scene_assets/halls/demo-budongchan serve these
        ("budongchan", "不动产登记资料查询"),
        ("rencai", "人才公寓申请（个人办理）"),
        ("gjj", "住房公积金缴存登记"),
        ("gjj", "住房公积金租房提取（网上办理）"),
        ("gjj", "住房公积金个人住房贷款（网上办理）"),
        ("gjj", "公积金异地转移接续"),
    ),
)

DEPT = SiteSpec(
    id="demo-dept",
    name="示范市人力资源和社会保障局",
    short="示范市人力资源和社会保障局",
    level="部门",
    region="990100",
    department="示范市人力资源和社会保障局",
    sponsor="示范市人力资源和社会保障局",
    site_code="9901000012",
    icp="示ICP备05001234号-3",
    charset="utf-8",
    page_size=15,
    schedule="30m",
    issuers=(("示人社规", "示范市人力资源和社会保障局"), ("示人社发", "示范市人力资源和社会保障局")),
    id_base=301000,
    topics=("shebao", "jiuye", "jineng", "rencai", "laodong"),
    columns=(
        ColumnSpec("gzdt", "工作动态", "news", 35, column_type="政务动态"),
        ColumnSpec("tzgg", "通知公告", "notice", 25, column_type="通知公告"),
        ColumnSpec("zcwj", "政策文件", "policy", 25, column_type="政策文件"),
        ColumnSpec("zcjd", "政策解读", "interpretation", 12, column_type="政策解读"),
        ColumnSpec("bsfw", "办事服务", "guide", 22, column_type="办事服务"),
        ColumnSpec("zxly", "咨询留言", "letter", 25, column_type="互动交流"),
    ),
    retired=(("社保卡线上申领（旧版入口）", "/bsfw/sbk/old.html"),),
)

COUNTY = SiteSpec(
    id="demo-county",
    name="示范市青山县人民政府",
    short="青山县人民政府",
    level="区县",
    region="990121",
    department=None,
    sponsor="青山县人民政府办公室",
    site_code="9901210001",
    icp="示ICP备05004321号",
    charset="gbk",
    page_size=18,
    schedule="1h",
    issuers=(("青政发", "青山县人民政府"), ("青政办发", "青山县人民政府办公室")),
    id_base=720000,
    topics=("xiangcun", "jiaoyu", "yanglao", "yibao", "jiuzhu", "jiuye", "huanjing"),
    columns=(
        ColumnSpec("ywdt", "要闻动态", "news", 30, column_type="政务动态"),
        ColumnSpec("tzgg", "通知公告", "notice", 20, column_type="通知公告"),
        ColumnSpec("zcwj", "政策文件", "policy", 20, column_type="政策文件"),
        ColumnSpec("zcjd", "政策解读", "interpretation", 10, column_type="政策解读"),
        ColumnSpec("bsfw", "办事服务", "guide", 15, column_type="办事服务"),
        ColumnSpec("hdjl", "互动交流", "letter", 15, column_type="互动交流"),
    ),
)

SITES: tuple[SiteSpec, ...] = (PORTAL, DEPT, COUNTY)
