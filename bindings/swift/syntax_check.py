"""Parses Swift files with tree-sitter-swift and reports every syntax error.

Usage: python syntax_check.py FILE.swift...  Exit status 1 if any file has an error.

This proves syntax only: names and types go unchecked (no Swift compiler is reachable here).
Two grammar gaps of tree-sitter-swift 0.7.4 are worked around, both in code UniFFI generates
and both valid Swift:
- an attribute alone inside `#if swift(>=5.8) ... #endif` (UniFFI's
  `@_documentation(visibility: private)`): those three-line blocks are blanked, line numbers kept;
- a closure whose body is the empty tuple, `{ () }` (UniFFI's `let writeReturn = { () }`): it is
  read as `{ }`, the same closure.
"""
import re
import sys

import tree_sitter
import tree_sitter_swift

DOC_BLOCK = re.compile(r"#if swift\(>=5\.8\)\n\s*@_documentation\(visibility: private\)\n#endif")
LANGUAGE = tree_sitter.Language(tree_sitter_swift.language())


def errors(source: str):
    cleaned = DOC_BLOCK.sub(lambda m: "\n" * m.group(0).count("\n"), source)
    cleaned = cleaned.replace("= { () }", "= {    }")
    tree = tree_sitter.Parser(LANGUAGE).parse(cleaned.encode())
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            yield node.start_point[0] + 1, node.start_point[1] + 1, "missing" if node.is_missing else "error"
        elif node.has_error:
            stack.extend(node.children)


def main(paths):
    bad = 0
    for path in paths:
        with open(path, encoding="utf-8") as f:
            found = list(errors(f.read()))
        for line, col, kind in found[:20]:
            print(f"{path}:{line}:{col}: syntax {kind}")
        print(f"{path}: {len(found)} syntax errors")
        bad += bool(found)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
