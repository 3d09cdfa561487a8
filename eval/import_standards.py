"""Copy the standards-as-data (situations, examples, lawful counter-examples per item of arts. 8–11, written
from the 2025 《公平竞争审查条例实施办法》) into kb/review/data/standards.json.

Run from the repo root:  python eval/import_standards.py DIR
DIR holds data_08.py … data_11.py (each a literal `ITEMS = [...]`) or a standards.json. The .py files are read
with ast.literal_eval (never executed). Items already in the package file and absent from DIR are kept.
"""
from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "kb" / "review" / "data" / "standards.json"
KEYS = ("article", "item", "why", "advice", "situations")


def read_items(folder: Path) -> list[dict]:
    items: list[dict] = []
    if (folder / "standards.json").exists():
        items += json.loads((folder / "standards.json").read_text(encoding="utf-8"))["items"]
    for path in sorted(folder.glob("data_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "ITEMS" for t in node.targets):
                items += ast.literal_eval(node.value)
    return items


def main(folder: str) -> None:
    old = json.loads(OUT.read_text(encoding="utf-8"))["items"] if OUT.exists() else []
    merged = {(i["article"], i["item"]): i for i in old}
    for item in read_items(Path(folder)):
        merged[(item["article"], item["item"])] = {k: item[k] for k in KEYS if k in item}
    items = [merged[k] for k in sorted(merged)]
    doc = {"source": "《公平竞争审查条例实施办法》（2025）第九条至第二十三条；每项情形附违规示例与合法对照示例",
           "items": items}
    OUT.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    n_sit = sum(len(i["situations"]) for i in items)
    print(f"{OUT.relative_to(ROOT)}: {len(items)} items, {n_sit} situations")


if __name__ == "__main__":
    main(sys.argv[1])
