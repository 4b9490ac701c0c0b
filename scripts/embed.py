#!/usr/bin/env python3
"""Embeds files into a C source as a table, so that the binary carries them.

usage: embed.py OUT.c SYMBOL FILE...
Writes `const struct tl_embedded SYMBOL[]` (name, data, len) and
`const size_t SYMBOL_n`, in the order the files are given. The struct is
declared in src/core/embedded.h.
"""
import os
import sys


def main():
    out, sym, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    lines = ['#include "core/embedded.h"', "", f"const struct tl_embedded {sym}[] = {{"]
    for path in files:
        data = open(path, "rb").read()
        body = "".join(f"\\x{b:02x}" for b in data)
        chunks = [body[i:i + 120] for i in range(0, len(body), 120)] or [""]
        lit = "\n        ".join(f'"{c}"' for c in chunks)
        lines.append(f'    {{"{os.path.basename(path)}",\n        {lit},\n        {len(data)}}},')
    if not files:
        lines.append('    {"", "", 0},')
    lines.append("};")
    lines.append(f"const size_t {sym}_n = {len(files)};")
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
