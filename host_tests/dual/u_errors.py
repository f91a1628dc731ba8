# Error texts come from texts.py, read as a file only when an error is raised (CPython and
# MicroPython); frozen firmware, with no file beside the code, imports it instead.
import sys

from uhomey.errors import AuthError, HomeyError, NotFound, text


def test_text_fills_a_message():
    assert "athom.email" in text("no_login_in_config")
    assert text("no_device", "Hall lamp").startswith('no device named "Hall lamp" on the Homey')


def test_of_builds_the_error():
    e = NotFound.of("no_device", "Hall lamp")
    assert isinstance(e, NotFound) and isinstance(e, HomeyError) and "Hall lamp" in str(e)
    e = AuthError(text("no_login_in_config"), 401)
    assert e.status == 401 and "athom.password" in str(e)


def test_the_table_is_read_not_imported():
    sys.modules.pop("uhomey.texts", None)  # the tests may run in any order in one process
    text("no_device", "Hall lamp")
    assert "uhomey.texts" not in sys.modules


def test_frozen_without_the_file_the_module_gives_the_text():
    from uhomey import errors

    path = errors.__file__
    errors.__file__ = "uhomey/errors.py"  # as frozen code sees it: no file to read there
    try:
        msg = text("no_device", "Hall lamp")
    finally:
        errors.__file__ = path
    assert msg.startswith('no device named "Hall lamp" on the Homey'), msg
    assert sys.modules.pop("uhomey.texts", None) is not None


def test_an_unknown_key_still_names_itself_and_its_values():
    msg = text("no_such_key", "Hall lamp")
    assert "no_such_key" in msg and "Hall lamp" in msg and "texts.py" in msg, msg
