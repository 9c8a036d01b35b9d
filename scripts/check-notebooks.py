#!/usr/bin/env python3
"""Checks executed notebooks (nbformat 4 JSON, stdlib only).

Every notebook: every code cell executed, no error output, at least one inline image/png whose
data decodes to a PNG. Per notebook (by file name), the outputs it must show:
  quickstart.ipynb   - sigma per layer printed and as a cell value, one PNG (sigma over training)
  gan-ring.ipynb     - two PNG scatter plots (with and without SN) and the mode metrics; the SN GAN
                       covers at least 7 of the 8 modes (it learns the ring within the CI run)
  translation.ipynb  - three printed translations "english  ->  french", sigmas, a loss PNG
Usage: check-notebooks.py EXECUTED.ipynb...
"""
import base64
import json
import os
import re
import sys

EXPECT = {
    "quickstart.ipynb": {
        "png": 1,
        "stdout": [r"exact sigma\(W_SN\) = (0\.9[5-9]|1\.0)", r"baked layer 0: DenseLayer",
                   r"max \|SN output - baked output\| = "],
        "result": [r"\{layer0/W=\d"],
    },
    "gan-ring.ipynb": {
        "png": 2,
        "stdout": [r"SN GAN: modes covered [78]/8", r"plain GAN: ", r"discriminator sigmas: \{layer0/W="],
        "result": [],
    },
    "translation.ipynb": {
        "png": 1,
        "stdout": [r"(?m)^the cat sleeps  ->  \S", r"(?m)^a dog runs  ->  \S",
                   r"(?m)^we eat bread  ->  \S", r"epoch 150  loss"],
        "result": [r"encoder/W"],
    },
}


def text(x):
    return "".join(x) if isinstance(x, list) else (x or "")


def check(path):
    problems = []
    nb = json.load(open(path))
    name = os.path.basename(path)
    expect = EXPECT.get(name, {"png": 1, "stdout": [], "result": []})
    stdout, results, pngs = [], [], 0
    code_cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    for i, cell in enumerate(code_cells):
        if cell.get("execution_count") is None:
            problems.append(f"code cell {i} was not executed")
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "error":
                problems.append(f"code cell {i}: {out.get('ename')}: {out.get('evalue')}")
            elif kind == "stream" and out.get("name") == "stdout":
                stdout.append(text(out.get("text")))
            elif kind in ("display_data", "execute_result"):
                data = out.get("data", {})
                if kind == "execute_result":
                    results.append(text(data.get("text/plain")))
                if "image/png" in data:
                    raw = base64.b64decode(text(data["image/png"]))
                    if raw[:8] != b"\x89PNG\r\n\x1a\n" or len(raw) < 1000:
                        problems.append(f"code cell {i}: image/png is not a real PNG")
                    else:
                        pngs += 1
    if pngs < max(expect["png"], 1):
        problems.append(f"{pngs} inline PNG image(s), expected at least {expect['png']}")
    all_out = "".join(stdout)
    for pattern in expect["stdout"]:
        if not re.search(pattern, all_out):
            problems.append(f"no printed output matching /{pattern}/")
    for pattern in expect["result"]:
        if not any(re.search(pattern, r) for r in results):
            problems.append(f"no cell value matching /{pattern}/")
    return name, len(code_cells), pngs, problems


def main(paths):
    if not paths:
        print(__doc__)
        return 2
    failed = False
    for path in paths:
        name, cells, pngs, problems = check(path)
        if problems:
            failed = True
            print(f"FAIL {name}:")
            for p in problems:
                print(f"  - {p}")
        else:
            print(f"ok   {name}: {cells} code cells, {pngs} inline PNG(s), expected outputs present")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
