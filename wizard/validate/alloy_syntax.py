"""A parser for Grafana Alloy configuration syntax, and a check that references resolve.

No Alloy binary or parser is available from the package registries, so this follows the
documented syntax: blocks (``name.part "label" { ... }``), attributes (``key = expr``), and
expressions (strings, raw strings, numbers, bools, null, arrays, objects, references with field
access and indexing, calls, unary and binary operators, parentheses), with ``//`` and ``/* */``
comments. It is not the reference parser: it accepts what the generated config needs and what
Alloy documents, and reports the first syntax error with its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(
    r"""
    (?P<ws>[ \t\r]+)
  | (?P<newline>\n)
  | (?P<comment>//[^\n]*|/\*.*?\*/)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<unterminated>"[^\n]*)
  | (?P<raw>`[^`]*`)
  | (?P<number>\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|&&|\|\||[-+*/%^<>!=.,(){}\[\]])
    """,
    re.VERBOSE | re.DOTALL,
)

#: Standard-library namespaces: references into them are not components.
STDLIB = {"constants", "sys", "env", "encoding", "string", "array", "convert", "json_path", "file", "coalesce",
          "concat", "format", "join", "json_decode", "yaml_decode", "nonsensitive", "to_lower", "to_upper", "trim",
          "trim_prefix", "trim_suffix", "trim_space", "split", "replace", "base64_decode"}
_BINARY = [("||",), ("&&",), ("==", "!=", "<", "<=", ">", ">="), ("+", "-"), ("*", "/", "%"), ("^",)]


class AlloySyntaxError(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


@dataclass
class Token:
    kind: str
    text: str
    line: int


@dataclass
class Block:
    name: str
    label: str | None
    line: int
    blocks: list[Block] = field(default_factory=list)
    attributes: dict[str, int] = field(default_factory=dict)  # name -> line


@dataclass
class Reference:
    path: str  # e.g. discovery.relabel.pod_logs.output
    line: int
    called: bool  # a function call such as sys.env("X")


@dataclass
class Config:
    blocks: list[Block]
    references: list[Reference]


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    line = 1
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise AlloySyntaxError(line, f"unexpected character {text[pos]!r}")
        kind = match.lastgroup or ""
        value = match.group()
        if kind == "unterminated":
            raise AlloySyntaxError(line, "unterminated string")
        if kind == "comment" and value.startswith("/*") and not value.endswith("*/"):
            raise AlloySyntaxError(line, "unterminated comment")
        if kind == "newline":
            tokens.append(Token("newline", "\n", line))
        elif kind not in ("ws", "comment"):
            tokens.append(Token(kind, value, line))
        line += value.count("\n")
        pos = match.end()
    if text.count("/*") > text.count("*/"):
        raise AlloySyntaxError(line, "unterminated comment")
    tokens.append(Token("eof", "", line))
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.pos = 0
        self.references: list[Reference] = []

    # --- helpers ---
    def peek(self, skip_newlines: bool = True) -> Token:
        pos = self.pos
        while skip_newlines and self.tokens[pos].kind == "newline":
            pos += 1
        return self.tokens[pos]

    def next(self, skip_newlines: bool = True) -> Token:
        while skip_newlines and self.tokens[self.pos].kind == "newline":
            self.pos += 1
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def expect(self, text: str) -> Token:
        token = self.next()
        if token.text != text:
            shown = "end of file" if token.kind == "eof" else repr(token.text)
            raise AlloySyntaxError(token.line, f"expected {text!r}, found {shown}")
        return token

    # --- statements ---
    def body(self, closing: str | None) -> tuple[list[Block], dict[str, int]]:
        blocks: list[Block] = []
        attributes: dict[str, int] = {}
        while True:
            token = self.peek()
            if closing is None and token.kind == "eof":
                return blocks, attributes
            if closing is not None and token.text == closing:
                self.next()
                return blocks, attributes
            if token.kind != "ident":
                shown = "end of file" if token.kind == "eof" else repr(token.text)
                raise AlloySyntaxError(token.line, f"expected a block or an attribute, found {shown}")
            start = self.next()
            name = [start.text]
            while self.peek(skip_newlines=False).text == ".":
                self.next(skip_newlines=False)
                part = self.next(skip_newlines=False)
                if part.kind != "ident":
                    raise AlloySyntaxError(part.line, f"expected a name after '.', found {part.text!r}")
                name.append(part.text)
            following = self.peek(skip_newlines=False)
            if following.text == "=" and len(name) == 1:
                self.next(skip_newlines=False)
                if start.text in attributes:
                    raise AlloySyntaxError(start.line, f"attribute {start.text!r} is set twice")
                attributes[start.text] = start.line
                self.expression()
                end = self.peek(skip_newlines=False)
                if end.kind not in ("newline", "eof") and end.text != closing:
                    raise AlloySyntaxError(end.line, f"expected a new line after the value of {start.text!r}, found {end.text!r}")
                continue
            label = None
            if following.kind == "string":
                label = self.next(skip_newlines=False).text[1:-1]
            brace = self.next(skip_newlines=False)
            if brace.text != "{":
                shown = {"newline": "a new line", "eof": "end of file"}.get(brace.kind, repr(brace.text))
                raise AlloySyntaxError(brace.line, f"expected '{{' to open block {'.'.join(name)}, found {shown}" if label or len(name) > 1
                                       else f"expected '=' or '{{' after {start.text!r}, found {shown}")
            inner_blocks, inner_attributes = self.body("}")
            blocks.append(Block(".".join(name), label, start.line, inner_blocks, inner_attributes))

    # --- expressions ---
    def expression(self, level: int = 0) -> None:
        if level == len(_BINARY):
            self.unary()
            return
        self.expression(level + 1)
        while self.peek(skip_newlines=False).text in _BINARY[level]:
            self.next(skip_newlines=False)
            self.expression(level + 1)

    def unary(self) -> None:
        if self.peek(skip_newlines=False).text in ("!", "-"):
            self.next(skip_newlines=False)
        self.postfix()

    def postfix(self) -> None:
        token = self.next(skip_newlines=False)
        chain: list[str] | None = None
        if token.kind in ("string", "raw", "number"):
            pass
        elif token.kind == "ident" and token.text in ("true", "false", "null"):
            pass
        elif token.kind == "ident":
            chain = [token.text]
        elif token.text == "(":
            self.expression()
            self.expect(")")
        elif token.text == "[":
            self.sequence("]", self.expression)
        elif token.text == "{":
            self.sequence("}", self.object_field)
        else:
            shown = "end of file" if token.kind == "eof" else ("a new line" if token.kind == "newline" else repr(token.text))
            raise AlloySyntaxError(token.line, f"expected a value, found {shown}")
        called = False
        while True:
            following = self.peek(skip_newlines=False)
            if following.text == "." and chain is not None and not called:
                self.next(skip_newlines=False)
                part = self.next(skip_newlines=False)
                if part.kind != "ident":
                    raise AlloySyntaxError(part.line, f"expected a field name after '.', found {part.text!r}")
                chain.append(part.text)
            elif following.text == "(":
                self.next(skip_newlines=False)
                self.sequence(")", self.expression)
                called = True
            elif following.text == "[":
                self.next(skip_newlines=False)
                self.expression()
                self.expect("]")
            else:
                break
        if chain is not None:
            self.references.append(Reference(".".join(chain), token.line, called))

    def object_field(self) -> None:
        key = self.next()
        if key.kind not in ("ident", "string"):
            raise AlloySyntaxError(key.line, f"expected an object key, found {key.text!r}")
        self.expect("=")
        self.expression()

    def sequence(self, closing: str, item) -> None:
        while True:
            if self.peek().text == closing:
                self.next()
                return
            item()
            separator = self.next()
            if separator.text == closing:
                return
            if separator.text != ",":
                shown = "end of file" if separator.kind == "eof" else repr(separator.text)
                raise AlloySyntaxError(separator.line, f"expected ',' or {closing!r}, found {shown}")


def parse(text: str) -> Config:
    parser = _Parser(text)
    blocks, attributes = parser.body(None)
    if attributes:
        name, line = next(iter(attributes.items()))
        raise AlloySyntaxError(line, f"attribute {name!r} outside a block")
    return Config(blocks, parser.references)


def problems(text: str) -> list[tuple[int, str]]:
    """(line, message) for a syntax error, duplicate components and references to undeclared ones."""
    try:
        config = parse(text)
    except AlloySyntaxError as exc:
        return [(exc.line, exc.message)]
    found: list[tuple[int, str]] = []
    declared: dict[str, int] = {}
    for block in config.blocks:
        if block.label is None:
            continue
        component = f"{block.name}.{block.label}"
        if component in declared:
            found.append((block.line, f'component {block.name} "{block.label}" is declared twice (first on line {declared[component]})'))
        declared[component] = block.line
    for ref in config.references:
        if ref.called or ref.path.split(".")[0] in STDLIB:
            continue
        parts = ref.path.split(".")
        if not any(".".join(parts[:n]) in declared for n in range(2, len(parts))):
            found.append((ref.line, f"reference to undeclared component: {ref.path}"))
    return found
