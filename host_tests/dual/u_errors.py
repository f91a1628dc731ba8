# Error texts come from messages.py, loaded only while an error is worded (CPython and MicroPython).
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


def test_the_texts_are_dropped_after_use():
    text("no_device", "Hall lamp")
    assert "uhomey.messages" not in sys.modules


def test_without_the_table_the_key_and_values_remain():
    from uhomey import errors

    def missing(*args, **kw):
        raise ImportError("no module named 'uhomey.messages'")

    real = errors.run_and_unload
    errors.run_and_unload = missing  # as if messages.py was not copied to the board
    try:
        msg = text("no_device", "Hall lamp")
    finally:
        errors.run_and_unload = real
    assert "no_device" in msg and "Hall lamp" in msg and "messages.py" in msg, msg
