"""How the packages find each other: installed, one vocabulary, no layer leaning on another."""

from __future__ import annotations

import ast
import subprocess
import sys

from components.topology import LAYERS as ORDERED_LAYERS
from tests.harness import REPO

# Each layer's module (where its `LAYER` record, listed in components/topology.py, lives) and
# the submodules private to one layer; everything else in components/ is shared (the config
# model, the vocabulary, charts, profiles, the sync seam, the layer kernel) or the composition.
PRIVATE = {"observability_content": "observability", "flux": "gitops", "dora": "finops",
           "catalog": "portal"}
LAYER_OF = {layer.build.__module__.rsplit(".", 1)[-1]: layer.name for layer in ORDERED_LAYERS}
LAYER_OF.update(PRIVATE)
LAYER_MODULES = tuple(LAYER_OF)


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
    for path in sorted((REPO / "components").glob("*.py")):
        for module, name in _constants_imported(path):
            if module in LAYER_MODULES and LAYER_OF[module] != LAYER_OF.get(path.stem):
                offenders.append(f"{path.name} imports {name} from {module}")
    assert offenders == []


def _components_imported(path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("components."):
                found.add(node.module.split(".", 1)[1])
            elif node.module == "components":
                found.update(alias.name for alias in node.names)
    return found


def test_no_layer_module_imports_another_layers_module():
    offenders = []
    for module, layer in LAYER_OF.items():
        for imported in _components_imported(REPO / "components" / f"{module}.py"):
            if LAYER_OF.get(imported, layer) != layer:
                offenders.append(f"{module} ({layer}) imports {imported} ({LAYER_OF[imported]})")
    assert offenders == []


def test_each_layer_has_a_module_of_its_own_and_topology_no_private_one():
    modules = [layer.build.__module__ for layer in ORDERED_LAYERS]
    assert len(set(modules)) == len(modules), modules
    assert set(PRIVATE.values()) <= {layer.name for layer in ORDERED_LAYERS}
    assert not _components_imported(REPO / "components" / "topology.py") & set(PRIVATE)


def test_shared_modules_import_no_layer():
    """Layers build on the shared modules (the kernel in components/layer.py among them), never
    the other way round; only the composition imports the layers."""
    offenders = []
    for path in sorted((REPO / "components").rglob("*.py")):
        module = path.relative_to(REPO / "components").with_suffix("").as_posix().replace("/", ".")
        if module in LAYER_OF or module == "topology":
            continue
        offenders += [f"{module} imports {m}" for m in _components_imported(path) if m in LAYER_OF]
    assert offenders == []


def test_every_components_module_is_a_layers_or_shared():
    shared = {"__init__", "cert_manager", "chart_order", "charts", "clusters", "config",
              "configschema", "crd_stack", "dashboards", "formats", "layer", "naming", "profiles", "sync",
              "topology"}
    modules = {path.stem for path in (REPO / "components").glob("*.py")}
    assert modules == shared | set(LAYER_OF)


def test_the_vocabulary_imports_nothing_from_the_project():
    """Pipeline images copy components/naming.py alone next to promises/."""
    tree = ast.parse((REPO / "components" / "naming.py").read_text())
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in imported if m.split(".")[0] in ("components", "policies", "promises")]


def test_pipeline_images_copy_the_vocabulary():
    for dockerfile in (REPO / "promises").glob("*/Dockerfile"):
        assert "components/naming.py" in dockerfile.read_text(), dockerfile
