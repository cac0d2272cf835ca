"""A tiny HTML reader for page tests: find elements by tag and attributes, read their text as a
user would (whitespace collapsed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

# Elements that start a new line or cell: their text is kept apart from their neighbours'.
BLOCK_TAGS = frozenset(
    {"br", "dd", "div", "dt", "h1", "h2", "h3", "li", "nav", "ol", "p", "section", "td", "th", "tr", "ul"}
)
VOID_TAGS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)


@dataclass
class Element:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Element | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(self._raw_text().split())

    def _raw_text(self) -> str:
        return "".join(c if isinstance(c, str) else c._spaced_text() for c in self.children)

    def _spaced_text(self) -> str:
        return f" {self._raw_text()} " if self.tag in BLOCK_TAGS else self._raw_text()

    def iter(self) -> list[Element]:
        found = []
        for child in self.children:
            if isinstance(child, Element):
                found.append(child)
                found.extend(child.iter())
        return found

    def find_all(self, tag: str | None = None, **attrs: str | bool) -> list[Element]:
        """Descendants by tag and attributes: `class_` matches one class token, `for_` is `for`,
        `aria_label` is `aria-label`, and True only asks for the attribute to be present."""
        return [e for e in self.iter() if (tag is None or e.tag == tag) and e._matches(attrs)]

    def find(self, tag: str | None = None, **attrs: str | bool) -> Element:
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag or '*'}> with {attrs}"
        return found[0]

    def texts(self, tag: str | None = None, **attrs: str | bool) -> list[str]:
        return [e.text for e in self.find_all(tag, **attrs)]

    def _matches(self, attrs: dict[str, str | bool]) -> bool:
        for key, wanted in attrs.items():
            name = key.rstrip("_").replace("_", "-")
            value = self.attrs.get(name)
            if value is None:
                return False
            if name == "class" and isinstance(wanted, str):
                if wanted not in value.split():
                    return False
            elif wanted is not True and value != wanted:
                return False
        return True


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID_TAGS:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root
