"""The docs against the tree, cheaply: every file a README or docs page names exists, every
link stays inside the repository, every `module.name` of lib/uhomey a page cites is defined in
that module, every snake_case name a page quotes exists in the code or in texts.py, and the
README's troubleshooting table quotes texts the code really has."""
import re
from pathlib import Path

import pytest
from test_messages import catalog

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "tools" / "README.md",
         ROOT / "firmware" / "README.md", ROOT / "firmware" / "HARDWARE.md", ROOT / "boards" / "README.md",
         ROOT / "lib" / "gestures" / "README.md", ROOT / "lib" / "uhomey" / "README.md"]
CODE_DIRS = ("lib", "tools", "firmware", "boards", "host_tests")
CODE_EXT = (".py", ".js", ".mjs", ".json", ".txt")
TOP = r"(?:lib|tools|firmware|boards|docs|host_tests)/"
PATH_IN_TICKS = re.compile(r"`(%s[^`\s]*)" % TOP)
FILE_IN_TICKS = re.compile(r"`([\w-]+\.(?:py|txt|md|json|mjs|js))`")
LINK = re.compile(r"\]\(([^)#\s]+)")
DOTTED = re.compile(r"`([a-z_]+)\.([A-Za-z_]\w*)(?:\.(\w+))?")
SNAKE = re.compile(r"`([a-z][a-z0-9]*(?:_[a-z0-9]+)+)`")
FILE_EXT = ("py", "mpy", "json", "txt", "md", "pem", "der")
PLACEHOLDER = re.compile(r"\.\.\.|<[^>]*>|\([^)]*\)|\S*\d\S*|\S*://\S*|: ")


def page_id(p):
    return str(p.relative_to(ROOT))


def code_files():
    for d in CODE_DIRS:
        for p in (ROOT / d).rglob("*"):
            if p.suffix in CODE_EXT and "node_modules" not in p.parts:
                yield p


def code_text():
    """The code's text, and the names of its files (`hw_linux` is a module)."""
    files = list(code_files())
    return "\n".join([p.read_text(encoding="utf-8", errors="replace") for p in files] + [p.stem for p in files])


@pytest.fixture(scope="module")
def corpus():
    return code_text()


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_named_paths_exist(page, corpus):
    """A path under lib/, tools/... exists; a bare file name is in the tree, or is one the
    code makes or reads (`host-tokens.json`, `rtc.json`)."""
    text = page.read_text(encoding="utf-8")
    names = {p.name for d in CODE_DIRS + ("docs",) for p in (ROOT / d).rglob("*")}
    names |= {p.name for p in ROOT.iterdir()}
    missing = []
    for m in PATH_IN_TICKS.finditer(text):
        path = m.group(1).split("::")[0].rstrip(".,:;)")
        if any(c in path for c in "<*{$"):  # a pattern (boards/<name>.json), not one file
            continue
        if not (ROOT / path).exists():
            missing.append(path)
    for m in FILE_IN_TICKS.finditer(text):
        if m.group(1) not in names and m.group(1) not in corpus:
            missing.append(m.group(1))
    assert not missing, "%s names files the tree does not have: %s" % (page_id(page), missing)


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_links_stay_in_the_repository(page):
    bad = []
    for m in LINK.finditer(page.read_text(encoding="utf-8")):
        target = m.group(1)
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        resolved = (page.parent / target).resolve()
        if ROOT not in resolved.parents and resolved != ROOT or not resolved.exists():
            bad.append(target)
    assert not bad, "%s links outside the repository or to nothing: %s" % (page_id(page), bad)


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_cited_library_names_are_defined(page, corpus):
    """`athom.keep`, `consent.code_from`, `auth.Cloud.login`: the module defines that name.
    A config key named like a module (`homey.id`, `athom.client_id`) passes when config.py
    names it, a scope (`homey.device.control`) when the code spells it."""
    modules = {p.stem: p.read_text(encoding="utf-8") for p in (ROOT / "lib" / "uhomey").glob("*.py")}
    config = modules["config"]
    undefined = []
    for m in DOTTED.finditer(page.read_text(encoding="utf-8")):
        mod, name, attr = m.groups()
        if mod not in modules or name in FILE_EXT or "%s.%s" % (mod, name) in corpus:
            continue
        src = modules[mod]
        defined = re.search(r"^\s*(?:def|class) %s\b|^%s\s*=" % (name, name), src, re.M)
        if attr and defined:
            defined = re.search(r"\b%s\b" % attr, src)
        if not (defined or '"%s"' % name in config or '"%s"' % name in src):
            undefined.append("%s.%s" % (mod, name))
    assert not undefined, "%s cites names lib/uhomey does not define: %s" % (page_id(page), undefined)


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_quoted_snake_case_names_exist(page, corpus):
    """An error key (`code_expired`), a simulator fault (`no_csrf`), a config key (`fresh_ms`):
    whatever a page quotes in snake_case is spelled somewhere in the code or in texts.py."""
    keys = set(catalog())
    missing = sorted({w for w in SNAKE.findall(page.read_text(encoding="utf-8"))
                      if w not in keys and not re.search(r"\b%s\b" % w, corpus)})
    assert not missing, "%s quotes names the code does not have: %s" % (page_id(page), missing)


def test_troubleshooting_quotes_real_texts(corpus):
    """Each quoted message in the README's troubleshooting table, cut at its placeholders
    (`...`, `<id>`, values with digits or a URL), is made of phrases the code really says."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Troubleshooting", 1)[1].split("\n## ", 1)[0]
    texts = "\n".join(catalog().values())
    haystack = re.sub(r"\s+", " ", corpus + "\n" + texts)
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert rows, "the troubleshooting table has no quoted message"
    unknown = []
    for row in rows:
        quote = row.split("`")[1]
        for fragment in PLACEHOLDER.split(quote):
            fragment = fragment.strip(" :;,")
            if len(fragment.split()) >= 3 and fragment not in haystack:
                unknown.append(fragment)
    assert not unknown, "README troubleshooting quotes words the code does not say: %s" % unknown


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_error_texts_are_named_by_key(page):
    """The texts were once numbered lines of a file; a page citing "message 27" or
    "messages 26, 40" points at nothing now."""
    numbered = re.findall(r"\bmessages? \d+", page.read_text(encoding="utf-8"))
    assert not numbered, "%s names error texts by number, not by their texts.py key: %s" % (page_id(page), numbered)
