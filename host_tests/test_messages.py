"""The error texts in lib/uhomey/texts.py against the code that raises them: every
Cls.of("key", ...) and text("key", ...) names a message that exists and fills exactly its
placeholders, and no message is left without a caller."""
import ast
import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "lib" / "uhomey"
SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdirfx]")


def catalog():
    """{key: text} from texts.TEXTS, read from the file without importing uhomey here."""
    tree = ast.parse((PKG / "texts.py").read_text(encoding="utf-8"))
    table = next(ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign))
    texts = {}
    for line in table.splitlines():
        if not line or line.startswith("#"):
            continue
        key, _, text = line.partition(" ")
        assert key.isidentifier() and text.strip(), "a line of texts.py is 'key text': %r" % line
        assert key not in texts, "%s is defined twice" % key
        texts[key] = text
    return texts


def calls():
    """(file, line, key node, args) for every X.of(key, ...) and text(key, ...) call in the library."""
    for path in sorted(PKG.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            f = node.func
            if (isinstance(f, ast.Attribute) and f.attr == "of") or (isinstance(f, ast.Name) and f.id == "text"):
                yield path.name, node.lineno, node.args[0], node.args[1:]


def test_every_call_names_a_message_and_fills_its_placeholders():
    texts = catalog()
    seen = 0
    for name, line, key, args in calls():
        if name == "errors.py":
            continue  # of() and text() themselves pass their key through
        where = "%s:%d" % (name, line)
        assert isinstance(key, ast.Constant) and isinstance(key.value, str), where + ": the key must be a literal"
        assert key.value in texts, "%s: message %r is not in texts.py" % (where, key.value)
        assert not any(isinstance(a, ast.Starred) for a in args), where
        want = len(SPEC.findall(texts[key.value].replace("%%", "")))
        assert len(args) == want, "%s: message %r has %d placeholders, given %d" % (where, key.value, want, len(args))
        seen += 1
    assert seen > 50


def test_no_message_is_left_without_a_caller():
    used = {key.value for name, _, key, _ in calls() if isinstance(key, ast.Constant)}
    assert sorted(set(catalog()) - used) == []


def test_a_board_without_the_table_still_names_what_happened(tmp_path, mpy):
    shutil.copytree(PKG, tmp_path / "uhomey", ignore=shutil.ignore_patterns("texts.py", "__pycache__"))
    r = mpy("import uhomey\ntry:\n    uhomey.connect('/nonexistent/config.json')\n"
                "except uhomey.ConfigError as e:\n    print('said:', e)", path=[tmp_path]).check()
    assert "config_unreadable" in r.out and "/nonexistent/config.json" in r.out, r.out
