# Error texts come from messages.txt beside the modules (CPython and MicroPython).
from uhomey import errors
from uhomey.errors import AuthError, HomeyError, NotFound, fault, why


def test_why_reads_and_fills_a_message():
    assert "athom.email" in why(52)
    assert why(55, "Hall lamp").startswith('no device named "Hall lamp" on the Homey')


def test_fault_builds_the_error():
    e = fault(NotFound, 55, "Hall lamp")
    assert isinstance(e, NotFound) and isinstance(e, HomeyError) and "Hall lamp" in str(e)
    e = AuthError(why(52), 401)
    assert e.status == 401 and "athom.password" in str(e)


def test_without_the_catalog_the_number_and_values_remain():
    path = errors.__file__
    errors.__file__ = "/nonexistent-uhomey/uhomey/errors.py"
    try:
        text = why(55, "Hall lamp")
    finally:
        errors.__file__ = path
    assert "55" in text and "Hall lamp" in text and "messages.txt" in text, text
