"""Read and write the YAML answers file.

Reading reports every problem at once as ``FILE:LINE: field.path: what is wrong``. A value that
looks like a secret is refused. Missing values take the model's defaults.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wizard import __version__
from wizard.answers import secret_guard
from wizard.base import yamlio
from wizard.base.errors import AnswersInvalid, BadInput

if TYPE_CHECKING:  # the model (pydantic) loads with the first answers parsed, not with the paths below
    from pydantic import ValidationError

    from wizard.answers.model import Answers

#: Where the answers live in the target repo (relative to its root).
ANSWERS_PATH = ".obs-wizard/answers.yaml"
SCHEMA_PATH = ".obs-wizard/answers.schema.json"
#: An answers file is a few hundred bytes; anything much larger is the wrong file or an attack.
MAX_BYTES = 64 * 1024
MAX_PROBLEMS = 50


def _yaml():  # ruamel.yaml is imported only when a file has a problem to report
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt", pure=True)
    yaml.allow_duplicate_keys = False
    return yaml


def load(path: Path, defaults: dict[str, dict[str, Any]] | None = None) -> Answers:
    """Parse and validate an answers file; raises AnswersInvalid or BadInput.

    ``defaults`` (section -> field -> value, e.g. found in the target repo) fill what the file leaves
    unset; the file always wins.
    """
    return parse(read_text(path), str(path), defaults)


def read_text(path: Path) -> str:
    """The answers file's text: a regular file of at most MAX_BYTES (a FIFO or /dev/zero is refused)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)  # O_NONBLOCK: a FIFO cannot hang the open
    except FileNotFoundError:
        raise BadInput(f"{path}: answers file not found; pass an existing file to --answers") from None
    except OSError as exc:
        raise BadInput(f"{path}: cannot read answers file ({exc.strerror or exc.__class__.__name__}); check the path and permissions") from None
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise BadInput(f"{path}: is a directory; --answers needs a YAML file")
        if not stat.S_ISREG(mode):
            raise BadInput(f"{path}: is not a regular file (a pipe, socket or device); --answers needs a YAML file")
        try:
            data = handle.read(MAX_BYTES + 1)
        except OSError as exc:
            raise BadInput(f"{path}: cannot read answers file ({exc.strerror or exc.__class__.__name__}); check the path and permissions") from None
    if len(data) > MAX_BYTES:
        raise BadInput(f"{path}: the answers file is larger than {MAX_BYTES // 1024} KiB; an answers file is a few "
                       "hundred bytes: check that this is the right file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(f"{path}: is not UTF-8 text (byte {exc.start}); save the answers file as UTF-8") from None


def with_defaults(data: dict[str, Any], defaults: dict[str, dict[str, Any]] | None) -> dict[str, Any]:
    """``data`` with ``defaults`` filled in under it, section by section."""
    if not defaults:
        return data
    merged: dict[str, Any] = {section: dict(values) for section, values in defaults.items()}
    for section, values in data.items():
        if isinstance(values, dict) and isinstance(merged.get(section), dict):
            merged[section].update(values)
        else:
            merged[section] = values
    return merged


def parse(text: str, filename: str, defaults: dict[str, dict[str, Any]] | None = None) -> Answers:
    """Fast path with libyaml; any problem is re-read with ruamel.yaml to report file lines."""
    try:
        yamlio.check_plain(text)
    except yamlio.UnsafeYAML as exc:
        raise AnswersInvalid([f"{filename}:{exc.line}: {exc.message}"]) from None
    except yamlio.YAMLError:
        pass  # a syntax error: the line-numbered path below reports it
    try:
        data = yamlio.load_answers(text)
    except yamlio.YAMLError:
        return _parse_reporting(text, filename, defaults)
    if (isinstance(data, dict) or data is None) and not _any_secret(data or {}):
        from pydantic import ValidationError

        from wizard.answers.model import Answers

        try:
            return Answers.model_validate(with_defaults(data or {}, defaults))
        except ValidationError:
            pass
    return _parse_reporting(text, filename, defaults)


def _any_secret(node: Any, key: str = "") -> bool:
    if isinstance(node, dict):
        return any(_any_secret(v, str(k)) for k, v in node.items())
    if isinstance(node, list):
        return any(_any_secret(v, key) for v in node)
    if key and secret_guard.SECRET_KEY_NAMES.search(key) and node not in (None, ""):
        return True
    return isinstance(node, str) and secret_guard.looks_secret(node) is not None


def _parse_reporting(text: str, filename: str, defaults: dict[str, dict[str, Any]] | None = None) -> Answers:
    """The slow path: ruamel.yaml keeps line numbers, so every problem names its line."""
    from pydantic import ValidationError
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    from wizard.answers.model import Answers

    try:
        data = _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        raise AnswersInvalid([f"{filename}:{line}: YAML syntax error: {problem}; fix the file and retry"]) from None
    except YAMLError as exc:
        raise AnswersInvalid([f"{filename}:1: YAML error: {exc.__class__.__name__}; fix the file and retry"]) from None
    if data is None:
        data = CommentedMap()
    if not isinstance(data, CommentedMap):
        raise AnswersInvalid([f"{filename}:1: (top): the answers file must be a mapping of sections such as cluster:, metrics:"])

    problems = _secret_problems(data, filename)
    secret_paths = {path for path, _, _ in problems}
    try:
        answers = Answers.model_validate(with_defaults(_plain(data), defaults))
    except ValidationError as exc:
        # A value already refused as a secret is not echoed again by another message.
        problems.extend(p for p in _validation_problems(exc, data, filename) if p[0] not in secret_paths)
        answers = None
    if problems:
        # by line, held apart from the text: a file name may itself contain ':' (or digits)
        ordered = [text for _, _, text in sorted(problems, key=lambda p: p[1])]
        if len(ordered) > MAX_PROBLEMS:
            ordered = [*ordered[:MAX_PROBLEMS], f"{filename}: ... and {len(ordered) - MAX_PROBLEMS} more problem(s)"]
        raise AnswersInvalid(ordered)
    assert answers is not None
    return answers


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _walk(node: Any, path: tuple[str, ...] = ()):  # yields (path, key_line, value) of a ruamel tree
    if isinstance(node, dict):
        for key, value in node.items():
            line = node.lc.key(key)[0] + 1
            yield (*path, str(key)), line, value
            yield from _walk(value, (*path, str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            line = node.lc.item(index)[0] + 1
            yield (*path, str(index)), line, value
            yield from _walk(value, (*path, str(index)))


def _secret_problems(data: Any, filename: str) -> list[tuple[str, int, str]]:
    problems = []
    for path, line, value in _walk(data):
        dotted = ".".join(path)
        if isinstance(value, str):
            kind = secret_guard.looks_secret(value)
            if kind:
                problems.append((dotted, line, f"{filename}:{line}: {dotted}: this looks like {kind}; {secret_guard.WHERE_SECRETS_BELONG}"))
                continue
        if secret_guard.SECRET_KEY_NAMES.search(path[-1]) and value not in (None, ""):
            problems.append((dotted, line, f"{filename}:{line}: {dotted}: {secret_guard.WHERE_SECRETS_BELONG}"))
    return problems


def _line_of(data: Any, loc: tuple[Any, ...]) -> int:
    node: Any = data
    line = 1
    for part in loc:
        if isinstance(node, dict) and part in node:
            line = node.lc.key(part)[0] + 1
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            line = node.lc.item(part)[0] + 1
            node = node[part]
        else:
            break
    return line


def _validation_problems(exc: ValidationError, data: Any, filename: str) -> list[tuple[str, int, str]]:
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        loc = tuple(error["loc"])
        dotted = ".".join(str(p) for p in loc) or "(top)"
        message = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        kind = error["type"]
        if kind == "missing":
            message = "is required and has no default; add it"
        elif kind == "extra_forbidden":
            message = "is not a known setting; check the spelling (`obs-wizard schema` lists every field)"
        elif kind in {"model_type", "dict_type"}:
            message = "must be a mapping of settings"
        line = _line_of(data, loc)
        problems.append((dotted, line, f"{filename}:{line}: {dotted}: {message}"))
    return problems


def dump(answers: Answers) -> str:
    """The answers file text: explicitly set values only, with a header and a schema comment."""
    from wizard.answers.model import Answers

    data = _without_empty(answers.model_dump(mode="json", exclude_unset=True))
    data["cluster"] = answers.cluster.model_dump(mode="json", exclude_unset=True)  # its required values are always set
    ordered = {name: data[name] for name in Answers.model_fields if name in data}
    header = (
        f"# yaml-language-server: $schema=./{Path(SCHEMA_PATH).name}\n"
        f"# obs-wizard {__version__} answers. Edit a value and re-run `obs-wizard --answers {ANSWERS_PATH}`.\n"
        "# Unset values take their defaults; `obs-wizard schema` lists them. Never put a secret here.\n"
    )
    return header + yamlio.dump(ordered)



def _without_empty(data: dict[str, Any]) -> dict[str, Any]:
    """No empty sections (``logs: {}``): every front end saves the same minimal file."""
    return {section: values for section, values in data.items() if values != {}}


def edit(text: str, values: list[tuple[str, Any]]) -> str:
    """``text`` with each ``section.field`` set to its value, edited in place (comments and layout kept)."""
    from ruamel.yaml.comments import CommentedMap

    from wizard.base import yamlrt

    rt = yamlrt.load(text)
    docs = [d for d in rt.documents if d is not None]
    if not docs:
        rt.documents = docs = [CommentedMap()]
    data = docs[0]
    for dotted, value in values:
        section, name = dotted.split(".", 1)
        if not isinstance(data.get(section), dict):
            data[section] = CommentedMap()
        data[section][name] = value
    return rt.dump()
