"""How the packages find each other: installed, one vocabulary, no layer leaning on another."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys

from components.topology import LAYERS as ORDERED_LAYERS
from tests.harness import REPO

# Each layer is a folder, components/<layer>/ (its `LAYER` record, listed in
# components/topology.py, in its layer.py); everything else in components/ is the kernel the
# layers share (the config model, the vocabulary, charts, profiles, the sync seam, the layer
# record) or the composition.
FOLDER_OF = {layer.name: layer.build.__module__.split(".")[1] for layer in ORDERED_LAYERS}
FOLDERS = tuple(FOLDER_OF.values())
KERNEL = {"__init__", "cert_manager", "chart_order", "charts", "checks", "clusters", "config",
          "configschema", "crd_stack", "dashboards", "formats", "layer", "naming", "placement",
          "profiles", "sync", "validation"}
# The parts every layer folder has; settings.py where the layer has settings of its own (state
# stores and destinations read the kernel's, components/placement.py); sizes.py where it runs
# workloads (the destinations layer registers Kratix objects only).
PARTS = ("__init__.py", "component.py", "layer.py")
NO_WORKLOADS = {"destinations"}
# The docs page and the tests of each layer, by name (docs/layers/<page>.md, tests/test_<x>.py):
# the Kratix page and tests/test_components.py cover state stores and destinations.
PAGE = {"state_stores": "kratix", "destinations": "kratix"}
TESTS = {"kratix": "components", "state_stores": "components", "destinations": "components"}


def _layer_of(module: str) -> str | None:
    """The layer folder a `components.`-relative module belongs to, None for the kernel."""
    head = module.split(".", 1)[0]
    return head if head in FOLDERS else None


def _module(path) -> str:
    relative = path.relative_to(REPO / "components").with_suffix("")
    return ".".join(relative.parts)


def test_policy_packs_import_the_project_from_the_virtualenv(tmp_path):
    """The engine runs each pack from its own folder: the project must come installed
    (requirements.txt installs it editable), not from a sys.path insert."""
    for pack in ("kratix", "platform"):
        result = subprocess.run([sys.executable, "-I", "-c", f"import policies.{pack}"],
                                cwd=tmp_path, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr


def test_no_package_edits_sys_path():
    for package in ("components", "policies", "promises"):
        for path in (REPO / package).rglob("*.py"):
            assert "sys.path.insert" not in path.read_text(), path


def _constants_imported(path) -> list[tuple[str, str]]:
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and \
                node.module.startswith("components."):
            module = node.module.split(".", 1)[1]
            found += [(module, alias.name) for alias in node.names if alias.name.isupper()]
    return found


def test_no_layer_imports_another_layer_for_a_constant():
    """Namespaces, labels and API groups live in the vocabulary (components/naming.py)."""
    offenders = []
    for path in sorted((REPO / "components").rglob("*.py")):
        own = _layer_of(_module(path))
        for module, name in _constants_imported(path):
            if _layer_of(module) not in (None, own):
                offenders.append(f"{_module(path)} imports {name} from {module}")
    assert offenders == []


def _components_imported(path) -> set[str]:
    """The `components.`-relative modules (or packages) a file imports."""
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("components."):
                module = node.module.split(".", 1)[1]
                found.add(module)
                found.update(f"{module}.{alias.name}" for alias in node.names)
            elif node.module == "components":
                found.update(alias.name for alias in node.names)
    return found


def test_no_layer_imports_another_layer():
    offenders = []
    for folder in FOLDERS:
        for path in sorted((REPO / "components" / folder).rglob("*.py")):
            for imported in _components_imported(path):
                if _layer_of(imported) not in (None, folder):
                    offenders.append(f"{_module(path)} imports {imported}")
    assert offenders == []


def test_each_layer_has_a_folder_of_its_own():
    assert len(set(FOLDERS)) == len(FOLDERS), FOLDERS
    for layer in ORDERED_LAYERS:
        assert layer.build.__module__ == f"components.{FOLDER_OF[layer.name]}.layer", layer.name


def test_the_kernel_imports_no_layer():
    """Layers build on the kernel (components/config.py, layer.py and the rest), never the other
    way round; only the composition (topology.py) imports the layers."""
    offenders = []
    for name in sorted(KERNEL):
        path = REPO / "components" / f"{name}.py"
        offenders += [f"{name} imports {m}" for m in _components_imported(path) if _layer_of(m)]
    assert offenders == []


def test_every_components_module_is_the_kernels_the_compositions_or_in_a_layer_folder():
    modules = {path.stem for path in (REPO / "components").glob("*.py")}
    assert modules == KERNEL | {"topology"}
    folders = {p.name for p in (REPO / "components").iterdir()
               if p.is_dir() and p.name != "__pycache__"}
    assert folders == set(FOLDERS), "a folder in components/ that is no layer of LAYERS"


def test_every_layer_folder_has_the_same_parts():
    """Adding a layer is one folder with these parts, its line in LAYERS and its docs."""
    missing = []
    for layer in ORDERED_LAYERS:
        folder = FOLDER_OF[layer.name]
        directory = REPO / "components" / folder
        missing += [f"components/{folder}/{part}" for part in PARTS
                    if not (directory / part).is_file()]
        has_settings = (directory / "settings.py").is_file()
        if has_settings != (layer.settings is not None):
            missing.append(f"components/{folder}/settings.py and LAYER.settings disagree")
        if layer.settings is not None:
            settings = importlib.import_module(f"components.{folder}.settings")
            assert settings.SETTINGS is layer.settings, folder
        if (directory / "sizes.py").is_file() == (folder in NO_WORKLOADS):
            missing.append(f"components/{folder}/sizes.py")
        page = REPO / "docs" / "layers" / f"{PAGE.get(folder, folder)}.md"
        tests = REPO / "tests" / f"test_{TESTS.get(folder, folder)}.py"
        missing += [str(p.relative_to(REPO)) for p in (page, tests) if not p.is_file()]
    assert missing == []


def test_a_layers_share_of_the_size_profiles_is_in_its_sizes_module():
    """What a layer's workloads request, per profile, is read in one place."""
    elsewhere = [_module(p) for folder in FOLDERS
                 for p in sorted((REPO / "components" / folder).glob("*.py"))
                 if p.name != "sizes.py" and "per_profile(" in p.read_text()]
    assert elsewhere == []


def test_a_layers_modules_stay_small():
    """A layer is read alone: no module of a layer folder over 500 lines."""
    long = [f"{_module(p)}: {n}" for folder in FOLDERS
            for p in sorted((REPO / "components" / folder).glob("*.py"))
            if (n := len(p.read_text().splitlines())) > 500]
    assert long == []


def test_no_import_cycle():
    from scripts import import_graph

    assert import_graph.cycles(import_graph.graph()) == []


def test_the_vocabulary_imports_nothing_from_the_project():
    """Pipeline images copy components/naming.py alone next to promises/."""
    tree = ast.parse((REPO / "components" / "naming.py").read_text())
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in imported if m.split(".")[0] in ("components", "policies", "promises")]


def test_pipeline_images_copy_the_vocabulary():
    for dockerfile in (REPO / "promises").glob("*/Dockerfile"):
        assert "components/naming.py" in dockerfile.read_text(), dockerfile
