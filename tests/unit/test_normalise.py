"""Text normalisation: width, script, punctuation, fillers, numerals and homophones."""

from __future__ import annotations

import pytest

from bot.kb.model import Knowledge
from intents.engine import IntentEngine
from intents.normalise import RECENT_TEXTS, TextNormaliser, chinese_numeral_to_int


@pytest.fixture(scope="module")
def normaliser(knowledge: Knowledge) -> TextNormaliser:
    """The normaliser with the real lexicon's fillers and replacements, without homophones."""
    return TextNormaliser(knowledge.lexicon.fillers, knowledge.lexicon.homophones)


def test_full_width_letters_and_digits_become_half_width_lower_case(
        normaliser: TextNormaliser) -> None:
    assert normaliser.normalise("ＡＢＣ１２３").clean == "abc123"


def test_full_width_digits_inside_chinese(normaliser: TextNormaliser) -> None:
    assert "9号楼" in normaliser.normalise("９号楼").core


def test_traditional_becomes_simplified(normaliser: TextNormaliser) -> None:
    core = normaliser.normalise("社保卡掛失怎麼辦").core
    assert "社保卡挂失" in core
    assert "怎么办" in core
    assert normaliser.normalise("要帶甚麼").clean == "要带什么"    # 甚麼 is 什么, not 甚么


@pytest.mark.parametrize("text", [
    "社保卡，挂失！", "社保卡挂失？？？", "《社保卡》挂失…", "社保卡😀挂失🙏", "社保卡~挂失~",
    "社保卡\t挂失\n",
])
def test_punctuation_and_emoji_are_stripped(normaliser: TextNormaliser, text: str) -> None:
    core = normaliser.normalise(text).core
    assert core.replace(" ", "") == "社保卡挂失"
    assert not any(ch in core for ch in "，！？《》…😀🙏~\t\n")


@pytest.mark.parametrize("text", [
    "请问敬老卡怎么办", "我想问一下敬老卡怎么办", "阿姨敬老卡怎么办", "啊呀敬老卡怎么办",
    "请问阿姨，我想问一下敬老卡怎么办啊",
])
def test_fillers_are_removed_from_core_but_kept_in_clean(normaliser: TextNormaliser,
                                                          text: str) -> None:
    result = normaliser.normalise(text)
    assert result.core.replace(" ", "") == "敬老卡怎么办"
    assert len(result.clean.replace(" ", "")) > len("敬老卡怎么办")


def test_original_is_kept(normaliser: TextNormaliser) -> None:
    assert normaliser.normalise("請問，ＡＢＣ").original == "請問，ＡＢＣ"


def test_lexicon_replacements_apply(normaliser: TextNormaliser) -> None:
    assert "身份证" in normaliser.normalise("身分证丢了").core
    assert "敬老卡" in normaliser.normalise("老人卡怎么办").core


@pytest.mark.parametrize(("text", "expected"), [
    ("九号楼", "9号楼"),
    ("十二号楼", "12号楼"),
    ("二十五号", "25号"),
    ("三十号楼二单元", "30号楼2单元"),
    ("十一月二十五日", "11月25日"),
    ("一百零一室", "101室"),
    ("两点", "2点"),
])
def test_chinese_numerals_with_counters_become_digits(normaliser: TextNormaliser, text: str,
                                                      expected: str) -> None:
    assert expected in normaliser.normalise(text).core


@pytest.mark.parametrize("text", ["一下", "一次性", "独生子女", "一样", "三峡移民", "看一看",
                                  "十分感谢"])
def test_numerals_without_counters_are_untouched(normaliser: TextNormaliser, text: str) -> None:
    assert normaliser.basic(text) == text


def test_numerals_stay_words_inside_longer_phrases(normaliser: TextNormaliser) -> None:
    assert "失业一次性补助" in normaliser.normalise("失业一次性补助").core
    assert "独生子女" in normaliser.normalise("独生子女父母奖励").core


def test_empty_and_symbol_only_text_normalise_to_nothing(normaliser: TextNormaliser) -> None:
    for text in ("", "   ", "😀😀", "！？。，", "\x00\x07"):
        result = normaliser.normalise(text)
        assert result.clean == ""
        assert result.core == ""


def test_control_characters_are_removed(normaliser: TextNormaliser) -> None:
    assert normaliser.normalise("\x00\x07abc").core == "abc"


@pytest.mark.parametrize(("text", "value"), [
    ("九", 9), ("十", 10), ("十二", 12), ("二十", 20), ("二十五", 25), ("一百", 100),
    ("一百零一", 101), ("一零一", 101), ("两", 2), ("三千", 3000), ("零", 0),
    ("一千二百三十四", 1234),
])
def test_chinese_numeral_to_int(text: str, value: int) -> None:
    assert chinese_numeral_to_int(text) == value


@pytest.mark.parametrize("text", ["", "abc", "十x", "号", "九号"])
def test_chinese_numeral_to_int_rejects_non_numerals(text: str) -> None:
    assert chinese_numeral_to_int(text) is None


# -- homophones, through the engine's normaliser (the corrector needs the vocabulary) -------

@pytest.mark.parametrize(("typed", "meant"), [
    ("残急人证", "残疾人证"),
    ("居住正", "居住证"),
    ("申岭", "申领"),
    ("社保咔", "社保卡"),
    ("居住正怎么办", "居住证"),
    ("社保咔丢了", "社保卡"),
])
def test_pinyin_homophones_of_domain_words_are_corrected(engine: IntentEngine, typed: str,
                                                         meant: str) -> None:
    assert meant in engine.normaliser.normalise(typed).core


@pytest.mark.parametrize("text", ["旧衣服", "上午有", "新版社保卡", "敬老卡", "居住证",
                                  "旧衣服捐给谁", "上午有人吗",
                                  "到哪里去签",        # not 取钱: the tones differ
                                  "要到哪里去登记"])    # 要 and 到 are everyday words, not 要倒
def test_everyday_words_and_known_text_are_not_corrected(engine: IntentEngine,
                                                          text: str) -> None:
    assert engine.normaliser.normalise(text).core == text


def test_normalising_is_deterministic(engine: IntentEngine) -> None:
    text = "請問阿姨，居住正 九号楼 社保咔😀"
    assert engine.normaliser.normalise(text) == engine.normaliser.normalise(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("12/3吃什么", "12月3日吃什么"),
    ("12-3中午", "12月3日中午"),
    ("１２／３号", "12月3日"),
    ("2026/12/3", "2026年12月3日"),
])
def test_slash_dates_are_written_out(normaliser: TextNormaliser, text: str,
                                     expected: str) -> None:
    assert normaliser.basic(text) == expected


@pytest.mark.parametrize("text", ["9号楼3-201室", "3-5个工作日", "12/3号楼", "13/40"])
def test_numbers_with_dashes_that_are_not_dates(normaliser: TextNormaliser, text: str) -> None:
    assert "月" not in normaliser.basic(text)


def test_colloquial_medical_card_is_the_social_security_card(
        normaliser: TextNormaliser) -> None:
    assert normaliser.normalise("医保卡丢了").core == "社保卡丢了"


def test_a_text_read_again_reads_the_same_and_the_corrector_keeps_its_own_readings(
        knowledge: Knowledge, engine: IntentEngine) -> None:
    plain = TextNormaliser(knowledge.lexicon.fillers, knowledge.lexicon.homophones)
    corrector = engine.normaliser._corrector
    assert corrector is not None
    texts = ["社保咔丢了", "阿拉姆妈想办敬老卡", "旧衣服捐给谁", "10:00 订两份A套餐", "户口本丢了",
             "居住正怎么办", "申岭", "敬老卡", "上午有人吗", "要到哪里去登记", "残急人证"]
    assert len(texts) > RECENT_TEXTS     # read in turn, the oldest readings are let go
    reader = plain.with_corrector(corrector)
    for _ in range(3):
        for text in texts:
            fresh = TextNormaliser(knowledge.lexicon.fillers, knowledge.lexicon.homophones)
            assert reader.normalise(text) == fresh.with_corrector(corrector).normalise(text)
            assert reader.standard(text) == fresh.standard(text)
            assert len(reader._recent) <= RECENT_TEXTS
    # The normaliser without a corrector does not answer with the corrected reading of the
    # clone it made: 社保咔 stays as typed there.
    assert "社保卡" in reader.normalise("社保咔丢了").core
    assert "社保咔" in plain.normalise("社保咔丢了").core
