"""Personal data in free text found and masked, counted per kind: nothing personal is stored."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["KINDS", "MASKS", "PREFILTER", "mask_column", "mask_text", "mask_values"]

#: The kinds of personal data masked, in the order they are looked for.
KINDS = ("email", "id_number", "bank_card", "phone", "plate", "name")

#: What each kind becomes. Mobile numbers keep their first three and last four digits
#: (138****5678), landlines their area code (010-*******), as the import always did; every
#: other kind is replaced whole by a bracketed word (no digit or letter of it is kept).
MASKS: dict[str, str] = {
    "email": "[邮箱]",
    "id_number": "[身份证号]",
    "bank_card": "[银行卡号]",
    "phone": "138****5678 / 010-******* / *******",
    "plate": "[车牌]",
    "name": "[姓名]",
}

# ----------------------------------------------------------------------------- the rules
# A digit is any Unicode decimal digit (full-width ones included), as Python's \d.
_SEP = r"[ \-－]?"  # one optional space or dash between digit groups
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")

#: A word that says the next number is an identity number: then any 15 or 18 characters of
#: digits (an 18th may be X) are masked, whatever their check digit.
_ID_CONTEXT = re.compile(
    r"(身份证(?:号码|号)?|证件(?:号码|号)|身份号码?|公民身份号码)[号码是为:：\s]{0,4}?"
    r"(\d{6}" + _SEP + r"(?:\d{4}" + _SEP + r"\d{2}" + _SEP + r"\d{2}" + _SEP + r"\d{3}[\dXx]"
    r"|\d{6}" + _SEP + r"\d{3}))(?![\dA-Za-z])"
)  # fmt: skip
#: Without such a word: 18 characters (6-8-4 or 6-4-4-4 groups allowed) with a real birth date
#: and a valid check digit, or 15 digits (the old form) with a real birth date.
_ID18 = re.compile(
    r"(?<![\dA-Za-z])(\d{6})" + _SEP + r"(\d{4})" + _SEP + r"(\d{2})" + _SEP
    + r"(\d{2})" + _SEP + r"(\d{3})([\dXx])(?![\dA-Za-z])"
)  # fmt: skip
_ID15 = re.compile(
    r"(?<![\dA-Za-z])(\d{6})" + _SEP + r"(\d{2})(\d{2})(\d{2})" + _SEP + r"(\d{3})(?![\dA-Za-z])"
)
#: A bank card: 16-19 digits (single spaces or dashes between) passing the Luhn check, which
#: start like a card (62 UnionPay, 4, 5, 3) or follow a word naming a card or an account.
_CARD = re.compile(
    r"(?<![\dA-Za-z])(?:\d{16,19}|\d{4}(?:[ \-－]\d{4}){3}(?:[ \-－]\d{1,3})?)(?![\dA-Za-z])"
)
_CARD_CONTEXT = re.compile(r"(卡号?|账号|帐号|账户|帐户)[^\d\n\]]{0,6}$")
#: Words after which a long number is an order, case or serial number, never a card or a phone.
_SERIAL_CONTEXT = re.compile(r"(编号|单号|工单|订单|流水号?|案号|批次|序号)[^\d\n]{0,3}$")
_MOBILE = re.compile(
    r"(?<![\dA-Za-z])((?:\+|＋|00|００)?[8８][6６]" + _SEP + r")?([1１][3-9３-９]\d)" + _SEP + r"(\d{4})" + _SEP
    + r"(\d{4})(?!\d)"
)  # fmt: skip
#: A landline with its area code: 010-62345678, (010)62345678, 0755 12345678.
#: (Area codes: 010 and 02X have three digits, the others four.)
_LANDLINE = re.compile(
    r"(?<![\dA-Za-z])([（(]?[0０](?:[12１２]\d|[3-9３-９]\d{2})[)）]?)([ \-－]?)(\d{7,8})(?!\d)"
)
#: A landline in the international form: +86 10 62345678 (the area code without its 0).
_INTL_LANDLINE = re.compile(
    r"(?<![\dA-Za-z])((?:\+|＋|00)[8８][6６][ \-－]?)([1-9１-９]\d{1,2})([ \-－]?)(\d{7,8})(?!\d)"
)
#: A landline without area code only after a word that says it is a phone number.
_LOCAL_PHONE = re.compile(
    r"(电话|座机|固话|手机|联系方式|致电|回电|拨打|打给)([^\d\n]{0,4}?)(\d{7,8})(?!\d)"
)
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_ALNUM = "[A-HJ-NP-Z0-9]"
#: A licence plate: province, letter, then 5 characters (京A12345) or a new-energy 6 (京AD12345).
_PLATE = re.compile(
    rf"[{_PROVINCES}][A-HJ-NP-Z][·•. ]?(?:[DF]{_PLATE_ALNUM}{{5}}|\d{{5}}[DF]|{_PLATE_ALNUM}{{5}})"
    r"(?![A-Za-z0-9])"
)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Names: a surname of the list, then at most two more characters that are not a stop character.
_COMPOUND = _words(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 令狐 司徒 夏侯 长孙 宇文 独孤 端木 南宫"
)
_SINGLE = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕"
    "丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱"
    "严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包"
    "宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤"
    "阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师"
    "和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
#: Characters a given name is taken never to hold (function words, verbs of the templates
#: texts use after a name, units of time): the name stops before them.
_STOP = set(
    "反来称表说电手身住家在是的于今现联男女先性年要希投举诉了和与及等对向从到为被把也都就还又请问想某"
    "老师阿区市镇乡街路村楼室号院月日"
)
#: Marks that also begin ordinary phrases (本人房屋, 居民楼): the name must end at a boundary.
_SOFT_MARKS = frozenset({"我叫", "本人", "市民", "居民", "业主"})
#: Common words that begin with a surname, never a name after a soft mark.
_WORDS = frozenset(
    _words(
        "车辆 车位 车库 房屋 房子 房产 房东 房租 单位 时间 全家 常年 商铺 路过 管理 连续 明天 明年 文件 安全 "
        "成功 高层 金额 白天 方面 包括 应该 解决 华为 关于 向来 于是 和平 齐全 周边 周末 周围 毛坯 "
        "孙子 孙女 曾经 任何 严重 王府 龙湖 万科 余额 钱款 冯家 邢家 祝贺 温度 康复 宁可 华北 韩国"
    )
)
_SURNAME = "(?:" + "|".join(_COMPOUND) + "|[" + _SINGLE + "])"
_GIVEN = r"[\u4e00-\u9fff]"
#: Words that mark the name after them (姓名：张三, 联系人张三, 我叫张三, 本人张三, 市民张三).
_NAME_MARK = re.compile(
    r"(姓名|名字|联系人|来电人|来电者|反映人|投诉人|举报人|诉求人|当事人|户主|我叫|本人|市民|居民|业主)"  # _MARKS
    r"([:：]?[ \u3000]?)(" + _SURNAME + ")(" + _GIVEN + "{1,2})"
)
_SINGLE_SET = frozenset(_SINGLE)
_COMPOUND_SET = frozenset(_COMPOUND)
#: Surnames that are far more often a conjunction or a preposition before 先生/女士/某.
_CONJUNCTIONS = frozenset("和向")
#: The words that make a name of the surname before them (张先生, 李女士, 王某, 刘某女士).
_HONORIFIC_WORD = re.compile(r"某{1,2}(?:先生|女士)?|先生|女士|小姐")
#: What may follow 王某 / 赵某某 for it to be a name.
_AFTER_MOU = re.compile(r"[^\u4e00-\u9fff]|$|反映|称|表示|来电|投诉|举报|说|的|家|住|在|要求|希望")
_MARKS = _words(
    "姓名 名字 联系人 来电人 来电者 反映人 投诉人 举报人 诉求人 当事人 户主 我叫 本人 市民 居民 业主"
)
_NAME_MARK_START = re.compile("|".join(_MARKS))
#: A run of seven or more digits and separators: the numbers are looked for only around one.
_RUN = re.compile(r"\d[\d \-－()（）]{6,}")
_BEFORE = 12  # characters before a run searched for 身份证号, 卡号, 编号, 电话 …
_PLATE_START = re.compile(rf"[{_PROVINCES}][A-HJ-NP-Z]")

#: A cell can hold personal data only if it holds one of these (RE2 syntax, for Arrow's and
#: DuckDB's scans): seven digits (single spaces or dashes between), an @, a plate's province and
#: letter, a name's mark followed by a surname, a surname followed by an honorific or 某.
_SURNAME_ENDS = "".join(sorted(set(_SINGLE) | {c[-1] for c in _COMPOUND}))
PREFILTER = (
    r"\p{Nd}[ \-－]?\p{Nd}[ \-－]?\p{Nd}[ \-－]?\p{Nd}[ \-－]?\p{Nd}[ \-－]?\p{Nd}[ \-－]?\p{Nd}"
    rf"|@|[{_PROVINCES}][A-HJ-NP-Z]"
    f"|(?:{'|'.join(_MARKS)})[:：]?[ \u3000]?(?:{'|'.join(_COMPOUND)}|[{_SINGLE}])"
    rf"|[{_SURNAME_ENDS}](?:某|先生|女士|小姐)"
)

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


# ----------------------------------------------------------------------------- public
def mask_text(text: str) -> tuple[str, Counter[str]]:
    """``text`` with every personal datum masked (see :data:`MASKS`), and the count per kind.

    The kinds are looked for in the order of :data:`KINDS`; what one kind masked is never seen
    by the next (a masked identity number is not read again as a bank card or a phone). The
    numbers are looked for only around runs of seven or more digits and separators (with the
    twelve characters before them, where a word such as 身份证号 or 编号 stands).
    """
    counts: Counter[str] = Counter()
    if "@" in text:
        text, n = _email(text)
        counts["email"] += n
    if _RUN.search(text):
        text = _numbers(text, counts)
    if _PLATE_START.search(text):
        text, n = _plate(text)
        counts["plate"] += n
    text, n = _name(text)
    counts["name"] += n
    return text, +counts


def mask_values(values: Iterable[object]) -> tuple[list[object], Counter[str]]:
    """:func:`mask_text` of each string (other values as they are), and the counts summed."""
    out: list[object] = []
    total: Counter[str] = Counter()
    for value in values:
        if isinstance(value, str):
            value, counts = mask_text(value)
            total.update(counts)
        out.append(value)
    return out, total


def mask_column(values: pd.Series) -> tuple[pd.Series, Counter[str]]:
    """``values`` masked cell by cell as :func:`mask_text` does, and the counts per kind.

    Only the cells the :data:`PREFILTER` finds are read, each distinct value once; counts are
    per cell (a value that occurs three times is counted three times).
    """
    total: Counter[str] = Counter()
    if values.empty:
        return values, total
    rows = _candidates(values)
    if not len(rows):
        return values, total
    picked = values.iloc[rows]
    codes, uniques = pd.factorize(picked, use_na_sentinel=True)
    masked, counts = [], []
    for value in uniques:
        text, found = mask_text(value) if isinstance(value, str) else (value, Counter())
        masked.append(text)
        counts.append(found)
    times = np.bincount(codes[codes >= 0], minlength=len(uniques))
    for found, n in zip(counts, times, strict=True):
        for kind, k in found.items():
            total[kind] += int(k) * int(n)
    changed = [i for i, (a, b) in enumerate(zip(uniques, masked, strict=True)) if a != b]
    if not changed:
        return values, total
    out = values.copy()
    lookup = np.asarray(masked, dtype=object)
    take = codes >= 0
    new = picked.to_numpy(dtype=object, copy=True)
    new[take] = lookup[codes[take]]
    out.iloc[rows] = new
    return out, total


# ----------------------------------------------------------------------------- plumbing
def _candidates(values: pd.Series) -> np.ndarray:
    """Positions of the cells that may hold personal data (strings matching the prefilter)."""
    if isinstance(values.dtype, pd.StringDtype):
        found = pc.match_substring_regex(pa.array(values.array), PREFILTER)
        return np.flatnonzero(found.fill_null(False).to_numpy(zero_copy_only=False))
    is_text = values.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    rows = np.flatnonzero(is_text)
    if not len(rows):
        return rows
    text = pa.array(values.iloc[rows].tolist(), pa.large_string())
    hit = pc.match_substring_regex(text, PREFILTER).fill_null(False).to_numpy(zero_copy_only=False)
    return rows[hit]


def _digits(text: str) -> str:
    return "".join(str(int(c)) if c.isdecimal() else c.upper() for c in text if c not in " -－")


def _real_date(year: int, month: int, day: int) -> bool:
    try:
        born = date(year, month, day)
    except ValueError:
        return False
    return date(1900, 1, 1) <= born <= date.today()


def _id18_valid(number: str) -> bool:
    """18 characters: region starts 1-8, a real birth date, the ISO 7064 check digit."""
    if len(number) != 18 or not number[:17].isdigit() or number[0] not in "12345678":
        return False
    if not _real_date(int(number[6:10]), int(number[10:12]), int(number[12:14])):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _WEIGHTS, strict=True))
    return _CHECK[total % 11] == number[17]


def _id15_valid(number: str) -> bool:
    """15 digits (before 1999): region starts 1-8, a real birth date in 19YY."""
    return (
        len(number) == 15
        and number.isdigit()
        and number[0] in "12345678"
        and _real_date(1900 + int(number[6:8]), int(number[8:10]), int(number[10:12]))
    )


def _luhn(number: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(number)):
        d = int(c)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _serial(text: str, start: int) -> bool:
    """The number starting at ``start`` follows a word naming an order or serial number."""
    return bool(_SERIAL_CONTEXT.search(text[max(0, start - 10) : start]))


def _email(text: str) -> tuple[str, int]:
    if "@" not in text:
        return text, 0
    return _EMAIL.subn(MASKS["email"], text)


def _id_number(text: str) -> tuple[str, int]:
    n = 0

    def context(m: re.Match[str]) -> str:
        nonlocal n
        digits = _digits(m.group(2))
        if len(digits) not in (15, 18) or not digits[:-1].isdigit():
            return m.group(0)
        n += 1
        return m.group(0)[: m.start(2) - m.start(0)] + MASKS["id_number"]

    def plain(m: re.Match[str]) -> str:
        nonlocal n
        digits = _digits(m.group(0))
        ok = _id18_valid(digits) if len(digits) == 18 else _id15_valid(digits)
        if not ok or _serial(text, m.start()):
            return m.group(0)
        n += 1
        return MASKS["id_number"]

    text = _ID_CONTEXT.sub(context, text)
    text = _ID18.sub(plain, text)
    text = _ID15.sub(plain, text)
    return text, n


def _bank_card(text: str) -> tuple[str, int]:
    n = 0

    def card(m: re.Match[str]) -> str:
        nonlocal n
        digits = _digits(m.group(0))
        if not 16 <= len(digits) <= 19 or not _luhn(digits) or _serial(text, m.start()):
            return m.group(0)
        named = _CARD_CONTEXT.search(text[max(0, m.start() - 12) : m.start()])
        if not named and not digits.startswith(("62", "3", "4", "5")):
            return m.group(0)
        n += 1
        return MASKS["bank_card"]

    return _CARD.sub(card, text), n


def _phone(text: str) -> tuple[str, int]:
    n = 0

    def mobile(m: re.Match[str]) -> str:
        nonlocal n
        if _serial(text, m.start()):
            return m.group(0)
        n += 1
        return f"{m.group(1) or ''}{m.group(2)}****{m.group(4)}"

    def landline(m: re.Match[str]) -> str:
        nonlocal n
        if _serial(text, m.start()):
            return m.group(0)
        n += 1
        return f"{m.group(1)}{m.group(2) or ''}{'*' * 7}"

    def local(m: re.Match[str]) -> str:
        nonlocal n
        if _serial(text, m.start(3)):
            return m.group(0)
        n += 1
        return f"{m.group(1)}{m.group(2)}{'*' * 7}"

    def local_intl(m: re.Match[str]) -> str:
        nonlocal n
        n += 1
        return f"{m.group(1)}{m.group(2)}{m.group(3)}{'*' * 7}"

    text = _MOBILE.sub(mobile, text)
    text = _LANDLINE.sub(landline, text)
    text = _INTL_LANDLINE.sub(local_intl, text)
    text = _LOCAL_PHONE.sub(local, text)
    return text, n


def _plate(text: str) -> tuple[str, int]:
    return _PLATE.subn(MASKS["plate"], text)


def _name(text: str) -> tuple[str, int]:
    n = 0

    def marked(m: re.Match[str]) -> str:
        nonlocal n
        given = _given(m.group(4), text, m.end(), soft=m.group(1) in _SOFT_MARKS)
        if not given or (m.group(1) in _SOFT_MARKS and m.group(3) + given[0] in _WORDS):
            return m.group(0)  # 本人于…, 市民反映…, 本人车辆…: no name follows the mark
        n += 1
        rest = m.group(4)[len(given) :]
        return f"{m.group(1)}{m.group(2)}{MASKS['name']}{rest}"

    text, k = _honorifics(text)  # first: 联系人：李女士 is one name
    if not _NAME_MARK_START.search(text):
        return text, k
    out, at = [], 0
    for start in [m.start() for m in _NAME_MARK_START.finditer(text)]:
        found = _NAME_MARK.match(text, start) if start >= at else None
        if found:
            out += [text[at:start], marked(found)]
            at = found.end()
    if out:
        text = "".join([*out, text[at:]])
    return text, n + k


def _honorifics(text: str) -> tuple[str, int]:
    """张先生, 李女士, 王小姐, 刘某女士, and 王某 / 赵某某 before a punctuation mark, the end or a
    verb (于某日, 向某单位 stay): each becomes [姓名]."""
    if "某" not in text and "先生" not in text and "女士" not in text and "小姐" not in text:
        return text, 0
    out, at, n = [], 0, 0
    for m in _HONORIFIC_WORD.finditer(text):
        start = m.start()
        surname = text[start - 2 : start] if start >= 2 else ""
        if surname not in _COMPOUND_SET:
            surname = ""
        if not surname and start > 0 and text[start - 1] in _SINGLE_SET:
            surname = text[start - 1]
        if not surname or start - len(surname) < at:
            continue
        word = m.group(0)
        if surname in _CONJUNCTIONS:  # 我和先生 (my husband), 向女士们: not a name
            continue
        alone = word.strip("某") == ""  # 某 alone: not after 于, and a boundary must follow
        if alone and (surname == "于" or not _AFTER_MOU.match(text, m.end())):
            continue
        out += [text[at : start - len(surname)], MASKS["name"]]
        at, n = m.end(), n + 1
    out.append(text[at:])
    return ("".join(out), n) if n else (text, 0)


def _given(found: str, text: str, end: int, *, soft: bool) -> str:
    """The given name in ``found`` (the one or two characters after a surname): up to a stop
    character (after a field mark such as 姓名, from the second character on); after a soft mark only if a boundary (not a Chinese character, the end, or a
    stop character) follows it, else ''."""
    for i, c in enumerate(found):
        if c in _STOP and (soft or i > 0):  # after 姓名 / 联系人 the first character is the name's
            return found[:i]
    if not soft:
        return found
    for size in range(len(found), 0, -1):
        after = found[size] if size < len(found) else (text[end] if end < len(text) else "")
        if not after or not ("\u4e00" <= after <= "\u9fff") or after in _STOP:
            return found[:size]
    return ""


#: The maskers of numbers, in their order, run on the windows around long digit runs.
_NUMBERS: tuple[tuple[str, Callable[[str], tuple[str, int]]], ...] = (
    ("id_number", _id_number),
    ("bank_card", _bank_card),
    ("phone", _phone),
)


def _numbers(text: str, counts: Counter[str]) -> str:
    """Identity, bank-card and phone numbers masked in the windows around each digit run."""
    windows: list[list[int]] = []
    for m in _RUN.finditer(text):
        start, end = max(0, m.start() - _BEFORE), min(len(text), m.end() + 2)
        if windows and start <= windows[-1][1]:
            windows[-1][1] = end
        else:
            windows.append([start, end])
    out, at = [], 0
    for start, end in windows:
        window = text[start:end]
        long = sum(ch.isdecimal() for ch in window) >= 15  # an identity or card number needs 15
        for kind, masker in _NUMBERS if long else _NUMBERS[2:]:
            window, n = masker(window)
            if n:
                counts[kind] += n
        out += [text[at:start], window]
        at = end
    out.append(text[at:])
    return "".join(out)
