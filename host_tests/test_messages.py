"""The error texts in lib/uhomey/messages.txt against the code that raises them: every
why(n, ...) and fault(Cls, n, ...) names a message that exists and fills exactly its
placeholders, and no message is left without a caller."""
import ast
import re
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "lib" / "uhomey"
SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdirfx]")


def catalog():
    texts = {}
    for line in (PKG / "messages.txt").read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        num, _, text = line.partition(" ")
        assert num.isdigit() and text.strip(), "a message line is 'number text': %r" % line
        assert int(num) not in texts, "message %s is defined twice" % num
        texts[int(num)] = text
    return texts


def calls():
    """(file, line, number, args) for every why/fault call in the library."""
    for path in sorted(PKG.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("why", "fault"):
                args = node.args[1:] if node.func.id == "fault" else node.args
                if node.func.id == "fault" and not args:
                    continue
                yield path.name, node.lineno, args[0], args[1:], node


def test_every_call_names_a_message_and_fills_its_placeholders():
    texts = catalog()
    seen = 0
    for name, line, num, args, node in calls():
        if name == "errors.py":
            continue  # fault() itself passes its n through
        where = "%s:%d" % (name, line)
        assert isinstance(num, ast.Constant) and isinstance(num.value, int), where + ": the number must be a literal"
        assert num.value in texts, "%s: message %d is not in messages.txt" % (where, num.value)
        assert not any(isinstance(a, ast.Starred) for a in args), where
        want = len(SPEC.findall(texts[num.value].replace("%%", "")))
        assert len(args) == want, "%s: message %d has %d placeholders, given %d" % (where, num.value, want, len(args))
        seen += 1
    assert seen > 50


def test_no_message_is_left_without_a_caller():
    used = {num.value for name, _, num, _, _ in calls() if isinstance(num, ast.Constant)}
    assert sorted(set(catalog()) - used) == []
