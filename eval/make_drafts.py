"""Generate the whole-draft evaluation documents in eval/drafts/ (.docx, .pdf, .txt) and their labels.

Run from the repo root: python eval/make_drafts.py
The drafts were written separately from eval/review.jsonl and were not used to tune the rules.
Labels: clause number (as kb.review.clauses numbers it) → {"article", "item", "alt"?} or "lawful".
"""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "eval" / "drafts"
L = "lawful"


def v(article: int, item: int, *alt: tuple[int, int]) -> dict:
    return {"article": article, "item": item, "alt": [list(a) for a in alt]}


DOCX_TITLE = "某县促进工业经济高质量发展若干措施（征求意见稿）"
DOCX = [
    ("第一条", "为推动全县工业经济高质量发展，根据有关法律法规和政策规定，结合本县实际，制定本措施。", L),
    ("第二条", "本措施适用于在本县行政区域内依法登记、从事工业生产经营的各类企业。", L),
    ("第三条", "对当年新开工、固定资产投资达到1亿元以上的工业项目，按设备投资额的5%给予补助，单个项目最高不超过300万元，申报条件和程序向社会公布。", L),
    ("第四条", "对新引进的工业企业，投产后前三年按其形成的县级财政收入的80%给予产业扶持资金，后两年按50%给予扶持。", v(10, 1, (10, 2))),
    ("第五条", "享受本措施第四条扶持的企业，须承诺在本县经营不少于十年，提前迁出的，应当全额退还已享受的扶持资金。", v(9, 1)),
    ("第六条", "全县政府投资工业园区标准化厂房建设项目，施工单位原则上从本县注册的建筑企业中选定。", v(9, 3)),
    ("第七条", "县财政对县经开区管委会确定的“链主”企业，每年给予最高500万元的专项奖励。", v(10, 2)),
    ("第八条", "对年度研发投入超过500万元的企业，按研发投入增量的10%给予奖励，各类所有制企业平等享受。", L),
    ("第九条", "园区内企业用电统一由县恒通电力服务有限公司代理购电，不得自行参与电力市场交易。", v(8, 3, (11, 4))),
    ("第十条", "对入驻县智能制造产业园的企业，工业用地按不低于国家规定最低价标准通过招拍挂出让。", L),
    ("第十一条", "企业新招用员工，本县户籍人员占比达到70%以上的，方可申请稳岗补贴。", v(9, 6)),
    ("第十二条", "对获得国家级“专精特新”小巨人企业认定的，一次性奖励50万元。", L),
    ("第十三条", "县内混凝土、砂浆生产企业由县建材行业协会统一协调生产配额和销售价格。", v(11, 1)),
    ("第十四条", "对外地企业在本县投资建设的项目，在用地、用能等方面与本县企业享受同等待遇。", L),
    ("第十五条", "为推进重点行业超低排放改造，对完成改造的企业按改造投资额的20%给予补助，本条执行至2027年12月31日。", L),
    ("第十六条", "本措施自印发之日起施行，有效期三年。", L),
]

PDF_TITLE = "某市关于进一步加强城市公共服务市场管理的通知（送审稿）"
PDF = [
    ("一、总体要求", None, None),
    ("（一）", "坚持公开、公平、公正原则，保障各类市场主体依法平等参与城市公共服务供给。", L),
    ("（二）", "各部门要落实公平竞争审查制度，不得出台排除、限制竞争的政策措施。", L),
    ("二、主要措施", None, None),
    ("（一）", "全市新建小区的电梯维护保养服务，统一由市特种设备安装维修有限公司承担。", v(8, 2, (8, 3))),
    ("（二）", "城区生活垃圾分类收运实行特许经营，经营权直接授予市城发环境公司，期限三十五年。", v(8, 2)),
    ("（三）", "在本市开展网约车经营的平台企业，须在本市设立分公司并将车辆、驾驶员数据接入市交通运输局监管平台。", v(9, 2)),
    ("（四）", "外地殡葬服务机构在本市承接业务，应当每年重新向市民政局申请资格审核。", v(9, 5)),
    ("（五）", "物业服务收费实行市场调节价，由物业服务企业与业主协商确定，并明码标价。", L),
    ("（六）", "全市桶装水销售价格不得高于每桶15元，各经营户不得擅自涨价。", v(11, 3)),
    ("（七）", "市公共资源交易中心开展的物业、保洁服务采购，评审中对在本市纳税满三年的供应商给予加分。", v(9, 3)),
    ("（八）", "鼓励社会资本参与城市停车设施建设运营，停车收费标准由经营者自主确定。", L),
    ("（九）", "对市属国有企业投资建设的公共充电桩，给予每千瓦300元的建设补贴，民营企业建设的不纳入补贴范围。", v(10, 2)),
    ("（十）", "城区新增公共停车泊位的，经营者须经市城管局批准后方可收费经营。", v(8, 1)),
    ("三、保障措施", None, None),
    ("（一）", "市市场监管局加强价格监测，依法查处哄抬价格、价格欺诈等违法行为。", L),
    ("（二）", "本通知自发布之日起施行。", L),
]

TXT_TITLE = "某区支持现代服务业发展的若干政策（征求意见稿）"
TXT = [
    ("一、总则", None, None),
    ("1.", "为加快现代服务业发展，结合本区实际，制定本政策。", L),
    ("2.", "本政策所称现代服务业企业，是指在本区依法登记、从事信息服务、现代物流、商务服务等行业的企业。", L),
    ("二、支持措施", None, None),
    ("3.", "对新设立的区域总部企业，按其当年实缴增值税、企业所得税区级留存部分的60%给予经营贡献奖励。", v(10, 1, (10, 2))),
    ("4.", "对物流企业购置新能源货车的，按车辆购置价的10%给予补贴；购置本区企业生产车辆的，补贴比例提高至15%。", v(9, 4)),
    ("5.", "区内政府投资项目的造价咨询、监理等服务，原则上委托区住建局推荐名单内的中介机构承担。", v(8, 3)),
    ("6.", "对服务业企业租用区属国有资产房产的，经区政府研究同意，可按市场租金的30%收取。", v(10, 3)),
    ("7.", "鼓励区内企业优先选用区内物流企业提供的仓储配送服务，对选用的给予运费20%补贴。", v(9, 1, (9, 4))),
    ("8.", "对年营业收入首次达到5000万元的服务业企业，给予一次性奖励30万元，申报指南在区政府门户网站公开。", L),
    ("9.", "区内会展活动的搭建、广告服务，应当由区会展中心有限公司统一承办。", v(8, 3, (8, 2))),
    ("10.", "组织区内驾培机构成立行业联盟，执行统一的培训收费标准。", v(11, 1)),
    ("11.", "对区内企业参加国内外重点展会的，按展位费的50%给予补助，各类企业均可申报。", L),
    ("12.", "外地人力资源服务机构在本区设立分支机构的，与本区机构适用相同的许可条件和办理时限。", L),
    ("13.", "对引进的高层次人才给予安家补贴，补贴标准和申报条件向社会公开。", L),
    ("14.", "因突发公共卫生事件需要，区政府可在应急响应期间对重点保供物资实施临时价格干预措施，应急响应结束即行终止。", L),
    ("三、附则", None, None),
    ("15.", "本政策由区发展改革局负责解释。", L),
    ("16.", "本政策自2025年1月1日起施行，有效期至2027年12月31日。", L),
]


def _lines(title: str, rows) -> list[str]:
    return [title] + [label if text is None else f"{label}{'' if label.endswith(('.', '）')) else ' '}{text}" for label, text, _ in rows]


def _labels(rows, numbering) -> dict:
    out, part = {}, ""
    for label, text, lab in rows:
        if text is None:
            part = label.split("、")[0] + "、"
            continue
        out[numbering(part, label)] = lab
    return out


def write_docx(path: Path) -> None:
    from docx import Document

    doc = Document()
    doc.add_heading(DOCX_TITLE, level=1)
    for line in _lines(DOCX_TITLE, DOCX)[1:]:
        doc.add_paragraph(line)
    doc.save(str(path))


def write_pdf(path: Path) -> None:
    pdf_of_lines(_lines(PDF_TITLE, PDF), path)


def pdf_of_lines(lines, path: Path) -> None:
    """A real PDF of Chinese text lines, wrapped at 34 characters like a printed page (eval_review uses it for
    the .pdf rendering of every .txt draft)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path), pagesize=A4)
    width, height = A4
    y = height - 60
    for line in lines:
        for piece in textwrap.wrap(line, 34) or [""]:  # visual line breaks, as in a real PDF
            if y < 60:
                c.showPage()
                y = height - 60
            c.setFont("STSong-Light", 12)
            c.drawString(50, y, piece)
            y -= 20
        y -= 6
    c.save()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    write_docx(OUT / "industry_measures.docx")
    write_pdf(OUT / "public_service_notice.pdf")
    (OUT / "service_policy.txt").write_text("\n".join(_lines(TXT_TITLE, TXT)) + "\n", encoding="utf-8")
    labels = {
        "industry_measures.docx": _labels(DOCX, lambda part, label: label),
        "public_service_notice.pdf": _labels(PDF, lambda part, label: part + label),
        "service_policy.txt": _labels(TXT, lambda part, label: label),
    }
    (OUT / "labels.json").write_text(json.dumps(labels, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"wrote {len(labels)} drafts to {OUT}")


if __name__ == "__main__":
    main()
