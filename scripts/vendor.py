#!/usr/bin/env python3
"""Copies the web UI's pinned front-end libraries from node_modules/ into
web/vendor/ (run by `make vendor`, after `npm ci` has installed the versions
that package.json and package-lock.json pin).

The copies are npm's own ES module builds, unchanged but for three things:
a first comment naming the package, version and licence; the source-map
comment dropped (the maps are not shipped); and preact/hooks' bare import
"preact" made relative ("./preact.mjs"), since a browser resolves no bare
names without an import map, which the UI's CSP would not allow inline.
Each package's LICENSE is copied beside it.
"""
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NM = os.path.join(ROOT, "node_modules")
OUT = os.path.join(ROOT, "web", "vendor")

# (package, file in the package, file in web/vendor)
FILES = [
    ("preact", "dist/preact.module.js", "preact.mjs"),
    ("preact", "hooks/dist/hooks.module.js", "hooks.mjs"),
    ("htm", "dist/htm.module.js", "htm.mjs"),
]
IMPORTS = {'from"preact"': 'from"./preact.mjs"'}


def main():
    os.makedirs(OUT, exist_ok=True)
    seen = set()
    for pkg, src, dst in FILES:
        meta = json.load(open(os.path.join(NM, pkg, "package.json")))
        text = open(os.path.join(NM, pkg, src), encoding="utf-8").read()
        text = re.sub(r"\n?//# sourceMappingURL=\S+\s*$", "\n", text)
        for old, new in IMPORTS.items():
            text = text.replace(old, new)
        if re.search(r'(from|import)\s*"[^./]', text):
            sys.exit("vendor.py: %s still imports a bare name" % dst)
        head = "/* %s %s (%s), %s: see LICENSE-%s.txt. Copied by scripts/vendor.py. */\n" % (
            pkg, meta["version"], src, meta.get("license", "?"), pkg)
        with open(os.path.join(OUT, dst), "w", encoding="utf-8") as f:
            f.write(head + text.rstrip("\n") + "\n")
        if pkg not in seen:
            seen.add(pkg)
            lic = open(os.path.join(NM, pkg, "LICENSE"), encoding="utf-8").read()
            with open(os.path.join(OUT, "LICENSE-%s.txt" % pkg), "w", encoding="utf-8") as f:
                f.write(lic)
        print("vendor: web/vendor/%s <- %s@%s %s" % (dst, pkg, meta["version"], src))


if __name__ == "__main__":
    main()
