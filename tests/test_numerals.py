import pytest

from kb.numerals import cn_to_int, int_to_cn


@pytest.mark.parametrize("text,value", [
    ("一", 1), ("十", 10), ("十一", 11), ("二十二", 22), ("一百零一", 101), ("一百一十", 110),
    ("两百", 200), ("一千零一", 1001), ("一〇五", 105), ("22", 22), ("２２", 22), ("一千二百六十", 1260),
])
def test_cn_to_int(text, value):
    assert cn_to_int(text) == value


def test_roundtrip():
    for n in range(1, 1300):
        assert cn_to_int(int_to_cn(n)) == n


@pytest.mark.parametrize("bad", ["", "第三", "abc"])
def test_not_a_numeral(bad):
    with pytest.raises(ValueError):
        cn_to_int(bad)


def test_a_last_digit_after_a_unit_counts_the_next_unit_down():
    # spoken amounts: "两千五" is 2500, not 2005; with 零 between, the ones
    assert [cn_to_int(s) for s in ("两千五", "一万二", "三百五", "一千零五", "二十五", "一千五百")] == [
        2500, 12000, 350, 1005, 25, 1500]


def test_an_article_names_the_articles_of_its_law_it_acts_under():
    from kb.numerals import basis_articles

    assert basis_articles("依照本法第五十一条的规定当场作出行政处罚决定") == [51]
    assert basis_articles("依照《中华人民共和国公司法》第二条的规定") == []  # another law's


def test_ten_thousand_alone():
    assert cn_to_int("万") == 10000 and cn_to_int("十万") == 100000
