import sys
from pathlib import Path

# Tests import the program's packages (components, policies) from the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


import pytest  # noqa: E402  (after the path set-up above)


@pytest.fixture(scope="session", autouse=True)
def no_ambient_kubeconfig():
    """The shipped stacks name contexts of the ambient kubeconfig, which the config check reads
    where there is one: the tests never see the developer's own (a test sets one to use it)."""
    from components import config

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(config, "ambient_kubeconfigs", lambda: [])
        yield


@pytest.fixture(scope="session")
def dev():
    """What the shipped dev stack registers under mocks."""
    from tests.harness import run_program, stack_file_config

    return run_program(stack_file_config("dev"), "dev")


@pytest.fixture(scope="session")
def prod():
    """What the shipped prod stack registers under mocks."""
    from tests.harness import run_program, stack_file_config

    return run_program(stack_file_config("prod"), "prod")
