"""YAML in and out: numbers such as ``1e-4`` load as numbers, and field paths map to lines.

:func:`load_yaml` checks the document against :mod:`motools.limits` (size, values with aliases
expanded, depth, string length) from its event stream before building any Python object, and
parses with libyaml when it is installed.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from motools.limits import Limits


class _Loader(yaml.SafeLoader):
    """SafeLoader whose float rule also accepts ``1e-4`` (YAML 1.2), not only ``1.0e-4``."""


_Loader.yaml_implicit_resolvers = {k: list(v) for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_FLOAT = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)
for _ch in list("-+0123456789."):
    _Loader.yaml_implicit_resolvers[_ch] = [
        (tag, rx) for tag, rx in _Loader.yaml_implicit_resolvers.get(_ch, []) if tag != "tag:yaml.org,2002:float"
    ]
    _Loader.yaml_implicit_resolvers[_ch].append(("tag:yaml.org,2002:float", _FLOAT))


def _fast(base: type) -> type:
    """A loader class with our float rule on top of ``base`` (libyaml's parser when available)."""
    loader = type(f"_Fast{base.__name__}", (base,), {})
    loader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers  # type: ignore[attr-defined]
    return loader


_FastLoader: Any = _fast(yaml.CSafeLoader) if getattr(yaml, "__with_libyaml__", False) else _Loader


class YamlSyntaxError(ValueError):
    def __init__(self, message: str, line: int | None):
        self.line = line
        super().__init__(message)


class YamlLimitError(YamlSyntaxError):
    """A document over one of the input limits (:mod:`motools.limits`); nothing was built."""


def load_yaml(text: str, *, limits: Limits | bool = True) -> Any:
    """Load one YAML document; ``limits`` (default: the current ones) are checked first.

    Raises :class:`YamlSyntaxError` (with the line) for malformed YAML, and
    :class:`YamlLimitError` for a document over a limit.
    """
    if limits is not False:
        from motools.errors import SpecError
        from motools.limits import Limits, check_yaml_text

        try:
            check_yaml_text(text, limits if isinstance(limits, Limits) else Limits.current())
        except SpecError as exc:
            problem = exc.problems[0]
            raise YamlLimitError(problem.message, problem.line) from None
    try:
        return yaml.load(text, Loader=_FastLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = exc.problem or str(exc)
        where = f"line {line}, column {mark.column + 1}: " if mark is not None and line else ""
        raise YamlSyntaxError(f"malformed YAML: {where}{what}", line) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"malformed YAML: {exc}", None) from None


class _Dumper(yaml.SafeDumper):
    pass


def _represent_str(dumper: yaml.SafeDumper, data: str) -> Any:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _represent_str)
_Dumper.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers  # so "1e-4" strings get quoted


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False)


@functools.lru_cache(maxsize=4)
def _composed(text: str) -> Any:
    try:
        return yaml.compose(text, Loader=_FastLoader)
    except (yaml.YAMLError, RecursionError):
        return None


def line_of(text: str, path: list[str | int]) -> int | None:
    """The 1-based line where ``path`` (keys and list indexes) sits in the YAML ``text``."""
    node = _composed(text)
    if node is None:
        return None
    best = node.start_mark.line + 1 if node is not None else None
    for part in path:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if str(key.value) == str(part):
                    best = key.start_mark.line + 1
                    node = value
                    break
            else:
                return best
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            best = node.start_mark.line + 1
        else:
            return best
    return best
