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
