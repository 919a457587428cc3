"""The colloquial lexicon: a citizen's spoken words read as the words documents use."""

from __future__ import annotations

from core.textzh.colloquial import ColloquialLexicon


def test_spoken_words_become_official_ones() -> None:
    lex = ColloquialLexicon.default()
    assert lex.rewrite("开个小饭馆要办啥证")[0] == "开办餐饮服务要办什么许可证"
    assert lex.rewrite("公司不干了咋注销")[0] == "公司注销怎么注销"
    assert lex.rewrite("疫情期间房贷能晚点还吗")[:2] == [
        "疫情期间住房贷款能延期还款吗",
        "疫情期间个人住房贷款能延期还款吗",
    ]
    # other official forms come one word at a time after the most direct reading
    assert lex.rewrite("娃上学")[:2] == ["子女入学", "儿童入学"]


def test_text_without_spoken_words_has_no_rewrite() -> None:
    lex = ColloquialLexicon.default()
    assert lex.rewrite("居民身份证申领") == []
    assert lex.rewrite("") == []
    assert lex.officials("掏钱") == ["支付", "费用"]
    assert lex.officials("营业执照") == []


def test_fillers_are_dropped_but_words_that_end_in_a_particle_stay() -> None:
    lex = ColloquialLexicon.default()
    assert lex.drop_fillers("请问一下，社保卡咋整呢？") == "社保卡"
    assert lex.drop_fillers("您好，低保标准是多少啊") == "低保标准是多少"
    assert lex.drop_fillers("社保卡呢啊") == "社保卡"
    assert lex.drop_fillers("附近的网吧") == "附近的网吧"
    assert lex.drop_fillers("哈尔滨冰雪节") == "哈尔滨冰雪节"
    # nothing but fillers: the text is kept rather than emptied
    assert lex.drop_fillers("你好") == "你好"


def test_the_subject_leaves_out_what_is_asked_about() -> None:
    lex = ColloquialLexicon.default()
    assert lex.subject("请问积分入户今年有啥常见问题") == ["积分入户"]
    assert lex.subject("开饭馆要带啥材料") == ["餐饮", "服务"]
    assert lex.subject("在哪办") == []


def test_a_lexicon_of_its_own_rows() -> None:
    lex = ColloquialLexicon([("整", "办理")], fillers=["嘛"], aspects=["流程"])
    assert lex.rewrite("咋整嘛") == ["咋办理嘛"]
    assert lex.drop_fillers("咋整嘛") == "咋整"
    assert lex.rows() == [("整", "办理")]


def test_attested_keeps_only_official_forms_the_texts_use() -> None:
    lex = ColloquialLexicon([("开饭馆", "餐饮服务"), ("开饭馆", "饭馆经营"), ("车贷", "汽车贷款")], aspects=[])
    kept = lex.attested(["餐饮服务食品经营许可的申请条件", "个人住房贷款延期还款"])
    assert kept.rows() == [("开饭馆", "餐饮服务")]
    assert kept.officials("车贷") == []


def test_whole_words_keep_a_spoken_word_from_cutting_a_word_in_two() -> None:
    lexicon = ColloquialLexicon.default()
    # 上哪 (where to) spans 网上 | 哪里: read inside it, 网上哪里 would become 网哪里里
    assert lexicon.rewrite("在网上哪里能查到", whole_words=True) == []
    assert lexicon.rewrite("开个小饭馆要办啥证", whole_words=True)[0] == lexicon.rewrite("开个小饭馆要办啥证")[0]


def test_everyday_words_of_citizens_read_as_documents_write_them() -> None:
    lexicon = ColloquialLexicon.default()
    assert lexicon.rewrite("老外在广州做核酸", whole_words=True)[0] == "外国人在广州核酸检测"
    assert lexicon.rewrite("外卖小哥被隔离了", whole_words=True)[0] == "外卖配送员隔离观察了"
    assert lexicon.rewrite("碗筷要消毒吗", whole_words=True)[0] == "餐具要消毒吗"
    assert lexicon.rewrite("交够15年能领多少")[0] == "累计缴费满15年领取标准"


def test_no_spoken_word_is_read_inside_an_official_one() -> None:
    # search reads spoken words anywhere in the text: none may sit inside a word documents use
    # (动车 in 机动车, 房租 in 住房租金, 工商 in 个体工商户, 领养 in 申领养老, 点办 in 网点办理)
    lexicon = ColloquialLexicon.default()
    official_words = ("机动车号牌", "住房租金", "个体工商户", "申领养老保险待遇", "网点办理", "检测体温")
    for official in (*official_words, "广东省科学技术厅"):
        assert lexicon.rewrite(official) == [], official
