"""kb.segment on real phrases from the default corpus."""
from __future__ import annotations

from pathlib import Path

import jieba
import pytest

from kb.errors import DictionaryError
from kb.segment import DOMAIN_DICT, Segmenter, get_segmenter, read_dictionary

ROOT = Path(__file__).resolve().parents[1]
PLAN = next((ROOT / "corpus" / "plan").glob("*.txt"))
# every phrase below is copied from the plan or a regulation in corpus/


@pytest.fixture(scope="module")
def seg() -> Segmenter:
    return get_segmenter()


def test_cached_instance():
    assert get_segmenter() is get_segmenter()


@pytest.mark.parametrize(
    "text, term",
    [
        ("完善\"双随机、一公开\"联合监管机制", "双随机、一公开"),
        ("建立行政审批告知承诺制度", "告知承诺"),
        ("完善行政审批容缺受理制度", "容缺受理"),
        ("深化\"证照分离\"改革", "证照分离"),
        ("全面落实市场准入负面清单,推动\"非禁即入\"普遍落实", "市场准入负面清单"),
        ("简化用电报装手续,实行办电承诺制", "用电报装"),
        ("深化\"互联网+不动产\"登记改革。优化不动产登记窗口设置", "不动产登记"),
        ("到2025年实现企业开办全类型、全区域、全流程无人工干预智能审核", "企业开办"),
        ("实施工程建设项目审批线上线下\"一站式\"办理", "工程建设项目审批"),
        ("推行\"全省通办\"\"跨省通办\"", "跨省通办"),
        ("实施政务服务\"好差评\"制度", "好差评"),
        ("实施新增工业用地\"标准地\"出让", "标准地"),
        ("推进\"一件事\"流程再造", "一件事"),
        ("健全完善中小投资者保护机制", "中小投资者"),
        ("健全和完善信用修复机制", "信用修复"),
        ("机关、事业单位和大型企业不得要求中小企业接受不合理的付款期限", "机关、事业单位"),
    ],
)
def test_domain_terms_stay_whole(seg, text, term):
    assert term in seg.cut(text)
    assert term in seg.tokens(text)


def test_cut_round_trips_text(seg):
    text = PLAN.read_text(encoding="utf-8")[:5000]
    assert "".join(seg.cut(text)) == text


def test_tokens_drop_stopwords_punctuation_and_lowercase(seg):
    toks = seg.tokens("有序推进政府和社会资本合作(PPP),免费发放税务Ukey。")
    assert "ppp" in toks and "ukey" in toks
    assert not {"和", "(", ")", ",", "。", " "} & set(toks)
    # legal modality words carry meaning and must survive
    assert {"不得", "应当"} <= set(seg.tokens("行政机关应当依法办理，不得拖延"))


def test_numbers_and_units(seg):
    toks = seg.tokens("小微企业低压接入办电时间不超过3天,在5个工作日内办结,\"0.5 天\"")
    assert {"3天", "3", "5个工作日", "工作日", "0.5天"} <= set(toks)
    assert "3天" in seg.tokens("简易注销公告期届满无异议的,在3天内作出准予简易注销决定")


@pytest.mark.parametrize(
    "query, expected",
    [
        ("开公司要多久", {"企业开办", "设立登记", "期限", "工作日"}),
        ("办电要跑几次", {"用电报装", "获得电力", "最多跑一次"}),
        ("政府买东西有什么规定", {"政府采购"}),
        ("欠款不还怎么办", {"拖欠", "款项支付"}),
        ("老赖", {"失信", "失信被执行人"}),
        ("外地企业被罚款", {"外地经营者", "行政处罚", "罚款"}),
        ("注销公司", {"注销登记"}),
    ],
)
def test_query_expansion(seg, query, expected):
    toks = seg.query_tokens(query)
    assert expected <= set(toks)
    assert toks[: len(seg.tokens(query))] == seg.tokens(query)
    assert len(toks) == len(set(toks))


def test_expand_without_synonyms_is_identity(seg):
    toks = seg.tokens("第二十二条 国家建立健全")
    assert seg.expand(toks) == toks


def test_global_jieba_untouched():
    before = (jieba.dt.initialized, len(jieba.dt.FREQ), jieba.dt.user_word_tag_tab.copy())
    Segmenter().cut("告知承诺制和容缺受理")
    assert (jieba.dt.initialized, len(jieba.dt.FREQ), jieba.dt.user_word_tag_tab) == before
    assert "告知承诺制" not in jieba.dt.FREQ


def test_user_extended_dictionary(tmp_path):
    extra = tmp_path / "my_terms.txt"
    extra.write_text("# 用户词典\n运城模式 1000 nz\n三晋通\n零距离、零收费 nz\n", encoding="utf-8")
    syn = tmp_path / "syn.tsv"
    syn.write_text("# 同义词\n晋通\t三晋通|政务服务平台\n", encoding="utf-8")
    plain, custom = Segmenter(), Segmenter(extra_dicts=[extra], synonyms=syn)
    text = "推广运城模式,提高\"三晋通\"App普及率,落实零距离、零收费要求"
    assert "运城模式" not in plain.cut(text)
    assert {"运城模式", "三晋通", "零距离、零收费"} <= set(custom.cut(text))
    assert "告知承诺制" in custom.cut("告知承诺制")  # the domain dictionary is still loaded
    assert {"三晋通", "政务服务平台"} <= set(custom.query_tokens("晋通"))


def test_domain_dictionary_size_and_format():
    entries = read_dictionary(DOMAIN_DICT)
    assert len([e for e in entries if e[1] != 0]) >= 150


def test_bad_dictionary_line(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("词 很多 n\n", encoding="utf-8")
    with pytest.raises(DictionaryError):
        Segmenter(extra_dicts=[bad])


def test_missing_dictionary_file(tmp_path):
    from kb.errors import FileNotFound

    with pytest.raises(FileNotFound):
        Segmenter(extra_dicts=[tmp_path / "nope.txt"])
