import pytest

from seccodegen.registry import DuplicateRegistrationError, Registry, UnknownNameError


def test_register_get_and_reject_duplicates():
    reg: Registry[type] = Registry("analyzer")

    @reg.register("a")
    class A: ...

    assert reg.get("a") is A and "a" in reg and reg.names() == ["a"]
    with pytest.raises(DuplicateRegistrationError):
        reg.register("a", object)
    with pytest.raises(UnknownNameError, match="known: a"):
        reg.get("b")
