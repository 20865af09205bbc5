"""Write the hand-designed import fixtures of tests/test_ingest.py (run: python tests/data/make_import_fixtures.py).

Every row is written by hand below; only the coordinates are searched for: a point inside the
named town whose GCJ-02 (or BD-09) form, if misread as WGS84, falls in another town, so the
coordinate-system detection has something to decide.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from heatmap.geo.assign import TownIndex
from heatmap.geo.coords import from_wgs84
from heatmap.geo.geography import load_boundary_set

HERE = Path(__file__).parent
TOWNS = load_boundary_set().frame
INDEX = TownIndex.from_frame(TOWNS, code_field="code9")
CODE = dict(zip(TOWNS["name"], TOWNS["code9"], strict=True))


def telling_point(town: str, crs: str) -> tuple[float, float]:
    """Raw ``crs`` coordinates of a point inside ``town`` that would leave it if read as WGS84."""
    geom = TOWNS.loc[TOWNS["name"] == town, "geometry"].iloc[0]
    minx, miny, maxx, maxy = geom.bounds
    xs, ys = np.meshgrid(np.linspace(minx, maxx, 80), np.linspace(miny, maxy, 80))
    x, y = xs.ravel(), ys.ravel()
    inside = INDEX.lookup(x, y) == CODE[town]
    rx, ry = from_wgs84(x, y, crs)
    misread = INDEX.lookup(rx, ry) != CODE[town]
    ok = np.flatnonzero(inside & misread)
    i = ok[len(ok) // 2]
    return round(float(rx[i]), 6), round(float(ry[i]), 6)


def gbk_csv() -> None:
    """A messy GBK export: Chinese headers, name forms, GCJ-02 points, a duplicate, broken rows."""
    header = "工单编号,受理时间,来电渠道,诉求类型,问题分类,诉求内容,所属区,街乡镇,详细地址,经度,纬度,是否响应,是否解决,是否满意,来电号码,姓名"
    p = {
        t: telling_point(t, "gcj02")
        for t in ("学院路街道", "广安门外街道", "回龙观街道", "沙河地区", "西红门地区", "望京街道")
    }
    rows = [
        f"A001,2021-05-03 10:22:01,12345热线电话,投诉,城乡建设>住房>物业服务,小区物业不作为,海淀区,学院路街道,学院路某小区,{p['学院路街道'][0]},{p['学院路街道'][1]},是,是,满意,13812345678,张三",
        f"A002,2021/5/4 9:05,网站,求助,,路灯不亮 联系电话13900001111,西城区,广外,广外某路,{p['广安门外街道'][0]},{p['广安门外街道'][1]},是,否,不满意,13900001111,李四",
        f"A003,44321.5,12345热线电话,投诉,交通>停车难,停车位不足,,海淀区学院路街道办事处,,{p['学院路街道'][0]},{p['学院路街道'][1]},1,1,基本满意,010-62345678,王五",
        f"A004,2021年5月6日 8时30分,北京通App,举报,,噪声扰民,,,,{p['回龙观街道'][0]},{p['回龙观街道'][1]},是,,,,",
        "A005,2021-05-07,12345热线电话,咨询,,咨询政策,,,北京市朝阳区望京街道望京西园,,,否,,,,",
        f"A001,2021-05-03 10:22:01,12345热线电话,投诉,城乡建设>住房>物业服务,小区物业不作为,海淀区,学院路街道,学院路某小区,{p['学院路街道'][0]},{p['学院路街道'][1]},是,是,满意,13812345678,张三",
        "A006,not a date,12345热线电话,投诉,,垃圾清运不及时,昌平区,沙河镇,,,,是,是,满意,,",
        ",2021-05-08,12345热线电话,投诉,,无编号的工单,昌平区,沙河镇,,,,是,是,满意,,",
        f"A007,2021-05-09 14:00,12345热线电话,投诉,,垃圾清运不及时,昌平区,沙河镇,,{p['沙河地区'][0]},{p['沙河地区'][1]},是,是,4,,",
        f"A008,2021-05-10 16:45,12345热线电话,投诉,,物业费纠纷 请回电13712345678,大兴区,西红门镇,,{p['西红门地区'][0]},{p['西红门地区'][1]},是,否,不满意,13712345678,赵六",
        f"A009,2021-05-11 09:00,12345热线电话,投诉,,名称与坐标不符,海淀区,学院路,,{p['望京街道'][0]},{p['望京街道'][1]},是,是,满意,,",
        "A010,2021-05-12 11:11,12345热线电话,建议,,无法定位,,不存在街道,某路,,,是,,,,",
        "A011,2021-05-12 11:12,12345热线电话,投诉,,多了两列,海淀区,学院路街道,,,,是,是,满意,,,多余,多余",
    ]
    (HERE / "export_gbk.csv").write_bytes(("\r\n".join([header, *rows]) + "\r\n").encode("gbk"))


def bd09_xlsx() -> None:
    """An English-header XLSX with BD-09 points, Excel serial times and 1–5 satisfaction scores."""
    p = {t: telling_point(t, "bd09") for t in ("学院路街道", "回龙观街道", "望京街道")}
    frame = pd.DataFrame(
        {
            "ticket_id": ["B001", "B002", "B003", "B004"],
            "created_at": ["44348.25", "2021-06-02 08:00", "2021-06-03", "2021-06-04 18:30:00"],
            "town": ["学院路街道", "", "望京", "回龙观"],
            "lon": [p["学院路街道"][0], p["回龙观街道"][0], p["望京街道"][0], p["回龙观街道"][0]],
            "lat": [p["学院路街道"][1], p["回龙观街道"][1], p["望京街道"][1], p["回龙观街道"][1]],
            "satisfaction": ["5", "2", "", "4"],
            "phone": ["13800000001", "13800000002", "", "13800000004"],
        }
    )
    frame.to_excel(HERE / "export_bd09.xlsx", index=False)


if __name__ == "__main__":
    gbk_csv()
    bd09_xlsx()
