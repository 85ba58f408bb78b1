#!/usr/bin/env bash
# Regenerates assets/fonts/NotoSansSC-subset.otf: Noto Sans CJK SC Regular cut down to the
# characters mqlab can show, so the desktop lab renders Chinese on any machine without shipping
# a 16 MB font. The subset keeps:
#   - every non-ASCII character of lessons/*.toml and of the Rust sources of core/ and gui/
#     (lesson text, the UI string table, explanations);
#   - GB2312 level 1 (the 3755 most common hanzi), so new lesson text keeps rendering;
#   - CJK punctuation, full-width forms and a few symbols the UI draws.
# gui/tests/font.rs checks that every CJK character of the lessons and the UI is covered.
#
# Needs: fonts-noto-cjk and python3-fonttools (Debian), or NOTO_CJK=path/to/NotoSansCJK-Regular.ttc
# and `pip install fonttools`.
set -euo pipefail
cd "$(dirname "$0")/.."

src="${NOTO_CJK:-/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc}"
out=assets/fonts/NotoSansSC-subset.otf
python=python3
if ! "$python" -c 'import fontTools' 2>/dev/null; then python=/usr/bin/python3; fi
if [ ! -f "$src" ]; then
    echo "subset-font: $src not found; install fonts-noto-cjk or set NOTO_CJK" >&2
    exit 2
fi
if ! "$python" -c 'import fontTools' 2>/dev/null; then
    echo "subset-font: fontTools not found; install python3-fonttools or pip install fonttools" >&2
    exit 2
fi

chars=$(mktemp)
trap 'rm -f "$chars"' EXIT
"$python" - "$chars" <<'PY'
import glob, sys

text = set()
sources = glob.glob("lessons/*.toml") + glob.glob("core/src/**/*.rs", recursive=True) \
    + glob.glob("gui/src/**/*.rs", recursive=True)
for path in sources:
    with open(path, encoding="utf-8") as f:
        text.update(c for c in f.read() if ord(c) > 0x7F)
# GB2312 level 1: rows 0xB0..0xD7, columns 0xA1..0xFE (row 0xD7 ends at 0xF9).
for row in range(0xB0, 0xD8):
    for col in range(0xA1, 0xFF):
        try:
            text.add(bytes([row, col]).decode("gb2312"))
        except UnicodeDecodeError:
            pass
text.update(chr(c) for c in range(0x3000, 0x3040))  # CJK symbols and punctuation
text.update(chr(c) for c in range(0xFF01, 0xFF5F))  # full-width ASCII forms
text.update("“”‘’…—–·•→←↑↓↔⇒✓✗×÷°")
# Arrows and geometric shapes: egui and the lab draw some of them (▶ ▾ ⏸ …).
text.update(chr(c) for c in range(0x2190, 0x2200))
text.update(chr(c) for c in range(0x25A0, 0x2600))
with open(sys.argv[1], "w", encoding="utf-8") as f:
    f.write("".join(sorted(text)))
print(f"subset-font: {len(text)} characters from {len(sources)} files + GB2312 level 1")
PY

"$python" -m fontTools.subset "$src" --font-number=2 --text-file="$chars" \
    --output-file="$out" --no-hinting --layout-features='' --name-IDs='*' --name-legacy \
    --notdef-outline
echo "subset-font: wrote $out ($(wc -c <"$out") bytes)"
