# Error texts come from texts.py, read as a file only when an error is raised (CPython and
# MicroPython) by messages.py, loaded for that moment; frozen firmware, with no file beside
# the code, imports it instead.
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


def test_the_lookup_is_loaded_for_the_error_only():
    sys.modules.pop("uhomey.messages", None)
    assert "Hall lamp" in text("no_device", "Hall lamp")
    assert "uhomey.messages" not in sys.modules  # dropped again: it costs a boot nothing


def test_frozen_without_the_file_the_module_gives_the_text():
    from uhomey import messages

    path = messages.__file__
    messages.__file__ = "uhomey/messages.py"  # as frozen code sees it: no file to read there
    try:
        t = messages.text_of("no_device")
    finally:
        messages.__file__ = path
        sys.modules.pop("uhomey.messages", None)
    assert t.startswith('no device named "%s" on the Homey'), t
    assert sys.modules.pop("uhomey.texts", None) is not None


def test_an_unknown_key_still_names_itself_and_its_values():
    msg = text("no_such_key", "Hall lamp")
    assert "no_such_key" in msg and "Hall lamp" in msg and "texts.py" in msg, msg
