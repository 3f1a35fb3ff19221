import sys
from pathlib import Path

# Tests import the program's packages (components, policies) from the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


import pytest  # noqa: E402  (after the path set-up above)


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
