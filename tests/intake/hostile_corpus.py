"""Generated exports that try everything an export can do wrong, from a seed (for tests/intake).

Each file mixes: dates in a dozen layouts (and none), flags and scores in every spelling, phone
numbers in names, texts and addresses (ASCII, full-width and Arabic-Indic digits, landlines),
quoted values with commas, quotes and newlines, blank and whitespace-only lines, rows with too
many or too few fields, missing and repeated ids, optional columns left out, CRLF or LF line
ends, UTF-8 with or without a byte-order mark, GB18030, tabs or commas, and now and then a
quote where RFC 4180 puts none (which sends the file to the row-by-row reader).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

COLUMNS = {
    "工单编号": "id",
    "受理时间": "time",
    "来电渠道": "channel",
    "诉求类型": "kind",
    "问题分类": "category",
    "诉求内容": "text",
    "所属区": "district",
    "街乡镇": "town",
    "街乡镇代码": "code",
    "详细地址": "address",
    "经度": "lon",
    "纬度": "lat",
    "坐标系": "crs",
    "是否派单": "flag",
    "是否响应": "flag",
    "是否回访": "flag",
    "是否解决": "flag",
    "是否满意": "satisfied",
    "来电号码": "phone",
    "姓名": "name",
}
REQUIRED = ("工单编号", "受理时间", "街乡镇")

POOLS: dict[str, list[str]] = {
    "time": [
        "2021-05-03 10:22:01",
        "2021-05-03 10:22:01",
        "2022-01-31 23:59:59",
        "2021-02-29 10:00:00",
        "2021-13-45 10:00:00",
        "2021-05-03 24:00:00",
        "1999-12-31 10:00:00",
        "2099-01-01 00:00:00",
        "2021/5/4 9:05",
        "2021年5月6日 8时30分",
        "2021年5月6日",
        "44321.5",
        "44321",
        "44348.25",
        "44322.35434027778",  # 2021-05-06 08:30:15 with the float's noise above …
        "44322.354340277774",  # … and below the second
        "20210503102201",
        "20210503",
        "202105031022",
        "not a date",
        "",
        "  ",
        " 2021-05-03 10:22:01 ",
        "2021-05-03T10:22",
        "2021-05-03",
        "2021.5.3",
        "05/03/2021",
        "2021-05-03 10:22:01.5",
        "０２１-05-03",
        "1e5",
        "-44321",
        "2021-05",
        "2021-01-01 23:59:60",
        "0000-01-01 00:00:00",
        "2021-04-31 00:00:00",
    ],  # fmt: skip
    "channel": ["12345热线电话", "网站", "北京通App", "", " 微信 ", "12345热线电话"],
    "kind": ["投诉", "咨询", "求助", "", "建议"],
    "category": [
        "城乡建设>住房>物业服务",
        "交通>停车难",
        "其他>其他",
        "",
        "物业服务",
        "x>y>z",
        "环境/噪声扰民",
        "噪声扰民 ",
        "停车难|交通",
        "城市管理-路灯",
        "未知分类",
    ],  # fmt: skip
    "text": [
        "小区物业不作为",
        "请回电13812345678谢谢",
        "座机010-62345678",
        "电话 62345678 第二行",
        "有\n换行\n的内容",
        "Windows\r\n换行",
        '带"引号"的, 逗号',
        "全角号码１３８１２３４５６７８",
        "阿拉伯数字٠١٢٣٤٥٦٧٨٩",
        "编号1234567",
        "六位123456不算",
        "",
        "  前后空格  ",
        "\u3000全角空格\u3000",
        "路灯不亮 联系电话13900001111",
        "噪声扰民",
        "停车位不足",
        "垃圾清运不及时",
        "13812345678",
    ],  # fmt: skip
    "district": ["海淀区", "朝阳区", "", "北京市西城区", "昌平", "不存在区"],
    "town": ["学院路街道", "广外", "八里庄", "沙河镇", "", "不存在街道", "海淀区学院路街道办事处"],
    "code": ["110108005", "", "110108012000", "１１０１０２０２０", "123", "110105015"],
    "address": [
        "学院路某小区",
        "北京市朝阳区望京街道望京西园",
        "",
        "某路13812345678号",
        "海淀区八里庄",
        "地址,带逗号",
        "  ",
    ],  # fmt: skip
    "lon": ["116.3456", "116.345678", "", "abc", "0", "-0", "116", "1e2", " 116.3 ", "116.3,"],
    "lat": ["39.98765", "39.9", "", "x", "0", "-0.0", "40", "4e1", "39.123456789012345"],
    "crs": ["wgs84", "gcj02", "bd09", "", "GCJ-02", "BD-09", "WGS-84", "cgcs2000"],
    "flag": ["是", "否", "1", "0", "", "TRUE", " 是 ", "已响应", "未解决", "x", "√", "×"],
    "satisfied": ["满意", "不满意", "基本满意", "5", "4", "3", "1", "0", "", "是", "否", "4.5"],
    "phone": ["13812345678", "010-62345678", "", "1381234567x"],
    "name": ["张三", "李四13812345678", "", "王五"],
}


def write_hostile_export(path: Path, seed: int, *, rows: int = 300) -> Path:
    """Write one hostile export at ``path`` (suffix and encoding chosen from ``seed``)."""
    rng = np.random.default_rng(seed)
    header = [h for h in COLUMNS if h in REQUIRED or rng.random() < 0.75]
    rng.shuffle(header)
    if rng.random() < 0.2:
        header = [f" {h} " if rng.random() < 0.3 else h for h in header]
    quoting = csv.QUOTE_ALL if rng.random() < 0.2 else csv.QUOTE_MINIMAL
    delimiter = "\t" if rng.random() < 0.1 else ","
    newline = "\r\n" if rng.random() < 0.3 else "\n"
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, quoting=quoting, lineterminator=newline)
    writer.writerow(header)
    ids = [f"A{i:05d}" for i in range(rows)]
    for i in range(rows):
        row = [_cell(rng, COLUMNS[h.strip()], ids, i) for h in header]
        roll = rng.random()
        if roll < 0.03:
            row += ["多余", "13812345678"][: 1 + int(rng.integers(0, 2))]
        elif roll < 0.05:
            row = row[: int(rng.integers(1, len(row)))]
        elif roll < 0.07:
            out.write(rng.choice(["", " ", "\t", ",,,"]) + newline)
        elif roll < 0.08:
            row = [""] * len(row)
        writer.writerow(row)
    text = out.getvalue()
    if rng.random() < 0.1:  # a quote inside an unquoted value: the row-by-row reader's case
        text = text.replace("小区物业", 'x"小区物业', 1)
    encoding = str(rng.choice(["utf-8", "utf-8-sig", "gb18030"]))
    suffix = ".tsv" if delimiter == "\t" else ".csv"
    target = path.with_suffix(suffix)
    target.write_bytes(text.encode(encoding))
    return target


def _cell(rng: np.random.Generator, kind: str, ids: list[str], i: int) -> str:
    if kind == "id":
        roll = rng.random()
        if roll < 0.03:
            return str(rng.choice(["", "  "]))
        return ids[int(rng.integers(0, i + 1))] if roll < 0.1 else ids[i]
    return str(rng.choice(POOLS[kind]))
